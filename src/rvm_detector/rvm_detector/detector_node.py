"""rclpy adapter of :class:`rvm_detector.detector_core.DetectorCore` (ROS 2 Humble).

Subscribes ``image_raw`` (sensor_msgs/Image) or, with ``image_input: compressed``,
``image_raw/compressed`` (sensor_msgs/CompressedImage, e.g. ``ros2 bag play`` of the bundled
bag) with QoS from parameters (sensor-data by default) into a keep-newest slot; one worker
thread runs the core on the newest frame and publishes ``detections``
(vision_msgs/Detection2DArray) and the item/session JSON events (std_msgs/String). With
``publish_debug_images`` a :class:`DebugImageWorker` draws and publishes the annotated image
and the mono8 label mask on a thread of its own (never the inference thread).
``command`` (JSON) reaches :meth:`DetectorCore.command`; ``detector/status`` is published
(latched) at once after the model is loaded - the camera holds recorded sources until it says
``ready`` - and then periodically.  A model that fails to load or a bad frame is logged and
reported on the status topic; the node stays up.
"""
from __future__ import annotations

import json
import threading
import time

from rclpy.node import Node
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CompressedImage, Image
from std_msgs.msg import String
from vision_msgs.msg import Detection2DArray

from rvm_common import events
from rvm_common.image_conv import ImageConversionError, numpy_to_image
from rvm_common.live_params import LiveParameters, install
from rvm_common.ros_messages import ros_message_factory
from rvm_common.params import declare_parameters
from rvm_common.qos_profiles import qos_for
from rvm_common.spin_node import bridge_python_logging, run_node, to_rclpy
from rvm_detector.debug_images import ANNOTATED, LABEL_MASK, DebugFrame, DebugImageWorker
from rvm_detector.detector_config import DetectorConfig
from rvm_detector.detector_core import DetectorCore, FrameError
from rvm_detector.evidence import (
    ROS_EVIDENCE_DIR, TOPIC_EVIDENCE, evidence_message, with_default_evidence_dir)
from rvm_detector.frame_input import compressed_msg_to_bgr, image_msg_to_bgr
from rvm_detector.latest_frame import LatestFrame
from rvm_detector.model_loader import ModelLoadError
from rvm_detector.ros_conversions import detections_to_msg

#: Python loggers whose records go to this node's rclpy logger
LOGGERS = ('rvm_detector', 'rvm_common')
#: parameters DetectorCore.reconfigure applies (model thresholds, item/verdict policy, tracker)
CORE_LIVE = ('conf', 'iou', 'max_det', 'agnostic_nms', 'stable_frames', 'stable_iou',
             'match_iou', 'leave_frames', 'confirm_frames', 'multi_frames', 'settle_timeout_s',
             'frame_gap_s', 'entry_side', 'min_confidence', 'min_area_fraction',
             'max_area_fraction', 'multi_object_conf', 'polygon_max_points', 'idle_timeout_s')
#: parameters the node reads on every frame
NODE_LIVE = ('publish_annotated', 'publish_label_mask')
#: parameters of the verdict's evidence crop (the core's hook is rebuilt: ``evidence_hook``)
EVIDENCE_LIVE = ('evidence', 'evidence_max_px', 'evidence_max_bytes')


