"""The four rclpy adapters run where ROS 2 is absent, against a fake rclpy (tests/launch/fake_ros):
construction, callbacks, QoS, logging bridge, parameter refusal and shutdown.  A subprocess keeps
the fake off this process's sys.path (other tests look for the real rclpy)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
FAKE = HERE / 'fake_ros'


def _run(*flags):
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(FAKE), os.environ.get('PYTHONPATH', '')]))
    return subprocess.run([sys.executable, str(FAKE / 'adapter_scenarios.py'), *flags], env=env,
                          capture_output=True, text=True, timeout=300)


def test_camera_health_and_bridge_adapters_under_a_fake_rclpy():
    result = _run()
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert result.stdout.strip().endswith('ADAPTERS OK')


@pytest.mark.slow
def test_the_detector_adapter_under_a_fake_rclpy():
    result = _run('--with-detector')
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert result.stdout.strip().endswith('ADAPTERS OK')
