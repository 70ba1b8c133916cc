"""rclpy adapter of :class:`rvm_health.health_core.HealthCore` (ROS 2 Humble).

Subscribes to the pipeline status topics, item topics and ``rvm/command``
(std_msgs/String JSON), publishes ``rvm/status`` and ``rvm/health``
(std_msgs/String JSON) and ``/diagnostics`` (diagnostic_msgs/DiagnosticArray).
External tools (tegrastats, nvidia-smi) run in background threads inside the
collectors, so no callback here ever waits on them.
"""
from __future__ import annotations

import time

from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from std_msgs.msg import String

from rvm_common import events
from rvm_common.ros_messages import ros_message_factory
from rvm_common.params import declare_parameters
from rvm_common.spin_node import run_node
from rvm_health.diagnostics_msgs import to_diagnostic_array
from rvm_health.health_config import HealthConfig
from rvm_health.health_core import ITEM_TOPICS, HealthCore
from rvm_health.readings import OK

TICK_PERIOD_S = 0.25



class HealthNode(Node):
    """Health monitor node: RVM status, health events and /diagnostics."""

    def __init__(self) -> None:
        super().__init__('health')
        self.config = declare_parameters(self, HealthConfig)
        self.core = HealthCore(self.config)
        self.factory = ros_message_factory()
        qos = QoSProfile(depth=self.config.qos_depth, reliability=(
            ReliabilityPolicy.RELIABLE if self.config.qos_reliable else ReliabilityPolicy.BEST_EFFORT))
        self.status_publisher = self.create_publisher(String, events.TOPIC_RVM_STATUS, qos)
        self.health_publisher = self.create_publisher(String, events.TOPIC_HEALTH, qos)
        self.diagnostics_publisher = self.create_publisher(DiagnosticArray, '/diagnostics', 10)
        topics = {spec.topic for spec in self.core.rules.components}
        topics.update(ITEM_TOPICS)
        topics.add(events.TOPIC_COMMAND)
        self.subscriptions_by_topic = {
            topic: self.create_subscription(String, topic, lambda msg, t=topic: self.on_message(t, msg), qos)
            for topic in sorted(topics)}
        for level, note in self.core.startup_notes(time.monotonic()):
            (self.get_logger().info if level == OK else self.get_logger().warning)(note)
        self.tick_timer = self.create_timer(TICK_PERIOD_S, self.on_tick)
        self.diagnostics_timer = self.create_timer(self.config.diagnostics_period, self.on_diagnostics)

    def on_message(self, topic: str, msg: String) -> None:
        error = self.core.observe_raw(topic, msg.data, time.monotonic())
        if error:
            self.get_logger().warning(f'ignored message: {error}', throttle_duration_sec=10.0)

    def on_tick(self) -> None:
        self.publish_all(self.core.update(time.monotonic()))

    def publish_all(self, emitted: list) -> None:
        for topic, payload in emitted:
            publisher = self.status_publisher if topic == events.TOPIC_RVM_STATUS else self.health_publisher
            publisher.publish(String(data=events.dumps(payload)))
            if topic == events.TOPIC_RVM_STATUS:
                self.get_logger().info(f"RVM state {payload['state']}: {'; '.join(payload['reasons'])}")

    def on_diagnostics(self) -> None:
        statuses = self.core.diagnostics(time.monotonic())
        stamp_ns = self.get_clock().now().nanoseconds
        self.diagnostics_publisher.publish(to_diagnostic_array(self.factory, statuses, stamp_ns))

    def shutdown(self) -> None:
        """Publish the final `offline` status and stop background collectors."""
        self.publish_all(self.core.close(time.monotonic()))


def main(args=None) -> None:
    """Console script ``health_node``."""
    run_node(HealthNode, args)


if __name__ == '__main__':
    main()
