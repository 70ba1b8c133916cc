"""A rosbags typestore with the ROS 2 Humble definitions plus vision_msgs 4.1.

``rosbags`` ships Humble's standard messages but not ``vision_msgs``; the
definitions below are those of vision_msgs 4.1.x (the Humble release).
Used by the camera's rosbag2 recorder/reader and by conversion tests.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from rvm_common.image_conv import MessageFactory

VISION_MSGS_4_1 = {
    'vision_msgs/msg/Point2D': 'float64 x\nfloat64 y\n',
    'vision_msgs/msg/Pose2D': 'vision_msgs/Point2D position\nfloat64 theta\n',
    'vision_msgs/msg/BoundingBox2D': 'vision_msgs/Pose2D center\nfloat64 size_x\nfloat64 size_y\n',
    'vision_msgs/msg/ObjectHypothesis': 'string class_id\nfloat64 score\n',
    'vision_msgs/msg/ObjectHypothesisWithPose': (
        'vision_msgs/ObjectHypothesis hypothesis\ngeometry_msgs/PoseWithCovariance pose\n'),
    'vision_msgs/msg/Detection2D': (
        'std_msgs/Header header\nvision_msgs/ObjectHypothesisWithPose[] results\n'
        'vision_msgs/BoundingBox2D bbox\nstring id\n'
    ),
    'vision_msgs/msg/Detection2DArray': (
        'std_msgs/Header header\nvision_msgs/Detection2D[] detections\n'),
}


@lru_cache(maxsize=1)
def humble_typestore() -> Any:
    """The Humble typestore with vision_msgs registered (built once)."""
    from rosbags.typesys import Stores, get_types_from_msg, get_typestore

    store = get_typestore(Stores.ROS2_HUMBLE)
    types: dict[str, Any] = {}
    for name, text in VISION_MSGS_4_1.items():
        types.update(get_types_from_msg(text, name))
    store.register(types)
    return store


def rosbags_factory() -> MessageFactory:
    """A :class:`MessageFactory` producing rosbags dataclass messages."""
    store = humble_typestore()
    return MessageFactory(resolve=store.types.__getitem__,
                          byte_array=lambda flat: np.ascontiguousarray(flat, dtype=np.uint8))
