"""One machine id everywhere: with ``rvm_id`` empty, /diagnostics names the machine exactly as
every event (``resolve_rvm_id``: ``rvm-<hostname>``), never by the raw hostname."""
from __future__ import annotations

import socket

from health_test_support import WALL_START, scripted_resources

from rvm_common import events
from rvm_health.health_config import HealthConfig
from rvm_health.health_core import HealthCore


def test_diagnostics_and_events_name_the_machine_alike_when_rvm_id_is_empty(monkeypatch):
    monkeypatch.setattr(socket, 'gethostname', lambda: 'jetson.plant-3 line2')
    resources, _thermal = scripted_resources()
    core = HealthCore(HealthConfig(rvm_id='', sample_period=0.0, status_heartbeat_s=0.0),
                      resources=resources, wall_clock=lambda: WALL_START)
    emitted = core.update(1.0)
    status = next(p for topic, p in emitted if topic == events.TOPIC_RVM_STATUS)
    expected = events.resolve_rvm_id('')
    assert expected.startswith('rvm-jetson') and ' ' not in expected and '.' not in expected
    assert status['rvm_id'] == expected
    ids = {s['hardware_id'] for s in core.diagnostics(1.0)}
    assert ids == {expected}, f'/diagnostics must use {expected!r}, got {ids}'
