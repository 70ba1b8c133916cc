"""The rclpy adapter; runs only where a ROS 2 Humble runtime is installed."""
from __future__ import annotations

import json
import time

import pytest

rclpy = pytest.importorskip('rclpy', reason='rclpy not available')


@pytest.mark.ros
def test_node_publishes_status_and_diagnostics():
    from diagnostic_msgs.msg import DiagnosticArray
    from std_msgs.msg import String

    from rvm_health.health_node import HealthNode

    rclpy.init()
    try:
        node = HealthNode()
        received: dict[str, list] = {'status': [], 'diag': []}
        listener = rclpy.create_node('health_test_listener')
        listener.create_subscription(String, 'rvm/status', lambda m: received['status'].append(m.data), 10)
        listener.create_subscription(DiagnosticArray, '/diagnostics', lambda m: received['diag'].append(m), 10)
        camera = listener.create_publisher(String, 'camera/status', 10)
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline and not (received['status'] and received['diag']):
            camera.publish(String(data='{broken json'))
            rclpy.spin_once(node, timeout_sec=0.05)
            rclpy.spin_once(listener, timeout_sec=0.05)
        assert json.loads(received['status'][0])['type'] == 'status-updated'
        assert any(s.name == 'rvm_health: RVM status' for s in received['diag'][0].status)
        assert node.core.counters['malformed'] >= 1
        node.shutdown()
        node.destroy_node()
        listener.destroy_node()
    finally:
        rclpy.try_shutdown()