class DetectorNode(Node):
    """YOLO11-seg (+SAM2) detector: per-frame detections, one verdict per item."""

    def __init__(self, **node_kwargs) -> None:
        super().__init__('detector', **node_kwargs)
        # from the first record
        self._undo_logging = bridge_python_logging(self.get_logger(), LOGGERS)
        # evidence_dir '' = ~/.rvm_edge/evidence on a ROS machine ('off' keeps none)
        self.config = with_default_evidence_dir(
            declare_parameters(self, DetectorConfig), ROS_EVIDENCE_DIR)
        self.core = DetectorCore(self.config)
        self.factory = ros_message_factory()
        # core calls from the worker, timer and command callbacks
        self.lock = threading.Lock()
        self.slot = LatestFrame()
        image_qos = QoSProfile(
            history=HistoryPolicy.KEEP_LAST, depth=self.config.image_qos_depth,
            reliability=(
                ReliabilityPolicy.RELIABLE
                if self.config.image_qos_reliability == 'reliable'
                else ReliabilityPolicy.BEST_EFFORT
            ),
        )
        self.pub_detections = self.create_publisher(Detection2DArray, events.TOPIC_DETECTIONS, 10)
        self.debug = None
        if self.config.publish_debug_images:
            self.pub_debug = {ANNOTATED: self.create_publisher(Image, events.TOPIC_ANNOTATED, 2),
                              LABEL_MASK: self.create_publisher(Image, events.TOPIC_LABEL_MASK, 2)}
            self.debug = DebugImageWorker(self.publish_debug_image)
        self.pub_events = {
            topic: self.create_publisher(String, topic, to_rclpy(qos_for(topic)))
            for topic in (events.TOPIC_VERDICT, events.TOPIC_PROCESSING, events.TOPIC_SESSION,
                          events.TOPIC_ITEM_FAILED)    # durable copy of `failed` updates
        }
        self.pub_evidence = self.create_publisher(CompressedImage, TOPIC_EVIDENCE, 2)  # rviz
        self.pub_status = self.create_publisher(String, events.TOPIC_DETECTOR_STATUS,
                                                to_rclpy(qos_for(events.TOPIC_DETECTOR_STATUS)))
        # subscribe first: discovery completes while the model loads, so the first frame a camera
        # sends after our `ready` finds the subscription matched
        if self.config.image_input == 'compressed':
            self.create_subscription(
                CompressedImage, events.TOPIC_IMAGE + '/compressed',
                lambda msg: self.on_image(msg, compressed_msg_to_bgr), image_qos)
        else:
            self.create_subscription(Image, events.TOPIC_IMAGE, self.on_image, image_qos)
        try:
            self.core.load()
            self.get_logger().info(
                f'model {self.core.segmenter.path} on {self.core.segmenter.device} '
                f'(refine={self.config.refine})'
            )
        except ModelLoadError as exc:
            self.get_logger().error(f'detector not ready: {exc}')
        self.publish_status()       # latched: a camera holding a recorded source starts now
        self.create_subscription(String, events.TOPIC_COMMAND, self.on_command,
                                 to_rclpy(qos_for(events.TOPIC_COMMAND)))
        self.status_timer = self.create_timer(self.config.status_period_s, self.on_timer)
        appliers = {name: self._apply_core for name in CORE_LIVE}
        appliers.update({name: self._apply_node for name in NODE_LIVE})
        appliers.update({name: self._apply_evidence for name in EVIDENCE_LIVE})
        appliers['status_period_s'] = self._apply_status_period
        self.live = LiveParameters(DetectorConfig, self.config, appliers, section=self.get_name())
        install(self, self.live)          # ros2 param set: applied, or refused with the reason
        self.running = True
        self.worker = threading.Thread(target=self.work, name='detector-worker', daemon=True)
        self.worker.start()
        if self.debug is not None:
            self.debug.start()

    # -- callbacks (never block) -------------------------------------------------------------
    def on_image(self, msg, convert=image_msg_to_bgr) -> None:
        try:
            frame, stamp_ns, frame_id = convert(msg)
        except ImageConversionError as exc:
            with self.lock:
                self.core.note_bad_frame(str(exc))
            self.get_logger().warning(f'bad image ignored: {exc}', throttle_duration_sec=5.0)
            return
        self.slot.put((frame, stamp_ns, frame_id))

    def on_command(self, msg: String) -> None:
        try:
            payload = json.loads(msg.data)
        except ValueError:
            self.get_logger().warning('command is not JSON; ignored', throttle_duration_sec=5.0)
            return
        with self.lock:     # published under the lock: events leave in decision order
            self.publish_events(self.core.command(payload))

    # -- run-time parameter changes (rvm_common.live_params) ---------------------------------
    def _apply_core(self, old: DetectorConfig, new: DetectorConfig) -> None:
        changed = {n: getattr(new, n) for n in CORE_LIVE if getattr(old, n) != getattr(new, n)}
        with self.lock:                 # ConfigError (e.g. a cross-field range): refused
            self.core.reconfigure(changed)
            self.config = new

    def _apply_node(self, _old: DetectorConfig, new: DetectorConfig) -> None:
        with self.lock:
            self.config = new

    def _apply_evidence(self, _old: DetectorConfig, new: DetectorConfig) -> None:
        from rvm_detector.evidence import evidence_hook
        fresh = evidence_hook(new)
        with self.lock:                 # the hook keeps its waiting accepts; policy/store swap
            self.core.evidence.policy, self.core.evidence.save = fresh.policy, fresh.save
            self.config = new

    def _apply_status_period(self, old: DetectorConfig, new: DetectorConfig) -> None:
        self.destroy_timer(self.status_timer)
        self.status_timer = self.create_timer(new.status_period_s, self.on_timer)
        self._apply_node(old, new)

    def on_timer(self) -> None:
        with self.lock:
            self.publish_events(self.core.tick(time.monotonic()))
            self.core.note_dropped(self.slot.dropped)
        self.publish_status()

    def publish_status(self) -> None:
        with self.lock:
            status = dict(self.core.status(), frames_received=self.slot.received)
        self.pub_status.publish(String(data=events.dumps(status)))

    # -- worker ------------------------------------------------------------------------------
    def work(self) -> None:
        while self.running:
            item = self.slot.take(timeout=0.1)
            if item is None or self.core.state != 'ready':
                continue
            frame, stamp_ns, frame_id = item
            try:
                with self.lock:     # decided and published in order (a tick cannot overtake)
                    result = self.core.process(frame, stamp_ns, time.monotonic())
                    self.publish_events(result.events)
            except FrameError as exc:
                with self.lock:
                    self.core.note_bad_frame(str(exc))
                self.get_logger().warning(f'bad frame ignored: {exc}', throttle_duration_sec=5.0)
                continue
            except Exception as exc:  # keep the node up; the status topic shows the error
                with self.lock:
                    self.core.note_bad_frame(f'processing failed: {type(exc).__name__}: {exc}')
                self.get_logger().error(f'processing failed: {exc}', throttle_duration_sec=5.0)
                continue
            self.publish_frame(frame, stamp_ns, frame_id, result)

    def publish_frame(self, frame, stamp_ns: int, frame_id: str, result) -> None:
        self.pub_detections.publish(
            detections_to_msg(self.factory, result.detections, stamp_ns, frame_id))
        if self.debug is not None:     # drawn on the debug worker's thread, newest frame only
            self.debug.submit(
                DebugFrame(
                    frame, result.detections, result.width, result.height, result.item_state,
                    result.item_id, stamp_ns, frame_id, self.config.publish_annotated,
                    self.config.publish_label_mask)
            )

    def publish_debug_image(self, kind: str, image, encoding: str, frame: DebugFrame) -> None:
        self.pub_debug[kind].publish(numpy_to_image(self.factory, image, encoding, frame.stamp_ns,
                                                    frame.frame_id))

    def publish_events(self, emitted) -> None:
        for topic, payload in emitted:
            self.pub_events[topic].publish(String(data=events.dumps(payload)))
            if topic == events.TOPIC_VERDICT:
                crop = evidence_message(self.factory, payload, time.time_ns(), 'evidence')
                if crop is not None:
                    self.pub_evidence.publish(crop)
                outcome = 'accepted' if payload['accepted'] else f"rejected: {payload['reason']}"
                self.get_logger().info(
                    f"item {payload['item_id'][:8]}: {payload['category']}"
                    f" {payload['confidence']:.2f} {outcome}"
                )

    def stop_worker(self) -> None:
        self.running = False
        self.slot.close()
        if self.worker.is_alive():
            self.worker.join(timeout=5.0)
        if self.debug is not None:
            self.debug.stop()

    def shutdown(self) -> None:
        """End the open session (its summary goes out) while the context is still valid."""
        self.stop_worker()
        with self.lock:
            self.publish_events(self.core.shutdown())

    def destroy_node(self) -> None:
        self.stop_worker()
        self._undo_logging()
        super().destroy_node()


def main(args=None) -> int:
    """Console script ``detector_node``."""
    return run_node(DetectorNode, args)


if __name__ == '__main__':
    raise SystemExit(main())
