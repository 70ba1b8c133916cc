"""The contract's schemas (rvm_common/schemas/*.json): one valid, versioned schema per event,
matching rvm_common.events.make_event."""
from __future__ import annotations

import copy
import json

import pytest
from rvm_common import events
from rvm_common.contract import laravel_reencoded as php_reencoded
from rvm_common.events import dumps, make_event

from support.schemas import SchemaViolation, errors, event_names, schema, validate_event

OUTBOUND = (
    events.EVENT_STATUS_UPDATED, events.EVENT_HEALTH_UPDATED, events.EVENT_DETECTION_COMPLETED,
    events.EVENT_PROCESSING_UPDATED, events.EVENT_SESSION_COMPLETED, events.EVENT_TIMEZONE_SYNCED)
INBOUND = (events.EVENT_MANUAL_SYNC, events.EVENT_COMMAND, 'events-stored')


def square(n: int) -> list[list[float]]:
    return [[100.0 + i, 100.0 + (i * 7) % 50] for i in range(n)]


def fields(event: str) -> dict:
    """Realistic fields of each outbound event, as the cores build them."""
    return {
        events.EVENT_DETECTION_COMPLETED: {
            'item_id': 's1-1', 'session_id': 's1', 'category': 'pet', 'class_name': 'pet_bottle',
            'confidence': 0.912, 'accepted': True, 'reason': None,
            'bbox': {'x1': 212.0, 'y1': 96.5, 'x2': 402.0, 'y2': 388.0},
            'mask': {'polygon': square(64), 'area_px': 51234.0, 'area_fraction': 0.1668},
            'frame': {'width': 640, 'height': 480},
            'capture_time': events.utc_iso(1_790_000_000.25),
            'timings_ms': {
                'preprocess': 2.1, 'inference': 31.4, 'refine': 0.0, 'postprocess': 3.2,
                'total': 36.7},
            'model': 'yolo11n-seg-rvm'},
        events.EVENT_PROCESSING_UPDATED: {
            'item_id': 's1-1', 'session_id': 's1', 'status': 'processing', 'detail': None},
        events.EVENT_SESSION_COMPLETED: {
            'session_id': 's1', 'started_at': events.utc_iso(1_790_000_000),
            'ended_at': events.utc_iso(), 'reason': 'idle_timeout',
            'counts': {'pet': 2, 'aluminium': 1}, 'accepted': 3, 'rejected': 1, 'total': 4},
        events.EVENT_STATUS_UPDATED: {
            'state': 'maintenance', 'previous_state': 'online', 'reasons': ['maintenance command'],
            'alerts': [
                {
                    'id': 'maint', 'kind': 'maintenance', 'level': 'warn', 'message': 'door open',
                    'since': events.utc_iso()}
            ],
            'since': events.utc_iso()},
        events.EVENT_HEALTH_UPDATED: {
            'cpu': {'percent': 37.5, 'per_core': [41.0, 34.0], 'load_1m': 1.12},
            'memory': {
                'percent': 48.2, 'used_mb': 3712.0, 'total_mb': 7620.0, 'swap_percent': 0.0},
            'disk': [{'path': '/', 'percent': 61.3, 'free_gb': 22.4}],
            'temperatures': {'cpu-thermal': 52.5},
            'gpu': None,
            'pipeline': {
                'camera_fps': 15.0, 'detector_fps': None, 'bridge_state': 'connected',
                'outbox_depth': 0},
            'uptime_s': 12.5,
        },
        events.EVENT_TIMEZONE_SYNCED: {
            'timezone': 'Asia/Jakarta', 'utc_offset': '+07:00',
            'local_time': '2026-11-26T17:54:25.004+07:00',
            'server_time': '2026-11-26T10:54:25.000Z', 'clock_offset_ms': -4.0, 'status': 'synced',
            'trigger': 'manual'},
    }[event]


def built(event: str, **changes) -> dict:
    payload = make_event(event, fields(event), rvm_id='rvm-001')
    payload.update(changes)
    return payload


def test_one_versioned_draft_2020_12_schema_per_event():
    assert event_names() == sorted(OUTBOUND + INBOUND)
    for name in event_names():
        doc = schema(name)
        assert doc['$schema'] == 'https://json-schema.org/draft/2020-12/schema'
        assert doc['$id'].endswith(f'/v{events.SCHEMA_VERSION}/{name}.json')
        assert doc['examples'], f'{name} has no example'


@pytest.mark.parametrize('name', OUTBOUND + INBOUND)
def test_documented_examples_validate(name):
    for example in schema(name)['examples']:
        validate_event(example, name)


@pytest.mark.parametrize('name', OUTBOUND)
def test_make_event_payloads_validate_after_a_wire_round_trip(name):
    payload = json.loads(dumps(built(name)))
    validate_event(payload)
    validate_event({**payload, 'seq': 17})


