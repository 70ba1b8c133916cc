"""The rclpy adapter (runs where ROS 2 Humble is installed) and the rclpy-import boundary."""
import json
import re
import time
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / 'rvm_camera'
SAMPLE_VIDEO = Path(__file__).resolve().parents[3] / 'data' / 'sample' / 'rvm_sample.mp4'


def test_only_the_node_module_imports_rclpy():
    imports = re.compile(r'^\s*(import|from)\s+(rclpy|sensor_msgs|std_msgs|rcl_interfaces)\b',
                         re.MULTILINE)
    offenders = [p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob('*.py')
                 if imports.search(p.read_text(encoding='utf-8'))]
    assert offenders == ['camera_node.py']


def test_node_publishes_images_and_status():
    rclpy = pytest.importorskip('rclpy', reason='rclpy not available')
    from rclpy.parameter import Parameter
    from rclpy.qos import qos_profile_sensor_data
    from sensor_msgs.msg import Image
    from std_msgs.msg import String

    from rvm_camera.camera_node import CameraNode

    rclpy.init()
    try:
        probe = rclpy.create_node('camera_probe')
        images, statuses = [], []
        probe.create_subscription(Image, 'image_raw', images.append, qos_profile_sensor_data)
        probe.create_subscription(String, 'camera/status', lambda m: statuses.append(m.data), 10)
        overrides = [Parameter('source', value=str(SAMPLE_VIDEO)), Parameter('fps', value=10.0),
                     Parameter('frame_id', value='test_cam'), Parameter('loop', value=True),
                     Parameter('wait_for_detector', value=False)]
        node = CameraNode(parameter_overrides=overrides)
        from rclpy.executors import SingleThreadedExecutor
        executor = SingleThreadedExecutor()
        executor.add_node(node)
        executor.add_node(probe)
        deadline = time.monotonic() + 10.0
        while time.monotonic() < deadline and (len(images) < 5 or not statuses):
            executor.spin_once(timeout_sec=0.1)
        assert len(images) >= 5
        assert images[0].encoding == 'bgr8' and images[0].header.frame_id == 'test_cam'
        assert (images[0].width, images[0].height) == (640, 480)
        status = json.loads(statuses[-1])
        assert status['type'] == 'camera-status' and status['state'] == 'online'
        node.destroy_node()
        probe.destroy_node()
    finally:
        rclpy.try_shutdown()


def _pump(source, gate):
    from camera_fakes import FakeClock

    from rvm_camera.camera_config import CameraConfig
    from rvm_camera.camera_core import CameraCore
    from rvm_camera.ready_gate import FramePump
    clock = FakeClock()
    core = CameraCore(CameraConfig(source='fake', fps=0.0), clock, sleep=clock.sleep,
                      wall_clock_ns=clock.wall_ns, source_factory=lambda cfg: source)
    core.open()
    published, statuses = [], []
    return FramePump(core, gate, published.append, statuses.extend), published, statuses


def test_a_recorded_source_publishes_no_frame_before_the_detector_is_ready():
    from camera_fakes import MediaFake

    from rvm_camera.ready_gate import DetectorReadyGate
    gate = DetectorReadyGate(required=True)
    pump, published, _statuses = _pump(MediaFake(count=5), gate)
    for _ in range(3):
        assert pump.step(wait_s=0.0) is True
    assert published == [] and pump.held_rounds == 3 and pump.holding
    gate.observe({'state': 'loading'})
    gate.observe({'state': 'error', 'last_error': 'model missing'})
    assert pump.step(wait_s=0.0) and published == []
    gate.observe({'state': 'ready'})
    while pump.step(wait_s=0.0):
        pass
    assert [f.seq for f in published] == [1, 2, 3, 4, 5], 'the first frame is not lost'


def test_live_sources_and_a_disabled_gate_never_wait():
    from camera_fakes import FakeClock, LiveFake, MediaFake

    from rvm_camera.ready_gate import DetectorReadyGate
    pump, published, _ = _pump(LiveFake(FakeClock()), DetectorReadyGate(required=True))
    pump.step(wait_s=0.0)
    assert len(published) == 1 and not pump.holding
    pump, published, _ = _pump(MediaFake(count=2), DetectorReadyGate(required=False))
    pump.step(wait_s=0.0)
    assert len(published) == 1


@pytest.mark.ros
def test_status_is_latched_and_runtime_parameter_changes_are_refused():
    rclpy = pytest.importorskip('rclpy', reason='rclpy not available')
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.parameter import Parameter
    from std_msgs.msg import String

    from rvm_camera.camera_node import CameraNode
    from rvm_common.qos_profiles import qos_for
    from rvm_common.spin_node import to_rclpy

    rclpy.init()
    try:
        node = CameraNode(parameter_overrides=[Parameter('source', value=str(SAMPLE_VIDEO)),
                                               Parameter('rvm_id', value='42')])
        assert node.pump.holding, 'a recorded source waits for detector/status ready'
        result, = node.set_parameters([Parameter('fps', value=5.0)])
        assert not result.successful and 'not applied at run time' in result.reason
        executor = SingleThreadedExecutor()
        executor.add_node(node)
        for _ in range(5):
            executor.spin_once(timeout_sec=0.05)
        late = rclpy.create_node('camera_late_joiner')          # subscribes after the publication
        statuses = []
        late.create_subscription(String, 'camera/status', lambda m: statuses.append(m.data),
                                 to_rclpy(qos_for('camera/status')))
        executor.add_node(late)
        deadline = time.monotonic() + 5.0
        while not statuses and time.monotonic() < deadline:
            executor.spin_once(timeout_sec=0.05)
        assert statuses and json.loads(statuses[0])['rvm_id'] == '42'
        node.destroy_node()
        late.destroy_node()
    finally:
        rclpy.try_shutdown()
