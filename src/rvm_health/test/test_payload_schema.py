"""status-updated and health-updated as the core emits them, against the event contract.

Every payload is validated with :mod:`rvm_common.contract` (the package's JSON Schemas) after a
JSON round trip; the fields this package always sends, beyond what the contract requires, are
asserted here.
"""
from __future__ import annotations

import json

import pytest
from health_test_support import WALL_START, camera_status, detector_status, scripted_resources

from rvm_common import contract, events
from rvm_common.contract import laravel_reencoded as php_reencoded
from rvm_health.health_config import HealthConfig
from rvm_health.health_core import HealthCore

#: Always sent by this package (the contract allows older senders to omit some).
STATUS_FIELDS = {
    'type', 'version', 'event_id', 'rvm_id', 'timestamp', 'state', 'previous_state', 'reasons',
    'alerts', 'since'}
HEALTH_FIELDS = {
    'type', 'version', 'event_id', 'rvm_id', 'timestamp', 'state', 'cpu', 'memory', 'disk',
    'temperatures', 'gpu', 'pipeline', 'uptime_s', 'processes'}
PIPELINE_FIELDS = {'camera_fps', 'detector_fps', 'bridge_state', 'components'}


def on_the_wire(payload: dict) -> dict:
    """``payload`` as the bridge sends it (strict JSON: no NaN, everything serialisable)."""
    return json.loads(events.dumps(payload))


def run_scenario(core_config: HealthConfig, real_resources: bool) -> list[tuple[str, dict]]:
    """Start, run, raise an alert, lose the camera, stop: every kind of status and health event."""
    resources, thermal = (None, None) if real_resources else scripted_resources()
    core = HealthCore(core_config, resources=resources, wall_clock=lambda: WALL_START)
    out = []
    for t in range(1, 40):
        if t < 30:
            core.observe(events.TOPIC_CAMERA_STATUS, camera_status(t * 10), float(t))
        core.observe(events.TOPIC_DETECTOR_STATUS, detector_status(t * 10), float(t))
        core.observe(
            events.TOPIC_BRIDGE_STATUS, {'state': 'connected', 'outbox_depth': 3}, float(t))
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
    config = HealthConfig(
        rvm_id='rvm-001', health_rate=0.5, sample_period=0.0, tegrastats_command='x-none',
        nvidia_smi_command='x-none')
    return run_scenario(config, real_resources=request.param == 'this-machine')


def test_status_payloads_match_the_contract(emitted):
    statuses = [p for t, p in emitted if t == events.TOPIC_RVM_STATUS]
    assert {p['state'] for p in statuses} >= {'online', 'error', 'offline'}
    for payload in statuses:
        assert contract.errors(on_the_wire(payload)) == []
        assert STATUS_FIELDS <= payload.keys()


def test_health_payloads_match_the_contract(emitted):
    health = [p for t, p in emitted if t == events.TOPIC_HEALTH]
    assert len(health) >= 15
    for payload in health:
        assert contract.errors(on_the_wire(payload)) == []
        assert HEALTH_FIELDS <= payload.keys() and PIPELINE_FIELDS <= payload['pipeline'].keys()
    assert (
        health[5]['pipeline']['outbox_depth'] == 3
        and health[5]['pipeline']['bridge_state'] == 'connected'
    )


def test_every_emitted_payload_is_a_contract_event(emitted):
    assert {p['type'] for _, p in emitted} == {'status-updated', 'health-updated'}
    for _, payload in emitted:
        contract.validate(on_the_wire(payload))


def test_scripted_overheat_shows_both_alerts_in_status():
    config = HealthConfig(rvm_id='rvm-001', health_rate=0.5, sample_period=0.0)
    statuses = [
        p for t, p in run_scenario(config, real_resources=False) if t == events.TOPIC_RVM_STATUS]
    alert_ids = {a['id'] for p in statuses for a in p['alerts']}
    assert alert_ids == {'temperature_high', 'temperature_critical'}
    error = next(p for p in statuses if p['state'] == 'error')
    assert any('99.0 C' in reason for reason in error['reasons'])


def test_the_contract_rejects_a_wrong_state():
    bad = {
        'type': 'status-updated', 'version': 1, 'event_id': 'abcdefgh', 'rvm_id': 'r',
        'timestamp': '2025-01-01T00:00:00.000Z', 'state': 'sleeping', 'previous_state': None,
        'reasons': ['x'], 'alerts': [], 'since': '2025-01-01T00:00:00.000Z'}
    assert contract.errors(dict(bad, state='online')) == []
    with pytest.raises(contract.ContractError, match='sleeping'):
        contract.validate(bad)


@pytest.mark.parametrize('restarts', [{}, {'rvm-bridge-sender': 2}])
def test_bridge_thread_restarts_in_health_match_the_contract_also_re_encoded_by_php(restarts):
    config = HealthConfig(rvm_id='rvm-001', health_rate=0.5, sample_period=0.0)
    resources, _ = scripted_resources()
    core = HealthCore(config, resources=resources, wall_clock=lambda: WALL_START)
    status = {'state': 'connected', 'threads': {'restarts': restarts, 'last_errors': {}}}
    core.observe(events.TOPIC_BRIDGE_STATUS, status, 1.0)
    health = next(p for t, p in core.update(1.0) if t == events.TOPIC_HEALTH)
    core.resources.close()
    assert health['pipeline']['bridge_thread_restarts'] == sum(restarts.values())
    assert health['pipeline']['bridge_threads_restarted'] == restarts
    for wire in (on_the_wire(health), php_reencoded(on_the_wire(health))):
        assert contract.errors(wire) == []
    assert contract.errors(on_the_wire(
        {**health, 'pipeline': {**health['pipeline'], 'bridge_thread_restarts': -1}})) != []


def test_repeated_bridge_thread_restarts_raise_an_alert_that_clears():
    config = HealthConfig(rvm_id='rvm-001', health_rate=0.5, sample_period=0.0)
    resources, _ = scripted_resources()
    core = HealthCore(config, resources=resources, wall_clock=lambda: WALL_START)
    alerts = []
    for t, total in ((1, 0), (5, 1), (10, 3), (700, 3)):
        status = {'state': 'connected', 'threads': {'restarts': {'rvm-bridge-sender': total}}}
        core.observe(events.TOPIC_BRIDGE_STATUS, status, float(t))
        core.update(float(t))
        alerts.append({a['id'] for a in core.status_payload(float(t))['alerts']})
    core.resources.close()
    assert alerts == [set(), set(), {'bridge_threads_restarting'}, set()]
