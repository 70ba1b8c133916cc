"""caplog works the same with and without ROS's pytest plugins (LaunchLogger: propagate=False)."""
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rvm_common.log_propagation import propagating_rvm_loggers

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
#: the tests that failed under a real Humble (issue 13), plus one per other caplog user
CAPLOG_TESTS = [
    (
        'src/rvm_camera/test/test_camera_core.py::'
        'test_device_missing_at_start_retries_with_capped_backoff_then_resumes'
    ),
    'src/rvm_camera/test/test_file_sources.py::test_truncated_video_ends_with_a_clear_reason',
    (
        'src/rvm_bridge/test/test_connection_stats.py::'
        'test_a_flood_of_malformed_frames_logs_the_first_ten_then_every_hundredth'
    ),
    'src/rvm_bridge/test/test_outbox.py::test_reject_new_refuses_and_counts',
]


class NoPropagate(logging.Logger):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.propagate = False


@pytest.fixture
def launch_logger_class():
    previous = logging.getLoggerClass()
    logging.setLoggerClass(NoPropagate)
    yield
    logging.setLoggerClass(previous)


def test_records_of_existing_and_new_rvm_loggers_reach_caplog(launch_logger_class, caplog):
    with propagating_rvm_loggers():   # the conftest fixture has already run: nest a second one
        pass
    early = logging.getLogger('rvm_proof_early.core')        # created at import time under ROS
    assert early.propagate is False
    early.warning('lost')
    assert caplog.records == [], 'what ROS plugins do: caplog sees nothing'
    with propagating_rvm_loggers():
        late = logging.getLogger('rvm_proof_late.core')      # a lazy import inside a test
        early.warning('early')
        late.warning('late')
        other = logging.getLogger('thirdparty_proof')
        assert other.propagate is False, 'other libraries keep the installed behaviour'
    assert [r.getMessage() for r in caplog.records] == ['early', 'late']
    assert early.propagate is False, 'restored after the block'
    assert logging.getLoggerClass() is NoPropagate


def test_the_caplog_tests_pass_under_a_launch_logger_class():
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get('PYTHONPATH', '')]))
    result = subprocess.run(
        [
            sys.executable, '-m', 'pytest', '-q', '-p', 'launch_logger_plugin', '-p',
            'no:cacheprovider', *CAPLOG_TESTS],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert '4 passed' in result.stdout
