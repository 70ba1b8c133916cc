"""The event envelope and the seed outbound map."""
import json
import uuid

from rvm_common import events


def test_make_event_envelope():
    event = events.make_event('detection-completed', {'category': 'pet_bottle'}, rvm_id='rvm-7',
                              timestamp=0.0)
    assert event['type'] == 'detection-completed'
    assert event['version'] == events.SCHEMA_VERSION
    assert uuid.UUID(event['event_id']).version == 4
    assert event['timestamp'] == '1970-01-01T00:00:00.000Z'
    assert event['rvm_id'] == 'rvm-7' and event['category'] == 'pet_bottle'


def test_event_ids_are_unique():
    ids = {events.make_event('x', {})['event_id'] for _ in range(200)}
    assert len(ids) == 200


def test_dumps_is_compact_and_rejects_nan():
    assert events.dumps({'a': 1, 'b': [1, 2]}) == '{"a":1,"b":[1,2]}'
    try:
        events.dumps({'a': float('nan')})
    except ValueError:
        pass
    else:
        raise AssertionError('NaN must not be serialised')
    assert json.loads(events.dumps({'ü': 'ß'})) == {'ü': 'ß'}


def test_outbound_defaults_cover_the_myrvm_contract():
    pairs = {(c, e) for _, c, e, _ in events.OUTBOUND_DEFAULTS}
    assert {('rvm-status', 'status-updated'), ('rvm-status', 'health-updated'),
            ('detection-results', 'detection-completed'),
            ('detection-results', 'processing-updated'),
            ('timezone-updates', 'timezone-synced')} <= pairs
    assert {d for *_, d in events.OUTBOUND_DEFAULTS} <= {'durable', 'latest'}


def test_empty_rvm_id_resolves_to_a_host_based_id(monkeypatch):
    monkeypatch.setattr(events.socket, 'gethostname', lambda: 'jetson orin.local')
    assert events.resolve_rvm_id('') == 'rvm-jetson-orin-local'
    assert events.resolve_rvm_id('rvm-007') == 'rvm-007'
    assert events.make_event('x', {})['rvm_id'] == 'rvm-jetson-orin-local'
