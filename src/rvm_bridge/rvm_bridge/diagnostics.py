"""Bridge status -> a DiagnosticStatus-shaped dict -> ``diagnostic_msgs/msg/DiagnosticArray``.

Builds messages through a :class:`rvm_common.image_conv.MessageFactory`, so the
same code makes rclpy messages on the robot and rosbags dataclasses in tests.
``level`` is a ``byte`` field: rclpy wants a 1-byte ``bytes``, rosbags an int;
the type of the class constant ``OK`` tells which.
"""
from __future__ import annotations

import json
from typing import Any

from rvm_common.image_conv import MessageFactory, make_header

OK, WARN, ERROR, STALE = 0, 1, 2, 3
NAME = 'rvm_edge: bridge'


def bridge_diagnostic(status: dict[str, Any], *, warn_depth: int = 100, warn_age_s: float = 60.0) -> dict[str, Any]:
    """One DiagnosticStatus dict (name, level, message, hardware_id, values) from ``BridgeCore.status()``."""
    state = str(status.get('state', 'unknown'))
    depth = int(status.get('outbox_depth') or 0)
    age = float(status.get('outbox_oldest_age_s') or 0.0)
    if state in ('failed',):
        level, message = ERROR, f'connection failed: {status.get("last_error") or "?"}'
    elif state == 'error':
        level, message = ERROR, str(status.get('last_error') or 'error')
    elif state == 'offline':
        level, message = WARN, f'offline (no host configured); {depth} event(s) kept in the outbox'
    elif state in ('unavailable', 'disconnected', 'connecting', 'degraded', 'starting'):
        level, message = WARN, f'{state}; outbox {depth} event(s), oldest {age:.0f} s'
    elif status.get('paused'):
        level, message = ERROR, f'delivery paused (configuration): {"; ".join(status["paused"].values())}'
    elif depth >= warn_depth or age >= warn_age_s:
        level, message = WARN, f'outbox backlog: {depth} event(s), oldest {age:.0f} s'
    else:
        level, message = OK, f'{state}; outbox {depth}'
    latency = status.get('latency_ms') or {}
    values = {
        'state': state,
        'reconnects': status.get('reconnects', 0),
        'last_error': status.get('last_error') or '',
        'outbox_depth': depth,
        'outbox_oldest_age_s': age,
        'outbox_bytes': status.get('outbox_bytes', 0),
        'dead_lettered': status.get('dead_lettered', 0),
        'sent': status.get('sent', 0),
        'awaiting_ack': status.get('awaiting_ack', 0),
        'paused': json.dumps(status.get('paused') or {}, separators=(',', ':')),
        'latency_p50_ms': latency.get('p50'),
        'latency_p99_ms': latency.get('p99'),
        'clock_offset_ms': status.get('clock_offset_ms'),
        'timezone': status.get('timezone'),
        'inbound': json.dumps(status.get('inbound') or {}, separators=(',', ':')),
    }
    return {'name': NAME, 'level': level, 'message': message, 'hardware_id': str(status.get('rvm_id', '')),
            'values': {k: '' if v is None else str(v) for k, v in values.items()}}


def to_diagnostic_array(factory: MessageFactory, statuses: list[dict[str, Any]], stamp_ns: int) -> Any:
    """A ``diagnostic_msgs/msg/DiagnosticArray`` of DiagnosticStatus dicts."""
    status_cls = factory.resolve('diagnostic_msgs/msg/DiagnosticStatus')
    as_bytes = isinstance(getattr(status_cls, 'OK', 0), bytes)
    msgs = []
    for s in statuses:
        values = [factory.new('diagnostic_msgs/msg/KeyValue', key=str(k), value=str(v))
                  for k, v in s['values'].items()]
        level = bytes([int(s['level'])]) if as_bytes else int(s['level'])
        msgs.append(status_cls(level=level, name=s['name'], message=s['message'],
                               hardware_id=s['hardware_id'], values=values))
    return factory.new('diagnostic_msgs/msg/DiagnosticArray', header=make_header(factory, stamp_ns, ''),
                       status=msgs)