def test_rejected_and_truncated_verdicts_validate():
    validate_event(
        built(events.EVENT_DETECTION_COMPLETED, accepted=False, reason='low_confidence', mask=None)
    )
    truncated = built(events.EVENT_DETECTION_COMPLETED, truncated=True)
    del truncated['mask'], truncated['timings_ms']
    validate_event(truncated)


@pytest.mark.parametrize('name', OUTBOUND)
def test_demo_events_carry_the_flag_and_its_source(name):
    # events from a non-camera source: stored by the server, never credited
    from rvm_bridge.demo_data import mark_demo
    payload = built(name)
    mark_demo(payload, 'sample')
    validate_event(json.loads(dumps(payload)))
    for broken in ({**payload, 'demo': False}, {k: v for k, v in payload.items() if k != 'demo'},
                   {k: v for k, v in payload.items() if k != 'demo_source'},
                   {**payload, 'demo_source': 'camera'}):
        with pytest.raises(SchemaViolation):
            validate_event(broken)


def test_failed_timezone_sync_validates():
    validate_event(
        built(
            events.EVENT_TIMEZONE_SYNCED, status='failed', server_time=None, clock_offset_ms=None,
            trigger='startup', error='server unreachable')
    )


def without(payload: dict, *path: str) -> dict:
    broken = copy.deepcopy(payload)
    target = broken
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return broken


VERDICT = events.EVENT_DETECTION_COMPLETED
BROKEN = {
    'missing event_id': lambda: without(built(VERDICT), 'event_id'),
    'missing rvm_id': lambda: without(built(VERDICT), 'rvm_id'),
    'empty rvm_id': lambda: built(VERDICT, rvm_id=''),
    'other version': lambda: built(VERDICT, version=2),
    'timestamp without zone': lambda: built(VERDICT, timestamp='2026-11-26 10:54:23'),
    'negative seq': lambda: built(VERDICT, seq=-1),
    'unknown field': lambda: built(VERDICT, colour='red'),
    'accepted with a reason': lambda: built(VERDICT, reason='low_confidence'),
    'rejected without a reason': lambda: built(VERDICT, accepted=False),
    'unknown reason': lambda: built(VERDICT, accepted=False, reason='too_shiny'),
    'confidence above 1': lambda: built(VERDICT, confidence=1.3),
    'bbox missing y2': lambda: without(built(VERDICT), 'bbox', 'y2'),
    'polygon of 65 points': lambda: built(
        VERDICT, mask={'polygon': square(65), 'area_px': 1.0, 'area_fraction': 0.1}),
    'mask dropped without truncated': lambda: without(built(VERDICT), 'mask'),
    'truncated false': lambda: built(VERDICT, truncated=False),
    'mask without polygon, not truncated': lambda: without(built(VERDICT), 'mask', 'polygon'),
    'capture_time not a time': lambda: built(VERDICT, capture_time='yesterday'),
    'frame width 0': lambda: built(VERDICT, frame={'width': 0, 'height': 480}),
    'unknown processing status': lambda: built(events.EVENT_PROCESSING_UPDATED, status='done'),
    'session end reason': lambda: built(events.EVENT_SESSION_COMPLETED, reason='timeout'),
    'session count negative': lambda: built(events.EVENT_SESSION_COMPLETED, counts={'pet': -1}),
    'unknown rvm state': lambda: built(events.EVENT_STATUS_UPDATED, state='sleeping'),
    'alert level': lambda: built(
        events.EVENT_STATUS_UPDATED,
        alerts=[
            {
                'id': 'a', 'kind': 'error', 'level': 'fatal', 'message': 'x',
                'since': events.utc_iso()}
        ],
    ),
    'cpu percent 150': lambda: built(
        events.EVENT_HEALTH_UPDATED, cpu={'percent': 150, 'per_core': [], 'load_1m': 0.1}),
    'health without pipeline': lambda: without(built(events.EVENT_HEALTH_UPDATED), 'pipeline'),
    'unknown bridge state': lambda: built(
        events.EVENT_HEALTH_UPDATED,
        pipeline={
            **fields(events.EVENT_HEALTH_UPDATED)['pipeline'], 'bridge_state': 'reconnecting'},
    ),
    'utc offset +7': lambda: built(events.EVENT_TIMEZONE_SYNCED, utc_offset='+7'),
    'timezone trigger': lambda: built(events.EVENT_TIMEZONE_SYNCED, trigger='cron'),
    'type of another event': lambda: built(VERDICT, type=events.EVENT_PROCESSING_UPDATED),
}


@pytest.mark.parametrize('case', sorted(BROKEN))
def test_broken_payloads_are_rejected(case):
    with pytest.raises(SchemaViolation):
        validate_event(BROKEN[case]())


def test_unknown_or_missing_type_is_reported():
    assert errors({'type': 'teleported'}) == ["no schema for event type 'teleported'"]
    assert errors(['not', 'an', 'object']) == ['no schema for event type None']


