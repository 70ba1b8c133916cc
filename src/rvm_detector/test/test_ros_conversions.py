import numpy as np
import pytest
from item_sequences import det

from rvm_common.typestore import humble_typestore, rosbags_factory
from rvm_detector.ros_conversions import detections_to_msg

TYPE = 'vision_msgs/msg/Detection2DArray'


def test_detection2darray_roundtrips_through_cdr():
    a = det(10, 20, 110, 220, 'pet_bottle', 0.875)
    a.track_id = 7
    b = det(300, 40, 340, 90, 'aluminium_can', 0.5)
    b.track_id = 8
    msg = detections_to_msg(rosbags_factory(), [a, b], stamp_ns=1_700_000_000_123_456_789,
                            frame_id='chamber_camera')
    store = humble_typestore()
    back = store.deserialize_cdr(store.serialize_cdr(msg, TYPE), TYPE)
    assert back.header.stamp.sec == 1_700_000_000 and back.header.stamp.nanosec == 123_456_789
    assert back.header.frame_id == 'chamber_camera'
    assert len(back.detections) == 2
    d0 = back.detections[0]
    assert d0.id == '7'
    assert d0.results[0].hypothesis.class_id == 'pet_bottle'
    assert d0.results[0].hypothesis.score == pytest.approx(0.875)
    assert (d0.bbox.center.position.x, d0.bbox.center.position.y) == (60.0, 120.0)
    assert (d0.bbox.size_x, d0.bbox.size_y) == (100.0, 200.0)
    assert d0.results[0].pose.pose.orientation.w == 1.0
    assert np.all(d0.results[0].pose.covariance == 0)
    assert back.detections[1].results[0].hypothesis.class_id == 'aluminium_can'


def test_empty_frame_gives_an_empty_array():
    msg = detections_to_msg(rosbags_factory(), [], 5, 'cam')
    store = humble_typestore()
    back = store.deserialize_cdr(store.serialize_cdr(msg, TYPE), TYPE)
    assert back.detections == [] and back.header.stamp.nanosec == 5
