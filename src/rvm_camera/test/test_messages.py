"""Image / CompressedImage / CameraInfo built through MessageFactory; calibration YAML parsing.

The messages are checked with the rosbags Humble typestore (CDR serialise -> deserialise).
"""

import cv2
import numpy as np
import pytest

from rvm_camera.messages import (CalibrationError, camera_info_message, compressed_message,
                                 image_message, load_calibration)
from rvm_camera.sources.bag import image_message_to_bgr
from rvm_common.image_conv import image_to_numpy, stamp_to_ns
from rvm_common.typestore import humble_typestore, rosbags_factory

CALIBRATION_YAML = """\
image_width: 640
image_height: 480
camera_name: rvm_chamber
camera_matrix:
  rows: 3
  cols: 3
  data: [612.5, 0.0, 321.2, 0.0, 611.9, 238.7, 0.0, 0.0, 1.0]
distortion_model: plumb_bob
distortion_coefficients:
  rows: 1
  cols: 5
  data: [0.11, -0.23, 0.001, -0.002, 0.0]
rectification_matrix:
  rows: 3
  cols: 3
  data: [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
projection_matrix:
  rows: 3
  cols: 4
  data: [615.0, 0.0, 320.0, 0.0, 0.0, 614.0, 239.0, 0.0, 0.0, 0.0, 1.0, 0.0]
"""


def roundtrip(msg, msgtype):
    store = humble_typestore()
    return store.deserialize_cdr(store.serialize_cdr(msg, msgtype), msgtype)


def test_image_round_trip_is_zero_copy_on_the_way_back():
    img = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    msg = image_message(rosbags_factory(), img, 1_700_000_000_123_456_789, 'camera_optical_frame')
    back = roundtrip(msg, 'sensor_msgs/msg/Image')
    assert (back.height, back.width, back.step, back.encoding) == (480, 640, 1920, 'bgr8')
    assert stamp_to_ns(back.header.stamp) == 1_700_000_000_123_456_789
    assert back.header.frame_id == 'camera_optical_frame'
    view = image_to_numpy(back)
    assert np.array_equal(view, img) and np.shares_memory(view, back.data)
    assert np.shares_memory(image_message_to_bgr(back, 'sensor_msgs/msg/Image'), back.data)


def test_compressed_image_round_trip_decodes_close_to_the_source():
    img = np.zeros((120, 160, 3), np.uint8)
    cv2.circle(img, (80, 60), 40, (30, 200, 90), -1)
    msg = compressed_message(rosbags_factory(), img, 42, 'cam', quality=90)
    back = roundtrip(msg, 'sensor_msgs/msg/CompressedImage')
    assert back.format == 'bgr8; jpeg compressed bgr8' and bytes(back.data[:2]) == b'\xff\xd8'
    decoded = image_message_to_bgr(back, 'sensor_msgs/msg/CompressedImage')
    assert decoded.shape == img.shape and np.abs(decoded.astype(int) - img).mean() < 3
    small = compressed_message(rosbags_factory(), img, 42, 'cam', quality=5)
    assert len(small.data) < len(msg.data)


def test_camera_info_from_calibration_yaml(tmp_path):
    path = tmp_path / 'camera.yaml'
    path.write_text(CALIBRATION_YAML)
    calib = load_calibration(path)
    msg = camera_info_message(rosbags_factory(), calib, 7_000_000_001, 'cam')
    back = roundtrip(msg, 'sensor_msgs/msg/CameraInfo')
    assert (back.width, back.height, back.distortion_model) == (640, 480, 'plumb_bob')
    assert list(back.k) == [612.5, 0.0, 321.2, 0.0, 611.9, 238.7, 0.0, 0.0, 1.0]
    assert list(back.d) == [0.11, -0.23, 0.001, -0.002, 0.0]
    assert list(back.p)[:3] == [615.0, 0.0, 320.0] and len(back.p) == 12
    assert stamp_to_ns(back.header.stamp) == 7_000_000_001
    # rclpy-style float arrays (lists) go through the same builder
    as_lists = camera_info_message(rosbags_factory(), calib, 1, 'cam', float_array=list)
    assert as_lists.d == list(calib.d)


def test_minimal_calibration_defaults_r_and_p(tmp_path):
    path = tmp_path / 'min.yaml'
    path.write_text(
        'image_width: 320\nimage_height: 240\n'
        'camera_matrix: {rows: 3, cols: 3, data: [300, 0, 160, 0, 300, 120, 0, 0, 1]}\n'
    )
    calib = load_calibration(path)
    assert calib.r == (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)
    assert calib.p == (300.0, 0.0, 160.0, 0.0, 0.0, 300.0, 120.0, 0.0, 0.0, 0.0, 1.0, 0.0)
    assert calib.d == () and calib.distortion_model == 'plumb_bob'


@pytest.mark.parametrize('text, words', [
    ('image_width: 640\n', 'missing image_height'),
    ('image_width: 640\nimage_height: 480\ncamera_matrix: {data: [1, 2, 3]}\n', 'expected 9'),
    ('image_width: -1\nimage_height: 480\ncamera_matrix: {data: [1,0,0,0,1,0,0,0,1]}\n',
     'positive integers'),
    ('[unclosed', 'not valid YAML'),
    ('just text', 'not a mapping'),
])
def test_bad_calibration_files_raise_clear_errors(tmp_path, text, words):
    path = tmp_path / 'bad.yaml'
    path.write_text(text)
    with pytest.raises(CalibrationError, match=words):
        load_calibration(path)
    with pytest.raises(CalibrationError, match='cannot read'):
        load_calibration(tmp_path / 'absent.yaml')


def test_rclpy_style_byte_array_is_one_exact_copy():
    import array

    from rvm_common.ros_messages import rclpy_byte_array as array_byte_array
    from rvm_common.image_conv import MessageFactory
    img = np.random.default_rng(2).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    factory = MessageFactory(resolve=humble_typestore().types.__getitem__,
                             byte_array=array_byte_array)
    msg = image_message(factory, img[:, ::-1], 5, 'cam')     # non-contiguous input is fine
    assert isinstance(msg.data, array.array) and msg.data.typecode == 'B'
    assert bytes(msg.data) == np.ascontiguousarray(img[:, ::-1]).tobytes()
    view = image_to_numpy(msg)                               # rclpy buffers are viewed too
    assert np.array_equal(view, img[:, ::-1]) and np.shares_memory(
        view, np.frombuffer(msg.data, np.uint8))