def test_inbound_payloads():
    validate_event({}, events.EVENT_MANUAL_SYNC)
    validate_event(
        {'timezone': 'Asia/Jakarta', 'requested_by': 'ops', 'extra': 1}, events.EVENT_MANUAL_SYNC)
    validate_event({'command': 'maintenance_on'}, events.EVENT_COMMAND)
    for bad, event in (
        ({'timezone': 7}, events.EVENT_MANUAL_SYNC), ('sync', events.EVENT_MANUAL_SYNC),
        ({}, events.EVENT_COMMAND), ({'command': 'DROP TABLE'}, events.EVENT_COMMAND),
    ):
        with pytest.raises(SchemaViolation):
            validate_event(bad, event)


def test_health_core_events_validate():
    """status-updated / health-updated built by the real health core (with a maintenance alert)."""
    from rvm_health.health_config import HealthConfig
    from rvm_health.health_core import HealthCore

    core = HealthCore(HealthConfig(rvm_id='rvm-001'))
    emitted = core.update(100.0)
    core.observe(events.TOPIC_COMMAND, {'command': 'maintenance_on'}, 101.0)
    emitted += core.update(105.0)
    kinds = {payload['type'] for _, payload in emitted}
    assert kinds == {events.EVENT_STATUS_UPDATED, events.EVENT_HEALTH_UPDATED}
    assert any(
        p.get('state') == 'maintenance'
        for _, p in emitted
        if p['type'] == events.EVENT_STATUS_UPDATED
    )
    for _, payload in emitted:
        validate_event(json.loads(dumps(payload)))


def test_payloads_re_encoded_by_php_still_validate():
    # Reverb relays client events re-encoded by PHP, Laravel decodes to arrays: an empty object
    # arrives as []; the health core's own events (no sensors, no components) included
    from rvm_health.health_config import HealthConfig
    from rvm_health.health_core import HealthCore

    core = HealthCore(HealthConfig(rvm_id='rvm-001'))
    payloads = [payload for _, payload in core.update(100.0)]
    health = next(p for p in payloads if p['type'] == events.EVENT_HEALTH_UPDATED)
    payloads.append({**health, 'temperatures': {}, 'gpu': {}, 'pipeline': {}})
    payloads.append({**health, 'pipeline': {**health['pipeline'], 'components': {}}})
    payloads.append(built(events.EVENT_SESSION_COMPLETED, counts={}))
    payloads += [built(name) for name in OUTBOUND]
    for payload in payloads:
        reencoded = php_reencoded(json.loads(dumps(payload)))
        validate_event(reencoded)
    assert php_reencoded({'a': {}})['a'] == []
    with pytest.raises(SchemaViolation):       # only the empty object may arrive as an array
        validate_event({**health, 'temperatures': [1.0]})


@pytest.mark.parametrize('limit', [10_000, 2_000, 700, 400])
def test_bridge_payload_limit_output_validates(limit):
    """What the bridge's payload limit makes of an oversized verdict still matches the schema."""
    from rvm_bridge.protocol.payload_limit import fit_payload

    payload = built(VERDICT, seq=7)
    payload['mask']['polygon'] = [[100.123456 + i, 200.654321 + (i % 9)] for i in range(64)]
    fitted = fit_payload(events.CHANNEL_DETECTIONS, VERDICT, payload, limit)
    assert fitted.text is not None
    wire = json.loads(fitted.text)
    validate_event(wire)
    assert wire.get('truncated', False) == fitted.truncated
    assert fitted.truncated == (limit < 1_000)


def test_laravel_guide_links_every_schema_and_names_every_event():
    from pathlib import Path

    guide = (Path(__file__).resolve().parents[1] / 'docs' / 'laravel.md').read_text(
        encoding='utf-8')
    for name in event_names():
        assert f'(../src/rvm_common/rvm_common/schemas/{name}.json)' in guide, name
        assert f'`{name}`' in guide, name
    for channel in (events.CHANNEL_STATUS, events.CHANNEL_DETECTIONS, events.CHANNEL_TIMEZONE):
        assert f'`{channel}`' in guide


@pytest.mark.parametrize('date_header, zone, status', [
    ('Thu, 26 Nov 2026 10:54:25 GMT', 'Asia/Jakarta', 'synced'),
    ('Thu, 26 Nov 2026 10:54:25 GMT', 'Asia/Kathmandu', 'synced'),      # +05:45
    (None, 'Asia/Jakarta', 'failed'),                                 # time source unreachable
    ('not a date', 'America/St_Johns', 'failed'),
    # unknown zone -> UTC, failed
    ('Thu, 26 Nov 2026 10:54:25 GMT', 'Mars/Olympus', 'failed'),
])
def test_bridge_timezone_sync_events_validate(date_header, zone, status):
    from rvm_bridge.timezone_sync import TimezoneSync

    def fetch(url, timeout):
        if date_header is None:
            raise OSError('connection refused')
        return date_header

    sync = TimezoneSync(
        url='http://server.example/', timezone_name=zone, rvm_id='rvm-001', fetch=fetch,
        wall_clock=lambda: 1_795_000_000.0)
    payload = json.loads(dumps(sync.sync('manual')))
    assert payload['status'] == status
    validate_event(payload)
