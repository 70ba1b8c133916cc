"""ROS 2 (Humble) adapter of the camera core: parameters, publishers, a reader thread, status.

Publishes ``image_raw`` (sensor_msgs/Image bgr8), optionally ``image_raw/compressed``
(CompressedImage JPEG) and ``camera_info`` (CameraInfo from ``camera_info_file``), and the
camera-status JSON (std_msgs/String) on ``camera/status``.  Frames are read on a thread so a
blocking device read never stalls the executor; source failures never end the node.
"""
from __future__ import annotations

import json
import threading
from typing import Any

import numpy as np
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CameraInfo, CompressedImage, Image
from std_msgs.msg import String

from rvm_camera.camera_config import CameraConfig
from rvm_camera.camera_core import CameraCore
from rvm_camera.messages import (CalibrationError, camera_info_message,
                                 compressed_message, image_message, load_calibration)
from rvm_camera.ready_gate import DetectorReadyGate, FramePump
from rvm_common.events import (TOPIC_CAMERA_INFO, TOPIC_CAMERA_STATUS, TOPIC_DETECTOR_STATUS,
                               TOPIC_IMAGE, dumps)
from rvm_common.live_params import LiveParameters, install
from rvm_common.params import declare_parameters
from rvm_common.qos_profiles import qos_for
from rvm_common.ros_messages import ros_message_factory
from rvm_common.spin_node import bridge_python_logging, run_node, to_rclpy

#: MessageFactory building rclpy messages
RCLPY_FACTORY = ros_message_factory()
#: Python loggers whose records go to this node's rclpy logger
LOGGERS = ('rvm_camera', 'rvm_common')
#: parameters the camera core reads from its config on every frame (applied by replacing it)
CORE_LIVE = ('frame_id', 'fps', 'loop', 'realtime', 'stall_timeout_s', 'max_reconnects',
             'max_consecutive_corrupt')


