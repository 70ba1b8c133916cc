"""rclpy adapter of :class:`rvm_health.health_core.HealthCore` (ROS 2 Humble).

Subscribes to the pipeline status topics, item topics and ``command`` (std_msgs/String
JSON), publishes ``status`` and ``health`` (std_msgs/String JSON, latched) and
``/diagnostics`` (diagnostic_msgs/DiagnosticArray).  With ``camera_watch: image`` or
``compressed`` (no camera node, e.g. ``ros2 bag play``) the camera is watched through the
frames arriving on ``image_raw`` / ``image_raw/compressed`` (``rvm_health.image_watch``).
External tools (tegrastats, nvidia-smi) run in background threads inside the collectors, so
no callback here ever waits on them.
"""
from __future__ import annotations

import time

from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data
from std_msgs.msg import String

from rvm_common import events
from rvm_common.live_params import LiveParameters, install
from rvm_common.params import declare_parameters
from rvm_common.qos_profiles import QosSpec, qos_for
from rvm_common.ros_messages import ros_message_factory
from rvm_common.spin_node import bridge_python_logging, run_node, to_rclpy
from rvm_common.diagnostics_msgs import to_diagnostic_array
from rvm_health.health_config import HealthConfig
from rvm_health.health_core import ITEM_TOPICS, HealthCore
from rvm_health.image_watch import WATCH_TOPICS, ImageArrivalWatch
from rvm_health.readings import OK

#: Python loggers whose records go to this node's rclpy logger
LOGGERS = ('rvm_health', 'rvm_common')
#: parameters the health core reads from its config on every update (applied by replacing it)
CORE_LIVE = ('health_rate', 'status_heartbeat_s', 'sample_period')


class HealthNode(Node):
    """Health monitor node: RVM status, health events and /diagnostics."""

    def __init__(self, **node_kwargs) -> None:
        super().__init__('health', **node_kwargs)
        # from the first record
        self._undo_logging = bridge_python_logging(self.get_logger(), LOGGERS)
        self.config = declare_parameters(self, HealthConfig)
        self.core = HealthCore(self.config)
        self.factory = ros_message_factory()
        self.status_publisher = self.create_publisher(
            String, events.TOPIC_RVM_STATUS, to_rclpy(qos_for(events.TOPIC_RVM_STATUS)))
        self.health_publisher = self.create_publisher(
            String, events.TOPIC_HEALTH, to_rclpy(qos_for(events.TOPIC_HEALTH)))
        self.diagnostics_publisher = self.create_publisher(DiagnosticArray, '/diagnostics', 10)
        self.image_watch = None
        watched = WATCH_TOPICS[self.config.camera_watch]
        topics = {spec.topic for spec in self.core.rules.components}
        if watched:
            topics.discard(events.TOPIC_CAMERA_STATUS)
            self.image_watch = ImageArrivalWatch(watched)
            self._subscribe_images(watched)
        topics.update(ITEM_TOPICS)
        topics.add(events.TOPIC_COMMAND)
        self.subscriptions_by_topic = {
            topic: self.create_subscription(
                String, topic, lambda msg, t=topic: self.on_message(t, msg), self._qos(topic))
            for topic in sorted(topics)
        }
        for level, note in self.core.startup_notes(time.monotonic()):
            if level == OK:     # one severity per call site (rclpy refuses a change)
                self.get_logger().info(note)
            else:
                self.get_logger().warning(note)
        self.tick_timer = self.create_timer(self.config.tick_period_s, self.on_tick)
        self.diagnostics_timer = self.create_timer(
            self.config.diagnostics_period, self.on_diagnostics)
        appliers = {name: self._apply_config for name in CORE_LIVE}
        appliers['diagnostics_period'] = self._apply_diagnostics_period
        self.live = LiveParameters(HealthConfig, self.config, appliers, section=self.get_name())
        install(self, self.live)          # ros2 param set: applied, or refused with the reason

    # -- run-time parameter changes (rvm_common.live_params) ---------------------------------
    def _apply_config(self, _old: HealthConfig, new: HealthConfig) -> None:
        self.config = new
        self.core.apply_config(new)     # read on every update; the nvidia-smi poll period too

    def _apply_diagnostics_period(self, old: HealthConfig, new: HealthConfig) -> None:
        self.destroy_timer(self.diagnostics_timer)
        self.diagnostics_timer = self.create_timer(new.diagnostics_period, self.on_diagnostics)
        self._apply_config(old, new)

    def _qos(self, topic: str):
        # volatile: compatible with latched and plain publishers; statuses repeat periodically,
        # and items must not be counted twice from a replayed history after a restart
        spec = qos_for(topic, replay=False)
        depth = max(spec.depth, self.config.qos_depth)
        return to_rclpy(QosSpec(depth=depth, reliable=spec.reliable and self.config.qos_reliable,
                                latched=spec.latched))

    def _subscribe_images(self, topic: str) -> None:
        from sensor_msgs.msg import CompressedImage, Image
        kind = CompressedImage if topic.endswith('compressed') else Image
        self.create_subscription(kind, topic, lambda _msg: self.image_watch.on_image(),
                                 qos_profile_sensor_data)
        self.get_logger().info(f'no camera node: watching frames on {topic}')

    def on_message(self, topic: str, msg: String) -> None:
        error = self.core.observe_raw(topic, msg.data, time.monotonic())
        if error:
            self.get_logger().warning(f'ignored message: {error}', throttle_duration_sec=10.0)

    def on_tick(self) -> None:
        now = time.monotonic()
        if self.image_watch is not None:
            status = self.image_watch.status()
            if status is not None:
                self.core.observe(events.TOPIC_CAMERA_STATUS, status, now)
        self.publish_all(self.core.update(now))

    def publish_all(self, emitted: list) -> None:
        for topic, payload in emitted:
            publisher = (
                self.status_publisher
                if topic == events.TOPIC_RVM_STATUS
                else self.health_publisher
            )
            publisher.publish(String(data=events.dumps(payload)))
            if topic == events.TOPIC_RVM_STATUS:
                self.get_logger().info(
                    f"RVM state {payload['state']}: {'; '.join(payload['reasons'])}")

    def on_diagnostics(self) -> None:
        statuses = self.core.diagnostics(time.monotonic())
        stamp_ns = self.get_clock().now().nanoseconds
        self.diagnostics_publisher.publish(to_diagnostic_array(self.factory, statuses, stamp_ns))

    def shutdown(self) -> None:
        """Publish the final `offline` status and stop background collectors."""
        self.publish_all(self.core.close(time.monotonic()))

    def destroy_node(self) -> None:
        self._undo_logging()
        super().destroy_node()


def main(args=None) -> int:
    """Console script ``health_node``."""
    return run_node(HealthNode, args)


if __name__ == '__main__':
    raise SystemExit(main())
