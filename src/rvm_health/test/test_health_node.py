"""The rclpy adapter; runs only where a ROS 2 Humble runtime is installed."""
from __future__ import annotations

import json
import time

import pytest
from health_test_support import detector_status

from rvm_common import events
from rvm_health.image_watch import WATCH_TOPICS, ImageArrivalWatch


def _rvm_states(core, watch, seconds, frames_per_s, t0=0.0):
    """Drive the core as the node does with camera_watch: image (1 s ticks, no camera/status)."""
    states, t = [], t0
    for i in range(seconds):
        t += 1.0
        for _ in range(frames_per_s):
            watch.on_image()
        status = watch.status()
        if status is not None:
            core.observe(events.TOPIC_CAMERA_STATUS, status, t)
        core.observe(events.TOPIC_DETECTOR_STATUS, detector_status(10 * (i + 1)), t)
        states += [p for topic, p in core.update(t) if topic == events.TOPIC_RVM_STATUS]
    return states, t


def test_without_a_camera_node_image_arrivals_keep_the_rvm_out_of_error(core_and_thermal):
    core, _ = core_and_thermal
    watch = ImageArrivalWatch(WATCH_TOPICS['compressed'])
    states, t = _rvm_states(core, watch, 30, frames_per_s=10)
    assert [s['state'] for s in states] == ['online']
    # the replay ends: no new frames -> the camera goes stale -> error, with the reason
    states, _ = _rvm_states(core, watch, 10, frames_per_s=0, t0=t)
    assert states[-1]['state'] == 'error' and 'camera' in states[-1]['reasons'][0]


def test_the_watch_reports_only_when_frames_arrived():
    watch = ImageArrivalWatch('image_raw')
    assert watch.status() is None
    watch.on_image()
    watch.on_image()
    assert watch.status() == {'state': 'online', 'source': 'image_raw (no camera node)',
                              'frames_published': 2}
    assert watch.status() is None
    assert set(WATCH_TOPICS) == {'status', 'image', 'compressed'}


@pytest.mark.ros
def test_node_publishes_status_and_diagnostics():
    rclpy = pytest.importorskip('rclpy', reason='rclpy not available')
    from diagnostic_msgs.msg import DiagnosticArray
    from std_msgs.msg import String

    from rvm_health.health_node import HealthNode

    rclpy.init()
    try:
        node = HealthNode()
        received: dict[str, list] = {'status': [], 'diag': []}
        listener = rclpy.create_node('health_test_listener')
        listener.create_subscription(String, events.TOPIC_RVM_STATUS,
                                     lambda m: received['status'].append(m.data), 10)
        listener.create_subscription(
            DiagnosticArray, '/diagnostics', lambda m: received['diag'].append(m), 10)
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
