"""The QoS of every rvm-edge topic, defined once (pure; the adapters turn it into rclpy QoS).

* Durable topics (``items/verdict``, ``items/session``): reliable + transient-local with a
  history that covers a bridge restart - a respawned bridge's new subscription receives every
  verdict published while it was down (the outbox ignores an ``event_id`` it already holds).
* Status topics (``status``, ``health``, ``*/status``, ``timezone/synced``): reliable +
  transient-local, depth 1 - latched, so a late joiner sees the current state at once.
* Everything else JSON (``items/processing``, ``command``, ``timezone/manual_sync``): reliable,
  volatile.  Images keep their own parameters (sensor data).
"""
from __future__ import annotations

from dataclasses import dataclass

from rvm_common import events

#: Verdicts kept for late joiners: ~10 minutes of a busy machine (one item every 3 s).
DURABLE_DEPTH = 200


@dataclass(frozen=True)
class QosSpec:
    """History depth, reliability and durability of one topic."""

    depth: int
    reliable: bool = True
    latched: bool = False    # transient-local durability


DURABLE = QosSpec(depth=DURABLE_DEPTH, latched=True)
LATCHED = QosSpec(depth=1, latched=True)
EVENTS = QosSpec(depth=10)

TOPIC_QOS: dict[str, QosSpec] = {
    events.TOPIC_VERDICT: DURABLE,
    events.TOPIC_SESSION: DURABLE,
    events.TOPIC_ITEM_FAILED: DURABLE,
    events.TOPIC_RVM_STATUS: LATCHED,
    events.TOPIC_HEALTH: LATCHED,
    events.TOPIC_TIMEZONE: LATCHED,
    events.TOPIC_CAMERA_STATUS: LATCHED,
    events.TOPIC_DETECTOR_STATUS: LATCHED,
    events.TOPIC_BRIDGE_STATUS: LATCHED,
    events.TOPIC_PROCESSING: EVENTS,
    events.TOPIC_COMMAND: EVENTS,
    events.TOPIC_MANUAL_SYNC: EVENTS,
}


def qos_for(topic: str, *, replay: bool = True) -> QosSpec:
    """The QoS of ``topic`` (unknown topics: reliable, volatile, depth 10).

    ``replay=False`` gives a subscription that takes no history (volatile, still compatible
    with a latched publisher): for observers that must not count a replayed event twice.
    """
    spec = TOPIC_QOS.get(topic, EVENTS)
    if not replay:
        return QosSpec(depth=spec.depth, reliable=spec.reliable, latched=False)
    return spec
