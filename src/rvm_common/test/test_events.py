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


def test_empty_rvm_id_resolves_to_a_host_based_id(monkeypatch):
    monkeypatch.setattr(events.socket, 'gethostname', lambda: 'jetson orin.local')
    assert events.resolve_rvm_id('') == 'rvm-jetson-orin-local'
    assert events.resolve_rvm_id('rvm-007') == 'rvm-007'
    assert events.make_event('x', {})['rvm_id'] == 'rvm-jetson-orin-local'


def test_configured_rvm_id_must_match_the_channel_pattern():
    for good in ('rvm-001', 'RVM_7', 'a', 'x' * 64):
        assert events.resolve_rvm_id(good) == good
    for bad in ('rvm.002', 'rvm 1', 'x' * 65, 'rvm/1', 'rvm-ü'):
        try:
            events.resolve_rvm_id(bad)
        except ValueError as err:
            assert repr(bad) in str(err) and 'A-Z a-z 0-9 _ -' in str(err)
        else:
            raise AssertionError(f'{bad!r} must be refused')


def test_make_event_refuses_an_invalid_configured_rvm_id():
    try:
        events.make_event('x', {}, rvm_id='rvm.002')
    except ValueError as err:
        assert "'rvm.002'" in str(err)
    else:
        raise AssertionError('a dotted rvm_id must not reach the wire')


def test_host_derived_rvm_id_is_sanitised_and_capped(monkeypatch):
    monkeypatch.setattr(events.socket, 'gethostname', lambda: 'a.' * 50)
    rvm_id = events.resolve_rvm_id('')
    assert events.RVM_ID_PATTERN.match(rvm_id) and len(rvm_id) <= 64
    assert rvm_id.startswith('rvm-a-a-') and not rvm_id.endswith('-')
    monkeypatch.setattr(events.socket, 'gethostname', lambda: '...')
    assert events.resolve_rvm_id('') == 'rvm-unknown'
