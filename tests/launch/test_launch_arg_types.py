"""launch_testing: numeric-looking launch arguments stay strings (``camera_source:=0``,
``rvm_id:=42``), and ``ros2 param set`` on a value nothing applies is refused.

Runs under ROS 2 Humble only; skipped elsewhere with the reason "rclpy not available".
The camera has no /dev/video0 here: it must stay up, reconnecting, instead of dying on an
``InvalidParameterTypeException``.
"""
from __future__ import annotations

import os
import tempfile
import unittest
from pathlib import Path

import pytest

pytest.importorskip('rclpy', reason='rclpy not available')
pytest.importorskip('launch_testing', reason='rclpy not available')
pytest.importorskip('launch_ros', reason='rclpy not available')

import launch_testing.actions  # noqa: E402
import launch_testing.markers  # noqa: E402
import rclpy  # noqa: E402
from launch import LaunchDescription  # noqa: E402
from launch.actions import IncludeLaunchDescription, SetEnvironmentVariable  # noqa: E402
from launch.launch_description_sources import PythonLaunchDescriptionSource  # noqa: E402

from graph_support import LAUNCH, Probe, isolate_ros, wait_until, write_params  # noqa: E402

ENV = isolate_ros(offset=50)


@pytest.mark.launch_test
@launch_testing.markers.keep_alive
def generate_test_description():
    os.environ.update(ENV)       # pytest may have imported another graph test since
    tmp = Path(tempfile.mkdtemp(prefix='rvm-args-'))
    params = write_params(tmp / 'p.yaml', {'/**/bridge': {'outbox_path': str(tmp / 'o.sqlite3'),
                                                          'timezone_sync_on_start': False}})
    graph = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(str(LAUNCH)),
        launch_arguments={'params_file': str(params), 'camera_source': '0', 'rvm_id': '42',
                          'bridge_port': '6001', 'respawn': 'false'}.items())
    environment = [SetEnvironmentVariable(name, value) for name, value in ENV.items()]
    return LaunchDescription(environment + [graph, launch_testing.actions.ReadyToTest()])


class TestLaunchArgumentTypes(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        os.environ.update(ENV)       # the graph's domain, whatever was imported last
        rclpy.init()
        cls.probe = Probe('args_probe')

    @classmethod
    def tearDownClass(cls):
        cls.probe.close()
        rclpy.try_shutdown()

    def test_numeric_strings_stay_strings_and_the_port_an_integer(self):
        from rcl_interfaces.msg import ParameterType
        source, rvm_id = self.probe.parameters('/rvm/camera', ['source', 'rvm_id'], timeout=60.0)
        self.assertEqual((source.type, source.string_value), (ParameterType.PARAMETER_STRING, '0'))
        self.assertEqual(
            (rvm_id.type, rvm_id.string_value), (ParameterType.PARAMETER_STRING, '42'))
        port, = self.probe.parameters('/rvm/bridge', ['port'])
        self.assertEqual((port.type, port.integer_value), (ParameterType.PARAMETER_INTEGER, 6001))

    def test_a_parameter_nothing_applies_is_refused(self):
        from rcl_interfaces.msg import Parameter, ParameterType, ParameterValue
        from rcl_interfaces.srv import SetParameters
        client = self.probe.node.create_client(SetParameters, '/rvm/camera/set_parameters')
        self.assertTrue(client.wait_for_service(timeout_sec=60.0))
        value = ParameterValue(type=ParameterType.PARAMETER_DOUBLE, double_value=5.0)
        future = client.call_async(
            SetParameters.Request(parameters=[Parameter(name='fps', value=value)]))
        self.assertTrue(wait_until(future.done, timeout=10.0))
        result, = future.result().results
        self.assertFalse(result.successful)
        self.assertIn('not applied at run time', result.reason)
