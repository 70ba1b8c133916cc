"""Image <-> numpy conversion against the real ROS 2 Humble sensor_msgs/Image definition."""
import numpy as np
import pytest

from rvm_common.image_conv import (ImageConversionError, image_to_numpy, numpy_to_image,
                                   stamp_to_ns)
from rvm_common.typestore import humble_typestore, rosbags_factory


def roundtrip(msg):
    store = humble_typestore()
    raw = store.serialize_cdr(msg, 'sensor_msgs/msg/Image')
    return store.deserialize_cdr(raw, 'sensor_msgs/msg/Image')


@pytest.mark.parametrize('encoding,shape,dtype', [
    ('bgr8', (48, 64, 3), np.uint8),
    ('rgb8', (5, 7, 3), np.uint8),
    ('mono8', (48, 64), np.uint8),
    ('bgra8', (4, 3, 4), np.uint8),
    ('mono16', (6, 9), np.uint16),
    ('32FC1', (6, 9), np.float32),
])
def test_numpy_to_image_survives_cdr_roundtrip(encoding, shape, dtype):
    rng = np.random.default_rng(7)
    array = (rng.random(shape) * 255).astype(dtype)
    msg = numpy_to_image(rosbags_factory(), array, encoding, 1_700_000_000_123_456_789, 'camera')
    back = roundtrip(msg)
    assert back.encoding == encoding
    assert (back.height, back.width) == shape[:2]
    assert back.step == shape[1] * (shape[2] if len(shape) == 3 else 1) * np.dtype(dtype).itemsize
    assert back.header.frame_id == 'camera'
    assert stamp_to_ns(back.header.stamp) == 1_700_000_000_123_456_789
    np.testing.assert_array_equal(image_to_numpy(back), array)


def test_image_to_numpy_is_a_view_without_copy():
    array = np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3)
    msg = numpy_to_image(rosbags_factory(), array, 'bgr8', 0, 'cam')
    view = image_to_numpy(msg)
    assert np.shares_memory(view, msg.data)
    msg.data[0] = 99
    assert view[0, 0, 0] == 99


def test_padded_rows_are_respected():
    store = humble_typestore()
    image_cls = store.types['sensor_msgs/msg/Image']
    header = rosbags_factory().new('std_msgs/msg/Header',
                                   stamp=rosbags_factory().new('builtin_interfaces/msg/Time',
                                                               sec=0, nanosec=0),
                                   frame_id='')
    rows = np.zeros((3, 8), dtype=np.uint8)  # 2 px * 3 ch = 6 bytes + 2 bytes padding per row
    rows[:, :6] = np.arange(18, dtype=np.uint8).reshape(3, 6)
    msg = image_cls(header=header, height=3, width=2, encoding='bgr8', is_bigendian=0, step=8,
                    data=rows.reshape(-1))
    out = image_to_numpy(msg)
    np.testing.assert_array_equal(out, np.arange(18, dtype=np.uint8).reshape(3, 2, 3))


def test_big_endian_16bit():
    store = humble_typestore()
    values = np.array([[1, 256], [513, 65535]], dtype='>u2')
    factory = rosbags_factory()
    header = factory.new('std_msgs/msg/Header',
                         stamp=factory.new('builtin_interfaces/msg/Time', sec=0, nanosec=0),
                         frame_id='')
    msg = store.types['sensor_msgs/msg/Image'](
        header=header, height=2, width=2, encoding='mono16', is_bigendian=1, step=4,
        data=values.reshape(-1).view(np.uint8).copy())
    np.testing.assert_array_equal(image_to_numpy(msg).astype(np.uint16), values.astype(np.uint16))


@pytest.mark.parametrize('mutate,match', [
    (lambda m: setattr(m, 'encoding', 'yuv422_weird'), 'unsupported image encoding'),
    (lambda m: setattr(m, 'height', 0), 'zero size'),
    (lambda m: setattr(m, 'step', 2), 'smaller than one row'),
    (lambda m: setattr(m, 'data', m.data[:-5]), 'truncated'),
])
def test_bad_messages_raise_clear_errors(mutate, match):
    msg = numpy_to_image(rosbags_factory(), np.zeros((4, 4, 3), np.uint8), 'bgr8', 0, 'cam')
    mutate(msg)
    with pytest.raises(ImageConversionError, match=match):
        image_to_numpy(msg)


def test_array_encoding_mismatch_is_rejected():
    with pytest.raises(ImageConversionError, match='does not match encoding'):
        numpy_to_image(rosbags_factory(), np.zeros((4, 4), np.uint8), 'bgr8', 0, 'cam')
    with pytest.raises(ImageConversionError, match='cannot publish'):
        numpy_to_image(rosbags_factory(), np.zeros((0, 4, 3), np.uint8), 'bgr8', 0, 'cam')


def test_vision_msgs_are_registered_with_humble_definitions():
    store = humble_typestore()
    factory = rosbags_factory()
    header = factory.new('std_msgs/msg/Header',
                         stamp=factory.new('builtin_interfaces/msg/Time', sec=1, nanosec=2),
                         frame_id='cam')
    point = factory.new('vision_msgs/msg/Point2D', x=10.0, y=20.0)
    bbox = factory.new('vision_msgs/msg/BoundingBox2D',
                       center=factory.new('vision_msgs/msg/Pose2D', position=point, theta=0.0),
                       size_x=4.0, size_y=6.0)
    cov = store.types['geometry_msgs/msg/PoseWithCovariance']
    pose = store.types['geometry_msgs/msg/Pose']
    hyp = factory.new(
        'vision_msgs/msg/ObjectHypothesisWithPose',
        hypothesis=factory.new(
            'vision_msgs/msg/ObjectHypothesis', class_id='pet_bottle', score=0.9),
        pose=cov(
            pose=pose(
                position=store.types['geometry_msgs/msg/Point'](0.0, 0.0, 0.0),
                orientation=store.types['geometry_msgs/msg/Quaternion'](0.0, 0.0, 0.0, 1.0)),
            covariance=np.zeros(36),
        ),
    )
    det = factory.new('vision_msgs/msg/Detection2D', header=header, results=[hyp], bbox=bbox,
                      id='item-1')
    arr = factory.new('vision_msgs/msg/Detection2DArray', header=header, detections=[det])
    raw = store.serialize_cdr(arr, 'vision_msgs/msg/Detection2DArray')
    back = store.deserialize_cdr(raw, 'vision_msgs/msg/Detection2DArray')
    assert back.detections[0].results[0].hypothesis.class_id == 'pet_bottle'
    assert back.detections[0].bbox.center.position.x == 10.0
    assert back.detections[0].id == 'item-1'
