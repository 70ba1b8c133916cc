"""status-updated is repeated unchanged every status_heartbeat_s (heartbeat: true) for late-joining
dashboards; health-updated says its own period. Driven with an injected clock (``now``)."""
from __future__ import annotations

from health_test_support import WALL_START, camera_status, detector_status, scripted_resources

from rvm_common import events
from rvm_health.health_config import HealthConfig
from rvm_health.health_core import HealthCore


def run(core: HealthCore, start: int, end: int) -> list[tuple[float, dict]]:
    """Feed camera/detector statuses each second; return (t, status-updated) pairs emitted."""
    out = []
    for t in range(start, end + 1):
        core.observe(events.TOPIC_CAMERA_STATUS, camera_status(10 * t), float(t))
        core.observe(events.TOPIC_DETECTOR_STATUS, detector_status(10 * t), float(t))
        out += [
            (float(t), p) for topic, p in core.update(float(t)) if topic == events.TOPIC_RVM_STATUS
        ]
    return out


def make_core(**overrides) -> HealthCore:
    resources, _ = scripted_resources()
    config = HealthConfig(
        **{'rvm_id': 'rvm-hb', 'health_rate': 0.2, 'sample_period': 0.0, **overrides})
    return HealthCore(config, resources=resources, wall_clock=lambda: WALL_START)


def test_unchanged_status_is_repeated_as_a_heartbeat_each_period():
    core = make_core(status_heartbeat_s=10.0)
    emitted = run(core, 1, 25)
    assert [t for t, _ in emitted] == [1.0, 11.0, 21.0]
    first, *repeats = [p for _, p in emitted]
    assert first['heartbeat'] is False and first['heartbeat_s'] == 10.0
    assert all(
        p['heartbeat'] is True and p['state'] == first['state'] == 'online' for p in repeats)
    assert all(p['since'] == first['since'] for p in repeats)         # the state did not change
    assert len({p['event_id'] for _, p in emitted}) == 3                # each one a new event
    assert [p['timestamp'] for p in repeats] == [
        events.utc_iso(WALL_START + 10), events.utc_iso(WALL_START + 20)]


def test_a_change_restarts_the_heartbeat_period():
    core = make_core(status_heartbeat_s=10.0)
    run(core, 1, 5)
    core.observe(events.TOPIC_COMMAND, {'command': 'maintenance_on'}, 6.0)
    emitted = run(core, 6, 20)
    assert [(t, p['state'], p['heartbeat']) for t, p in emitted] == [
        (6.0, 'maintenance', False), (16.0, 'maintenance', True)]


def test_zero_period_sends_status_only_on_change():
    core = make_core(status_heartbeat_s=0.0)
    assert [t for t, _ in run(core, 1, 50)] == [1.0]


def test_health_updated_carries_its_period():
    core = make_core(health_rate=0.5)
    core.update(0.0)
    assert core.health_payload(0.0)['heartbeat_s'] == 2.0
    silent = make_core(health_rate=0.0)
    silent.update(0.0)
    assert silent.health_payload(0.0)['heartbeat_s'] == 0.0