class CameraNode(Node):
    """Publishes frames of one camera source with QoS, status and reconnection."""

    def __init__(self, **node_kwargs: Any) -> None:
        super().__init__('camera', **node_kwargs)
        # from the first record
        self._undo_logging = bridge_python_logging(self.get_logger(), LOGGERS)
        self.config: CameraConfig = declare_parameters(self, CameraConfig)
        cfg = self.config
        self.image_qos = qos = QoSProfile(
            history=HistoryPolicy.KEEP_LAST, depth=max(1, cfg.qos_depth),
            reliability=(
                ReliabilityPolicy.RELIABLE
                if cfg.qos_reliability == 'reliable'
                else ReliabilityPolicy.BEST_EFFORT
            ),
            durability=DurabilityPolicy.VOLATILE)
        self.image_pub = self.create_publisher(Image, TOPIC_IMAGE, qos)
        self.compressed_pub = (self.create_publisher(CompressedImage, TOPIC_IMAGE + '/compressed',
                                                     qos) if cfg.publish_compressed else None)
        self._compressed_lock = threading.Lock()
        self.calibration = None
        self.info_pub = None
        if cfg.camera_info_file:
            try:
                self.calibration = load_calibration(cfg.camera_info_file)
                self.info_pub = self.create_publisher(CameraInfo, TOPIC_CAMERA_INFO, qos)
            except CalibrationError as exc:
                self.get_logger().error(f'{exc}; not publishing camera_info')
        self.status_pub = self.create_publisher(String, TOPIC_CAMERA_STATUS,
                                                to_rclpy(qos_for(TOPIC_CAMERA_STATUS)))
        self.core = CameraCore(cfg)
        self._stop = threading.Event()
        self.gate = DetectorReadyGate(required=cfg.wait_for_detector)
        self.create_subscription(String, TOPIC_DETECTOR_STATUS, self._on_detector_status,
                                 to_rclpy(qos_for(TOPIC_DETECTOR_STATUS)))
        self.core.open()
        self._flush_events()
        self.pump = FramePump(self.core, self.gate, self._publish, self._publish_events)
        if self.pump.holding:
            self.get_logger().info(
                'recorded source: holding frames until detector/status is ready')
        self._thread = threading.Thread(target=self._read_loop, name='camera-reader', daemon=True)
        self._thread.start()
        self.status_timer = self.create_timer(max(0.1, cfg.status_period_s), self._publish_status)
        appliers = {name: self._apply_config for name in CORE_LIVE + ('jpeg_quality',)}
        appliers.update(status_period_s=self._apply_status_period,
                        publish_compressed=self._apply_publish_compressed)
        self.live = LiveParameters(CameraConfig, cfg, appliers, section=self.get_name())
        install(self, self.live)          # ros2 param set: applied, or refused with the reason
        self.get_logger().info(f'camera source {self.core.status()["source"]!r}, target '
                               f'{cfg.fps} fps, QoS {cfg.qos_reliability}/{cfg.qos_depth}')

    # -- run-time parameter changes (rvm_common.live_params) ---------------------------------
    def _apply_config(self, _old: CameraConfig, new: CameraConfig) -> None:
        self.config = new
        self.core.config = new          # read on every frame by the reader thread

    def _apply_status_period(self, old: CameraConfig, new: CameraConfig) -> None:
        self.destroy_timer(self.status_timer)
        self.status_timer = self.create_timer(max(0.1, new.status_period_s), self._publish_status)
        self._apply_config(old, new)

    def _apply_publish_compressed(self, old: CameraConfig, new: CameraConfig) -> None:
        if new.publish_compressed and self.compressed_pub is None:
            self.compressed_pub = self.create_publisher(
                CompressedImage, TOPIC_IMAGE + '/compressed', self.image_qos)
        elif not new.publish_compressed and self.compressed_pub is not None:
            with self._compressed_lock:     # never destroyed under the reader thread's publish
                publisher, self.compressed_pub = self.compressed_pub, None
            self.destroy_publisher(publisher)
        self._apply_config(old, new)

    def _on_detector_status(self, msg: String) -> None:
        try:
            self.gate.observe(json.loads(msg.data))
        except ValueError:
            return

    def _read_loop(self) -> None:
        running = True
        while running and not self._stop.is_set():
            try:
                running = self.pump.step()
            except Exception as exc:  # never a crash loop: log once per failure, back off
                self.get_logger().error(f'camera publish failed: {type(exc).__name__}: {exc}')
                self._stop.wait(1.0)

    def _publish(self, frame: Any) -> None:
        self._publish_frame(frame.image, frame.stamp_ns, frame.frame_id)

    def _publish_events(self, emitted: list) -> None:
        for _topic, payload in emitted:
            self.status_pub.publish(String(data=dumps(payload)))

    def _publish_frame(self, image: np.ndarray, stamp_ns: int, frame_id: str) -> None:
        self.image_pub.publish(image_message(RCLPY_FACTORY, image, stamp_ns, frame_id))
        with self._compressed_lock:               # a parameter change may remove it
            if self.compressed_pub is not None:
                self.compressed_pub.publish(
                    compressed_message(
                        RCLPY_FACTORY, image, stamp_ns, frame_id, self.config.jpeg_quality))
        if self.info_pub is not None and self.calibration is not None:
            self.info_pub.publish(camera_info_message(RCLPY_FACTORY, self.calibration, stamp_ns,
                                                      frame_id, float_array=list))

    def _flush_events(self) -> None:
        self._publish_events(self.core.take_events())

    def _publish_status(self) -> None:
        self.status_pub.publish(String(data=dumps(self.core.status())))

    def destroy_node(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2.0)
        self.core.close()
        self._undo_logging()
        super().destroy_node()

    def shutdown(self) -> None:
        """Stop reading; publish the final (offline) camera status while the context is valid."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2.0)
        self.core.close()
        self._flush_events()


def main(args=None) -> int:
    """Console script ``camera_node``."""
    return run_node(CameraNode, args)


if __name__ == '__main__':
    raise SystemExit(main())
