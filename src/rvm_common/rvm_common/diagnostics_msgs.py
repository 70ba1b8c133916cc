"""DiagnosticStatus-shaped dicts -> ``diagnostic_msgs/msg/DiagnosticArray`` via a MessageFactory.

The one converter of the health and bridge nodes (their cores build the dicts:
``name``, ``level``, ``message``, ``hardware_id``, ``values``).  Works for rclpy
messages (where the ``byte`` field ``level`` is a 1-byte ``bytes``) and for the
rosbags typestore (where it is an int): the type of the class constant ``OK``
tells which.
"""
from __future__ import annotations

from typing import Any, Iterable

from rvm_common.image_conv import MessageFactory, make_header

#: diagnostic_msgs/DiagnosticStatus levels.
OK, WARN, ERROR, STALE = 0, 1, 2, 3
LEVELS = (OK, WARN, ERROR, STALE)


def level_value(status_cls: type, level: int) -> Any:
    """``level`` in the representation ``status_cls`` uses for its ``byte`` field."""
    if level not in LEVELS:
        raise ValueError(f'diagnostic level must be one of {LEVELS}, got {level!r}')
    return bytes([level]) if isinstance(getattr(status_cls, 'OK', 0), bytes) else level


def to_diagnostic_status(factory: MessageFactory, status: dict[str, Any]) -> Any:
    """One ``diagnostic_msgs/msg/DiagnosticStatus``."""
    status_cls = factory.resolve('diagnostic_msgs/msg/DiagnosticStatus')
    values = [factory.new('diagnostic_msgs/msg/KeyValue', key=str(k), value=str(v))
              for k, v in (status.get('values') or {}).items()]
    return status_cls(
        level=level_value(status_cls, int(status['level'])), name=str(status['name']),
        message=str(status.get('message', '')), hardware_id=str(status.get('hardware_id', '')),
        values=values)


def to_diagnostic_array(factory: MessageFactory, statuses: Iterable[dict[str, Any]], stamp_ns: int,
                        frame_id: str = '') -> Any:
    """A ``diagnostic_msgs/msg/DiagnosticArray`` stamped ``stamp_ns``."""
    return factory.new(
        'diagnostic_msgs/msg/DiagnosticArray', header=make_header(factory, stamp_ns, frame_id),
        status=[to_diagnostic_status(factory, s) for s in statuses])


def level_of(msg_status: Any) -> int:
    """The int level of a DiagnosticStatus message (bytes or int)."""
    level = msg_status.level
    return level[0] if isinstance(level, (bytes, bytearray)) else int(level)
