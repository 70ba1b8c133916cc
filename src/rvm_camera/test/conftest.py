"""Shared test setup of rvm_camera: camera_fakes importable, rvm logs reach caplog."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rvm_common.log_propagation import propagating_rvm_loggers  # noqa: E402


@pytest.fixture(autouse=True)
def _rvm_logs_reach_caplog():
    """Under ROS's pytest plugins (LaunchLogger: propagate=False) caplog still sees our records."""
    with propagating_rvm_loggers():
        yield
