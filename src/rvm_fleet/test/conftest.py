"""Shared test setup of rvm_fleet: rvm logs reach caplog under ROS's pytest plugins too."""
import pytest

from rvm_common.log_propagation import propagating_rvm_loggers


@pytest.fixture(autouse=True)
def _rvm_logs_reach_caplog():
    """Under ROS's pytest plugins (LaunchLogger: propagate=False) caplog still sees our records."""
    with propagating_rvm_loggers():
        yield
