"""The rclpy adapter (where a ROS 2 runtime exists) and its ROS-free helpers."""
import types

import cv2
import numpy as np
import pytest


def test_compressed_images_decode_to_bgr_frames():
    from rvm_common.image_conv import ImageConversionError
    from rvm_detector.frame_input import compressed_msg_to_bgr
    frame = np.zeros((48, 64, 3), np.uint8)
    frame[:, :32] = (255, 0, 0)
    ok, jpeg = cv2.imencode('.jpg', frame)
    stamp = types.SimpleNamespace(sec=3, nanosec=5)
    msg = types.SimpleNamespace(format='jpeg', data=jpeg.tobytes(),
                                header=types.SimpleNamespace(stamp=stamp, frame_id='cam'))
    image, stamp_ns, frame_id = compressed_msg_to_bgr(msg)
    assert image.shape == (48, 64, 3) and stamp_ns == 3_000_000_005 and frame_id == 'cam'
    assert abs(int(image[10, 5, 0]) - 255) < 10 and int(image[10, 50, 0]) < 10
    with pytest.raises(ImageConversionError, match='does not decode'):
        compressed_msg_to_bgr(
            types.SimpleNamespace(format='jpeg', data=b'garbage', header=msg.header))


try:
    import rclpy
except ImportError:
    rclpy = None
ros = pytest.mark.skipif(rclpy is None, reason='rclpy not available')


@pytest.mark.ros
@ros
def test_node_starts_and_reports_a_missing_model_on_status(tmp_path):
    from rclpy.parameter import Parameter

    from rvm_detector.detector_node import DetectorNode

    rclpy.init()
    try:
        # the default model may be absent in a fresh checkout: the node must stay up with state
        # error
        node = DetectorNode()
        status = node.core.status()
        assert status['state'] in ('ready', 'error')
        node.set_parameters([Parameter('publish_annotated', value=False)])
        node.destroy_node()
    finally:
        rclpy.try_shutdown()


@pytest.mark.ros
@ros
def test_compressed_input_subscribes_image_raw_compressed():
    from rclpy.parameter import Parameter

    from rvm_detector.detector_node import DetectorNode

    rclpy.init()
    try:
        node = DetectorNode(parameter_overrides=[Parameter('image_input', value='compressed')])
        topics = {s.topic_name for s in node.subscriptions}
        assert '/image_raw/compressed' in topics and '/image_raw' not in topics
        node.destroy_node()
    finally:
        rclpy.try_shutdown()
