"""Detections -> vision_msgs/Detection2DArray (vision_msgs 4.1) through a MessageFactory.

The same code builds rclpy messages on the robot and rosbags dataclasses in tests.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from rvm_common.image_conv import MessageFactory, make_header
from rvm_detector.detection import Detection


def _pose_with_covariance(factory: MessageFactory) -> Any:
    point = factory.new('geometry_msgs/msg/Point', x=0.0, y=0.0, z=0.0)
    quat = factory.new('geometry_msgs/msg/Quaternion', x=0.0, y=0.0, z=0.0, w=1.0)
    pose = factory.new('geometry_msgs/msg/Pose', position=point, orientation=quat)
    return factory.new('geometry_msgs/msg/PoseWithCovariance', pose=pose,
                       covariance=np.zeros(36, dtype=np.float64))


def detection_to_msg(factory: MessageFactory, det: Detection, header: Any) -> Any:
    """One Detection2D: class name + score as hypothesis, box centre/size in px, track id as id."""
    x1, y1, x2, y2 = det.bbox
    hypothesis = factory.new('vision_msgs/msg/ObjectHypothesis', class_id=str(det.class_name),
                             score=float(det.confidence))
    result = factory.new('vision_msgs/msg/ObjectHypothesisWithPose', hypothesis=hypothesis,
                         pose=_pose_with_covariance(factory))
    centre = factory.new('vision_msgs/msg/Point2D', x=float((x1 + x2) / 2), y=float((y1 + y2) / 2))
    bbox = factory.new('vision_msgs/msg/BoundingBox2D',
                       center=factory.new('vision_msgs/msg/Pose2D', position=centre, theta=0.0),
                       size_x=float(x2 - x1), size_y=float(y2 - y1))
    return factory.new('vision_msgs/msg/Detection2D', header=header, results=[result], bbox=bbox,
                       id=str(det.track_id))


def detections_to_msg(factory: MessageFactory, detections: list[Detection], stamp_ns: int,
                      frame_id: str) -> Any:
    """A Detection2DArray for one frame (same header on the array and every detection)."""
    header = make_header(factory, stamp_ns, frame_id)
    return factory.new(
        'vision_msgs/msg/Detection2DArray', header=header,
        detections=[
            detection_to_msg(factory, d, make_header(factory, stamp_ns, frame_id))
            for d in detections
        ],
    )
