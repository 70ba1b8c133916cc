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

import dataclasses
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
from rvm_common.live_params import LiveParameters, install
from rvm_common.params import ConfigError, declare_parameters
from rvm_common.qos_profiles import QosSpec, qos_for
from rvm_common.ros_messages import ros_message_factory
from rvm_common.shutdown_order import CORE_STOP_S, FINAL_DELIVERY_S, PeerDrain
from rvm_common.spin_node import bridge_python_logging, run_node, to_rclpy

#: Topics this node publishes (inbound events and bridge products).
OUTPUT_TOPICS = (events.TOPIC_COMMAND, events.TOPIC_MANUAL_SYNC, events.TOPIC_TIMEZONE,
                 events.TOPIC_BRIDGE_STATUS)
#: Python loggers whose records go to this node's rclpy logger
LOGGERS = ('rvm_bridge', 'rvm_common')
#: parameters the node reads when it needs them (the rest restart the core: ``_restart_core``)
NODE_LIVE = ('shutdown_grace_s',)


class BridgeNode(Node):
    """ROS topics <-> Laravel Reverb (Pusher protocol v7), with a durable outbox."""

    def __init__(self, **node_kwargs) -> None:
        super().__init__('bridge', **node_kwargs)
        # from the first record
        self._undo_logging = bridge_python_logging(self.get_logger(), LOGGERS)
        self.config: BridgeConfig = declare_parameters(self, BridgeConfig)
        self.factory = ros_message_factory()
        self.output_publishers = {
            topic: self.create_publisher(String, topic, to_rclpy(qos_for(topic)))
            for topic in OUTPUT_TOPICS
        }
        self.diagnostics_publisher = self.create_publisher(DiagnosticArray, '/diagnostics', 10)
        # logs the error
        self.core, self.config_error = build_core(self.config, self.on_core_output)
        self.taken = 0      # messages handed to the core (the shutdown drain watches it)
        self.bridge_subscriptions: list = []
        self._subscribed: tuple = ()
        self._subscribe()
        self.diagnostics_timer = None
        self._diagnostics_timer()
        self.core.start()
        restart = {f.name: self._restart_core for f in dataclasses.fields(BridgeConfig)
                   if not f.metadata.get('read_only') and f.name not in NODE_LIVE}
        self.live = LiveParameters(
            BridgeConfig, self.config,
            {**restart, **{name: self._apply_node for name in NODE_LIVE}},
            section=self.get_name())
        install(self, self.live)          # ros2 param set: applied, or refused with the reason
        self.get_logger().info(
            f'bridge to {self.core.config.host or "(offline: outbox only)"}:{self.config.port}, '
            f'{len(self.core.channel_map.routes)} outbound route(s), '
            f'outbox {self.config.resolved_outbox_path()}')

    def _subscribe(self) -> None:
        """Subscribe every outbound route's topic (again only when the routes or QoS changed:
        a new transient-local subscription replays history, which the outbox de-duplicates)."""
        wanted = (tuple(sorted(self.core.channel_map.routes)), self.config.qos_depth,
                  self.config.qos_reliable)
        if wanted == self._subscribed:
            return
        for subscription in self.bridge_subscriptions:
            self.destroy_subscription(subscription)
        self.bridge_subscriptions = [
            self.create_subscription(String, topic, lambda msg, t=topic: self.on_message(t, msg),
                                     self._qos(topic))
            for topic in wanted[0]]
        self._subscribed = wanted

    def _diagnostics_timer(self) -> None:
        if self.diagnostics_timer is not None:
            self.destroy_timer(self.diagnostics_timer)
            self.diagnostics_timer = None
        if self.config.status_period_s > 0:
            self.diagnostics_timer = self.create_timer(
                self.config.status_period_s, self.on_diagnostics)

    # -- run-time parameter changes (rvm_common.live_params) ---------------------------------
    def _apply_node(self, _old: BridgeConfig, new: BridgeConfig) -> None:
        self.config = new

    def _restart_core(self, old: BridgeConfig, new: BridgeConfig) -> None:
        """A new core with the new settings (server, transport, outbox, limits, ...).

        Runs on the executor thread, so no message reaches the core meanwhile (they wait in
        the subscriptions' queues); durable events stay in the outbox file across the restart.
        A configuration that cannot work is refused (ConfigError) and the old one restored.
        """
        new.validate()                  # ConfigError: refused before anything stops
        self.core.stop(timeout=CORE_STOP_S)
        try:
            core, error = build_core(new, self.on_core_output)
        except Exception as exc:  # noqa: BLE001 - e.g. an unreadable channel map: refused
            core, error = None, f'{type(exc).__name__}: {exc}'
        if error:
            if core is not None:
                core.stop(timeout=CORE_STOP_S)
            self.core, self.config_error = build_core(old, self.on_core_output)
            self.core.start()
            raise ConfigError(error.split('; offline')[0])
        self.core, self.config_error, self.config = core, '', new
        self.core.start()
        self._subscribe()
        self._diagnostics_timer()
        self.get_logger().info(f'bridge restarted with the new parameters: '
                               f'{self.core.config.host or "(offline: outbox only)"}:{new.port}')

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
        self.taken += 1
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

    def producer_topics(self) -> list[str]:
        """The topics other nodes publish to the bridge (not the ones it publishes itself)."""
        return sorted(t for t in self.core.channel_map.routes if t not in OUTPUT_TOPICS)

    def producers_present(self) -> bool:
        """True while any node still publishes a topic the bridge takes (ROS graph)."""
        return any(self.count_publishers(topic) > 0 for topic in self.producer_topics())

    def drain_before_shutdown(self, spin_once) -> None:
        """After a stop request: keep taking events (the final ``offline`` status, the session
        summary) until their publishers are gone or ``shutdown_grace_s`` ends
        (:mod:`rvm_common.shutdown_order`); ``ros2 launch`` signals every node at once."""
        drain = PeerDrain(self.config.shutdown_grace_s, self.producers_present,
                          lambda: self.taken)
        taken = self.taken
        end = drain.run(spin_once)
        self.get_logger().info(
            f'stopping: {end.value}; {self.taken - taken} event(s) taken while draining')

    def shutdown(self) -> None:
        """Try to deliver what is queued (briefly), then stop; the rest stays in the outbox.

        Bounded: the launch gives the bridge ``bridge_sigterm_timeout`` before SIGTERM."""
        self.core.flush(FINAL_DELIVERY_S)
        self.core.stop(timeout=CORE_STOP_S)

    def destroy_node(self) -> None:
        self._undo_logging()
        super().destroy_node()


def main(args=None) -> int:
    """Console script ``bridge_node``."""
    return run_node(BridgeNode, args)


if __name__ == '__main__':
    raise SystemExit(main())
