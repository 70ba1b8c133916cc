"""JSON schema of status-updated and health-updated as the core emits them.

Always checked against the inline schemas below (the shape this package
promises); additionally against docs/schemas/*.json when the source tree has them.
"""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from health_test_support import WALL_START, camera_status, detector_status, scripted_resources
from jsonschema import Draft202012Validator, FormatChecker

from rvm_common import events
from rvm_health.health_config import HealthConfig
from rvm_health.health_core import HealthCore

ENVELOPE = {
    'type': {'const': None}, 'version': {'const': 1}, 'event_id': {'type': 'string', 'minLength': 8},
    'rvm_id': {'type': 'string', 'pattern': '^[A-Za-z0-9._-]{1,64}$'},
    'timestamp': {'type': 'string', 'pattern': r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$'},
}
ISO = {'type': 'string', 'pattern': r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$'}
NUM_OR_NULL = {'type': ['number', 'null']}

STATUS_SCHEMA = {
    'type': 'object',
    'required': ['type', 'version', 'event_id', 'rvm_id', 'timestamp', 'state', 'previous_state', 'reasons',
                 'alerts', 'since'],
    'additionalProperties': False,
    'properties': {
        **ENVELOPE, 'type': {'const': 'status-updated'},
        'state': {'enum': list(events.RVM_STATES)},
        'previous_state': {'enum': [*events.RVM_STATES, None]},
        'reasons': {'type': 'array', 'minItems': 1, 'items': {'type': 'string', 'minLength': 1}},
        'alerts': {'type': 'array', 'items': {
            'type': 'object', 'required': ['id', 'kind', 'level', 'message', 'since'],
            'additionalProperties': False,
            'properties': {'id': {'type': 'string'}, 'kind': {'enum': ['maintenance', 'error']},
                           'level': {'enum': ['warn', 'error']}, 'message': {'type': 'string'}, 'since': ISO}}},
        'since': ISO,
        'heartbeat': {'type': 'boolean'}, 'heartbeat_s': {'type': 'number', 'minimum': 0},
    },
}

HEALTH_SCHEMA = {
    'type': 'object',
    'required': ['type', 'version', 'event_id', 'rvm_id', 'timestamp', 'state', 'cpu', 'memory', 'disk',
                 'temperatures', 'gpu', 'pipeline', 'uptime_s', 'processes'],
    'additionalProperties': False,
    'properties': {
        **ENVELOPE, 'type': {'const': 'health-updated'},
        'state': {'enum': list(events.RVM_STATES)},
        'cpu': {'type': ['object', 'null'], 'required': ['percent', 'per_core', 'load_1m'],
                'properties': {'percent': {'type': 'number'}, 'per_core': {'type': 'array',
                               'items': {'type': 'number'}}, 'load_1m': {'type': 'number'}}},
        'memory': {'type': ['object', 'null'], 'required': ['percent', 'used_mb', 'total_mb', 'swap_percent']},
        'disk': {'type': 'array', 'items': {'type': 'object', 'required': ['path', 'percent', 'free_gb']}},
        'temperatures': {'type': 'object', 'additionalProperties': {'type': 'number'}},
        'gpu': {'type': ['object', 'null']},
        'processes': {'type': 'array'},
        'pipeline': {'type': 'object', 'required': ['camera_fps', 'detector_fps', 'bridge_state', 'components'],
                     'properties': {'camera_fps': NUM_OR_NULL, 'detector_fps': NUM_OR_NULL,
                                    'bridge_state': {'type': ['string', 'null']},
                                    'outbox_depth': {'type': 'integer', 'minimum': 0}}},
        'uptime_s': {'type': 'number', 'minimum': 0},
        'heartbeat_s': {'type': 'number', 'minimum': 0},
    },
}


def _docs_schemas() -> Path | None:
    for parent in Path(__file__).resolve().parents:
        candidate = parent / 'docs' / 'schemas'
        if (candidate / 'envelope.json').is_file():
            return candidate
    return None


DOCS = _docs_schemas()


def validate_against_docs(payload: dict) -> None:
    from referencing import Registry, Resource
    schemas = {p.stem: json.loads(p.read_text()) for p in DOCS.glob('*.json')}
    registry = Registry().with_resources((s['$id'], Resource.from_contents(s)) for s in schemas.values())
    Draft202012Validator(schemas[payload['type']], registry=registry,
                         format_checker=FormatChecker()).validate(payload)


def run_scenario(core_config: HealthConfig, real_resources: bool) -> list[tuple[str, dict]]:
    """Start, run, raise an alert, lose the camera, stop: every kind of status and health event."""
    resources, thermal = (None, None) if real_resources else scripted_resources()
    core = HealthCore(core_config, resources=resources, wall_clock=lambda: WALL_START)
    out = []
    for t in range(1, 40):
        if t < 30:
            core.observe(events.TOPIC_CAMERA_STATUS, camera_status(t * 10), float(t))
        core.observe(events.TOPIC_DETECTOR_STATUS, detector_status(t * 10), float(t))
        core.observe(events.TOPIC_BRIDGE_STATUS, {'state': 'connected', 'outbox_depth': 3}, float(t))
        if t == 5:
            core.observe(events.TOPIC_VERDICT, {'item_id': 'a', 'accepted': False}, float(t))
        if thermal is not None and t == 10:
            thermal.values['temperatures'] = {'cpu-thermal': 99.0}
        out += core.update(float(t))
    out += core.close(40.0)
    try:
        return out
    finally:
        core.resources.close()


@pytest.fixture(scope='module', params=['scripted', 'this-machine'])
def emitted(request):
    config = HealthConfig(rvm_id='rvm-001', health_rate=0.5, sample_period=0.0, tegrastats_command='x-none',
                          nvidia_smi_command='x-none')
    return run_scenario(config, real_resources=request.param == 'this-machine')


def test_status_payloads_match_the_schema(emitted):
    statuses = [p for t, p in emitted if t == events.TOPIC_RVM_STATUS]
    assert {p['state'] for p in statuses} >= {'online', 'error', 'offline'}
    for payload in statuses:
        jsonschema.validate(payload, STATUS_SCHEMA)
        json.loads(events.dumps(payload))  # serialisable with the wire settings (no NaN)


def test_health_payloads_match_the_schema(emitted):
    health = [p for t, p in emitted if t == events.TOPIC_HEALTH]
    assert len(health) >= 15
    for payload in health:
        jsonschema.validate(payload, HEALTH_SCHEMA)
        json.loads(events.dumps(payload))
    assert health[5]['pipeline']['outbox_depth'] == 3 and health[5]['pipeline']['bridge_state'] == 'connected'


def test_scripted_overheat_shows_both_alerts_in_status():
    config = HealthConfig(rvm_id='rvm-001', health_rate=0.5, sample_period=0.0)
    statuses = [p for t, p in run_scenario(config, real_resources=False) if t == events.TOPIC_RVM_STATUS]
    alert_ids = {a['id'] for p in statuses for a in p['alerts']}
    assert alert_ids == {'temperature_high', 'temperature_critical'}
    error = next(p for p in statuses if p['state'] == 'error')
    assert any('99.0 C' in reason for reason in error['reasons'])


@pytest.mark.skipif(DOCS is None, reason='docs/schemas not in this source tree (installed package)')
def test_payloads_match_docs_schemas(emitted):
    for topic, payload in emitted:
        validate_against_docs(payload)


def test_schema_rejects_a_wrong_state():
    bad = {'type': 'status-updated', 'version': 1, 'event_id': 'abcdefgh', 'rvm_id': 'r', 'timestamp':
           '2025-01-01T00:00:00.000Z', 'state': 'sleeping', 'previous_state': None, 'reasons': ['x'],
           'alerts': [], 'since': '2025-01-01T00:00:00.000Z'}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, STATUS_SCHEMA)
