"""rclpy adapter of :class:`rvm_bridge.bridge_core.BridgeCore` (ROS 2 Humble).

Subscribes to every topic of the channel map (std_msgs/String JSON) and hands the payload to
the core, which only writes to its outbox / latest store - no callback waits on the network.
Durable topics are subscribed transient-local (``rvm_common.qos_profiles``): a respawned
bridge receives the verdicts published while it was down; the outbox ignores an ``event_id``
it already holds.  Publishes inbound events (``command``, ``timezone/manual_sync``),
``timezone/synced`` and ``bridge/status`` (latched) and ``/diagnostics``.  A configuration
that cannot work leaves the node up, offline with its outbox, in state ``error``
(``rvm_bridge.config_fallback``).  Secrets come from environment variables only.
"""
from __future__ import annotations

import json
from typing import Any

from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from std_msgs.msg import String

from rvm_bridge.bridge_config import BridgeConfig
from rvm_bridge.config_fallback import build_core, error_status
from rvm_bridge.diagnostics import bridge_diagnostic
from rvm_common.diagnostics_msgs import to_diagnostic_array
from rvm_common import events
from rvm_common.params import declare_parameters
from rvm_common.qos_profiles import QosSpec, qos_for
from rvm_common.ros_messages import ros_message_factory
from rvm_common.spin_node import (
    bridge_python_logging, refuse_parameter_changes, run_node, to_rclpy)

#: Topics this node publishes (inbound events and bridge products).
OUTPUT_TOPICS = (events.TOPIC_COMMAND, events.TOPIC_MANUAL_SYNC, events.TOPIC_TIMEZONE,
                 events.TOPIC_BRIDGE_STATUS)
#: Python loggers whose records go to this node's rclpy logger
LOGGERS = ('rvm_bridge', 'rvm_common')


class BridgeNode(Node):
    """ROS topics <-> Laravel Reverb (Pusher protocol v7), with a durable outbox."""

    def __init__(self, **node_kwargs) -> None:
        super().__init__('bridge', **node_kwargs)
        # from the first record
        self._undo_logging = bridge_python_logging(self.get_logger(), LOGGERS)
        self.config: BridgeConfig = declare_parameters(self, BridgeConfig)
        refuse_parameter_changes(self)   # the core reads its config once
        self.factory = ros_message_factory()
        self.output_publishers = {
            topic: self.create_publisher(String, topic, to_rclpy(qos_for(topic)))
            for topic in OUTPUT_TOPICS
        }
        self.diagnostics_publisher = self.create_publisher(DiagnosticArray, '/diagnostics', 10)
        # logs the error
        self.core, self.config_error = build_core(self.config, self.on_core_output)
        self.bridge_subscriptions = [
            self.create_subscription(String, topic, lambda msg, t=topic: self.on_message(t, msg),
                                     self._qos(topic))
            for topic in sorted(self.core.channel_map.routes)]
        if self.config.status_period_s > 0:
            self.diagnostics_timer = self.create_timer(
                self.config.status_period_s, self.on_diagnostics)
        self.core.start()
        self.get_logger().info(
            f'bridge to {self.core.config.host or "(offline: outbox only)"}:{self.config.port}, '
            f'{len(self.core.channel_map.routes)} outbound route(s), '
            f'outbox {self.config.resolved_outbox_path()}')

    def _qos(self, topic: str):
        spec = qos_for(topic)
        return to_rclpy(QosSpec(depth=max(spec.depth, self.config.qos_depth),
                                reliable=spec.reliable and self.config.qos_reliable,
                                latched=spec.latched))

    def on_message(self, topic: str, msg: String) -> None:
        try:
            payload = json.loads(msg.data)
        except ValueError as exc:
            self.get_logger().warning(
                f'{topic}: not JSON ({exc}); ignored', throttle_duration_sec=10.0)
            return
        self.core.publish(topic, payload)

    def on_core_output(self, topic: str, payload: dict[str, Any]) -> None:
        """Called from the core's threads: publish inbound events / bridge products as JSON."""
        publisher = self.output_publishers.get(topic)
        if publisher is None:
            return
        if topic == events.TOPIC_BRIDGE_STATUS:
            payload = error_status(payload, getattr(self, 'config_error', ''))
        publisher.publish(String(data=events.dumps(payload)))

    def on_diagnostics(self) -> None:
        status = error_status(self.core.status(), self.config_error)
        stamp_ns = self.get_clock().now().nanoseconds
        self.diagnostics_publisher.publish(
            to_diagnostic_array(self.factory, [bridge_diagnostic(status)], stamp_ns))

    def shutdown(self) -> None:
        """Try to deliver what is queued (briefly), then stop; the rest stays in the outbox.

        Bounded to ~4 s: launch escalates SIGINT to SIGTERM after 5 s (sigterm_timeout)."""
        self.core.flush(1.5)
        self.core.stop(timeout=2.5)

    def destroy_node(self) -> None:
        self._undo_logging()
        super().destroy_node()


def main(args=None) -> int:
    """Console script ``bridge_node``."""
    return run_node(BridgeNode, args)


if __name__ == '__main__':
    raise SystemExit(main())
