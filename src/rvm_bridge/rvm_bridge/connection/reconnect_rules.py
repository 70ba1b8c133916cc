"""What the connection does after a connect attempt failed or a socket closed: one rule table.

Sans I/O: :func:`next_step` reads the facts of the moment (:class:`SocketEnd`) and returns the
:class:`Next` step; :class:`~rvm_bridge.connection.pusher_connection.PusherConnection` only carries
it out (state, timeline, wait).  The first row whose condition holds wins (the row order is the
priority).

=====================  ===========================================  ==============================
next step              condition (first match wins)                 then
=====================  ===========================================  ==============================
connect_again          the caller asked for a new socket            connect now
refused                configuration error or a 4000-4099 close     FAILED; wait refused_retry_s
reconnect_soon         4200-class close, first failure or healthy   CONNECTING; spread, reconnect
back_off               anything else (lost network, 4100, timeout)  UNAVAILABLE; capped backoff
=====================  ===========================================  ==============================
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Callable

from rvm_bridge.protocol.pusher_protocol import CloseAction


class Next(Enum):
    """The connection's next step after a socket ended (or never opened)."""

    CONNECT_AGAIN = 'connect_again'      # reconnect() was called: a new socket now
    REFUSED = 'refused'                  # FAILED: do not reconnect unchanged
    RECONNECT_SOON = 'reconnect_soon'    # 4200-class: connect again after a random spread
    BACK_OFF = 'back_off'                # UNAVAILABLE: connect again after the backoff


@dataclass(frozen=True)
class SocketEnd:
    """The facts :func:`next_step` decides on."""

    action: CloseAction          # the protocol's class of the close (or of the connect error)
    requested: bool = False      # reconnect() asked for a new socket
    fresh: bool = True           # no failure since the last healthy connection


#: (condition, next step), in priority order; the table of the module docstring
RULES: tuple[tuple[Callable[[SocketEnd], bool], Next], ...] = (
    (lambda end: end.requested, Next.CONNECT_AGAIN),
    (lambda end: end.action is CloseAction.REFUSED, Next.REFUSED),
    (lambda end: end.action is CloseAction.RECONNECT_NOW and end.fresh, Next.RECONNECT_SOON),
    (lambda end: True, Next.BACK_OFF),
)


def next_step(end: SocketEnd) -> Next:
    """The first rule of :data:`RULES` whose condition holds for ``end``."""
    return next(step for condition, step in RULES if condition(end))
