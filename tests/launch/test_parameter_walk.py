"""Every declared parameter of every node either applies at run time or is read-only (in its
descriptor, in the shipped params YAML, and refused by rclpy's rule); ``ros2 param set``
answers truthfully.  Runs tests/launch/fake_ros/param_walk.py against the four adapters under
the fake rclpy, in a subprocess (the fake stays off this process's sys.path)."""
import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rvm_bringup.params_yaml import node_configs
from rvm_common.live_params import read_only_names

HERE = Path(__file__).resolve().parent
FAKE = HERE / 'fake_ros'


def _walk(*flags):
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(FAKE), os.environ.get('PYTHONPATH', '')]))
    return subprocess.run([sys.executable, str(FAKE / 'param_walk.py'), *flags], env=env,
                          capture_output=True, text=True, timeout=300)


def _declared(names=('camera', 'health', 'bridge')):
    return sum(len(dataclasses.fields(cls)) for node, cls, _t in node_configs() if node in names)


def test_camera_health_and_bridge_walk_every_declared_parameter():
    result = _walk()
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    last = result.stdout.strip().splitlines()[-1]
    assert last == f'PARAMETERS OK {_declared()}', last


@pytest.mark.slow
def test_the_detector_walks_every_declared_parameter_too():
    result = _walk('--with-detector')
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    last = result.stdout.strip().splitlines()[-1]
    assert last == f'PARAMETERS OK {_declared(("camera", "health", "bridge", "detector"))}'


def test_the_machine_id_is_read_only_on_every_node():
    """One machine id everywhere: no node may change it alone at run time."""
    assert all('rvm_id' in read_only_names(cls) for _node, cls, _t in node_configs())
