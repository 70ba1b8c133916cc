"""Drive the four rclpy adapters under the fake rclpy (run by test_adapters_fake_ros.py).

Each scenario asserts what the adapter published; the last line printed is ``ADAPTERS OK``.
"""
import json
import sys
import tempfile
import time
import types
from pathlib import Path

from std_msgs.msg import String

SAMPLE = Path(__file__).resolve().parents[3] / 'data' / 'sample' / 'rvm_sample.mp4'


def param(name, value):
    return types.SimpleNamespace(name=name, value=value)


def last(publisher):
    return json.loads(publisher.sent[-1].data)


def wait_until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.02)
    return predicate()


def camera():
    from rvm_camera.camera_node import CameraNode
    node = CameraNode(parameter_overrides=[param('source', str(SAMPLE)), param('rvm_id', '42')])
    time.sleep(0.3)
    assert (
        node.pump.holding and node.image_pub.sent == []
    ), 'a recorded source waits for the detector'
    assert node.status_pub.qos.durability.name == 'TRANSIENT_LOCAL'
    node.subs['detector/status'].callback(String(data=json.dumps({'state': 'ready'})))
    assert wait_until(
        lambda: len(node.image_pub.sent) >= 3), 'frames flow once the detector is ready'
    refused, = node.set_parameters([param('source', '/dev/video1')])
    assert not refused.successful and 'read-only' in refused.reason
    applied, = node.set_parameters([param('fps', 5.0)])
    assert applied.successful and node.core.config.fps == 5.0, 'a set that succeeds applies'
    node.timers[0][1]()
    assert last(node.status_pub)['rvm_id'] == '42'
    node.shutdown()
    assert last(node.status_pub)['state'] == 'offline'
    node.destroy_node()
    assert any('holding frames' in text for _level, text in node.get_logger().lines)


def health():
    from rvm_health.health_node import HealthNode
    node = HealthNode(
        parameter_overrides=[param('camera_watch', 'compressed'), param('rvm_id', '42')])
    assert 'image_raw/compressed' in node.subs and 'camera/status' not in node.subs
    assert {'status', 'health'} <= set(node.pubs) and 'rvm/status' not in node.pubs
    node.subs['image_raw/compressed'].callback(None)
    node.on_tick()
    node.on_diagnostics()
    node.shutdown()
    final = last(node.status_publisher)
    assert (final['state'], final['rvm_id']) == ('offline', '42')
    node.destroy_node()


def bridge(tmp):
    from rvm_bridge.bridge_node import BridgeNode
    node = BridgeNode(parameter_overrides=[param('host', 'myrvm.example'), param('rvm_id', '42'),
                                           param('outbox_path', f'{tmp}/outbox.sqlite3'),
                                           param('timezone_sync_on_start', False)])
    assert 'app_key is required' in node.config_error
    errors = [text for level, text in node.get_logger().lines if level == 'ERROR']
    assert (
        len(errors) == 1 and 'config_fallback' in errors[0]), 'core logs reach the ROS logger once'
    verdict_qos = node.subs['items/verdict'].qos
    assert verdict_qos.durability.name == 'TRANSIENT_LOCAL' and verdict_qos.depth >= 200
    payload = json.dumps({'type': 'detection-completed', 'event_id': 'e1', 'rvm_id': '42'})
    node.on_message('items/verdict', String(data=payload))
    node.on_message('items/verdict', String(data=payload))      # replayed history after a respawn
    assert node.core.outbox.settle(5.0)       # the outbox writer committed (outbox_group_ms)
    assert node.core.outbox.depth() == 1
    node.on_core_output('bridge/status', node.core.status())
    assert last(node.output_publishers['bridge/status'])['state'] == 'error'
    node.shutdown()
    node.destroy_node()


def bridge_drains_before_it_stops(tmp):
    """Every node signalled at once: the health node's final status arrives while the bridge
    drains; the bridge stops only once the health node is gone, and the status is in the outbox."""
    from rclpy.node import Node

    from rvm_bridge.bridge_node import BridgeNode
    from rvm_bridge.outbox.outbox import Outbox
    node = BridgeNode(parameter_overrides=[param('rvm_id', '42'),
                                           param('outbox_path', f'{tmp}/drain.sqlite3'),
                                           param('timezone_sync_on_start', False)])
    health = Node('health')
    health.create_publisher(String, 'status', None)
    assert node.producers_present() and 'status' in node.producer_topics()
    assert 'timezone/synced' not in node.producer_topics(), 'its own topic is no producer'
    final = {'type': 'status-updated', 'event_id': 'final-1', 'rvm_id': '42', 'state': 'offline'}
    rounds = []

    def spin_once(timeout_s):
        rounds.append(timeout_s)
        if len(rounds) == 3:
            node.on_message('status', String(data=json.dumps(final)))
            health.destroy_node()
    node.drain_before_shutdown(spin_once)
    assert 3 < len(rounds) < 20, len(rounds)
    assert any('every node publishing to the bridge is gone' in text
               for _level, text in node.get_logger().lines)
    node.shutdown()
    node.destroy_node()
    box = Outbox(f'{tmp}/drain.sqlite3')
    try:
        assert [json.loads(e.payload)['event_id'] for e in box.peek(10)] == ['final-1']
    finally:
        box.close()


def detector():
    import cv2
    import numpy as np

    from rvm_detector.detector_node import DetectorNode
    node = DetectorNode(
        parameter_overrides=[
            param('image_input', 'compressed'), param('device', 'cpu'), param('rvm_id', '42')]
    )
    assert set(node.subs) == {'image_raw/compressed', 'command'}
    assert (
        json.loads(node.pub_status.sent[0].data)['state'] == 'ready'
    ), 'ready announced once loaded'
    import threading
    drawn_on, draw = [], node.debug.draw_frame
    node.debug.draw_frame = lambda f: drawn_on.append(threading.current_thread().name) or draw(f)
    _ok, jpeg = cv2.imencode('.jpg', np.zeros((480, 640, 3), np.uint8))
    stamp = types.SimpleNamespace(sec=1, nanosec=0)
    node.subs['image_raw/compressed'].callback(
        types.SimpleNamespace(
            format='jpeg', data=jpeg.tobytes(),
            header=types.SimpleNamespace(stamp=stamp, frame_id='cam'))
    )
    assert wait_until(lambda: node.core.status()['frames_processed'] == 1, timeout=30.0)
    assert wait_until(lambda: len(node.pub_debug['label_mask'].sent) == 1)
    assert len(node.pub_debug['annotated'].sent) == 1
    assert drawn_on == ['detector-debug-images'], 'debug images are drawn off the inference thread'
    node.shutdown()
    node.destroy_node()


if __name__ == '__main__':
    camera()
    health()
    bridge(tempfile.mkdtemp())
    bridge_drains_before_it_stops(tempfile.mkdtemp())
    if '--with-detector' in sys.argv:
        detector()
    print('ADAPTERS OK')
