"""Fixtures for rvm_health tests."""
from __future__ import annotations

import pytest
from health_test_support import WALL_START, ScriptedCollector, scripted_resources

from rvm_common.log_propagation import propagating_rvm_loggers
from rvm_health.health_config import HealthConfig
from rvm_health.health_core import HealthCore


@pytest.fixture
def core_and_thermal() -> tuple[HealthCore, ScriptedCollector]:
    resources, thermal = scripted_resources()
    core = HealthCore(HealthConfig(rvm_id='rvm-test-01', health_rate=0.2, sample_period=0.0,
                                   status_heartbeat_s=0.0),
                      resources=resources, wall_clock=lambda: WALL_START)
    return core, thermal


@pytest.fixture(autouse=True)
def _rvm_logs_reach_caplog():
    """Under ROS's pytest plugins (LaunchLogger: propagate=False) caplog still sees our records."""
    with propagating_rvm_loggers():
        yield
