"""Shutdown order when every node is signalled at once (``ros2 launch`` on Ctrl-C).

The terminal's SIGINT reaches all four nodes together; the health node then publishes the
final ``offline`` status and the detector the summary of the open session.  The bridge must
still be taking events at that moment, so after a stop request it *drains*
(:class:`PeerDrain`): it keeps spinning and queuing into its outbox until the nodes that
publish to it are gone from the graph or ``shutdown_grace_s`` ends, and only then flushes
(:data:`FINAL_DELIVERY_S`) and stops (:data:`CORE_STOP_S`).  The final status is kept durable
(:func:`durable_last_word`), like the session summary, so both reach the outbox every time.
The launch file gives the bridge a SIGTERM timeout that covers the whole sequence
(:func:`bridge_sigterm_timeout`); a second signal still aborts at once.

rclpy-free: the bridge node passes its executor's ``spin_once`` and a graph query.
"""
from __future__ import annotations

import enum
import time
from typing import Any, Callable

from rvm_common.events import TOPIC_RVM_STATUS

#: seconds the bridge tries to deliver what is queued after the drain (the rest stays queued)
FINAL_DELIVERY_S = 3.0
#: seconds the bridge core gets to stop its threads and close the outbox
CORE_STOP_S = 2.5
#: largest ``shutdown_grace_s`` (the launch's SIGTERM timeout of the bridge is built from it)
GRACE_MAX_S = 20.0
#: seconds of one drain round (bounds how late the drain notices that the peers are gone)
DRAIN_ROUND_S = 0.05
#: quiet rounds (nothing taken) after the peers left before the drain ends
QUIET_ROUNDS = 3


class DrainEnd(enum.Enum):
    """Why the bridge stopped taking events after a stop request."""

    NO_GRACE = 'no grace period (shutdown_grace_s 0)'
    PEERS_GONE = 'every node publishing to the bridge is gone'
    GRACE_OVER = 'grace period over, publishers still present'


def durable_last_word(topic: str, payload: Any, delivery: str, transport: str) -> bool:
    """True for a change to ``offline`` of the RVM status on a ``latest`` route (the final status
    of a stopping health node, or all components silent): it is queued durably (outbox) so the
    last state of a machine survives a missing server and a restart.  Heartbeats (repeats of an
    unchanged status) stay ``latest``.

    Routes over client events are left as they are: they wait for a storage acknowledgement that
    a status event never gets.
    """
    return (delivery == 'latest' and transport != 'client-event' and topic == TOPIC_RVM_STATUS
            and isinstance(payload, dict) and payload.get('state') == 'offline'
            and not payload.get('heartbeat'))


def bridge_sigterm_timeout(grace_s: float = GRACE_MAX_S) -> float:
    """Seconds ``ros2 launch`` must wait between SIGINT and SIGTERM for the bridge: the drain,
    the final delivery, the core's stop and a margin for the final spin and rclpy shutdown."""
    return float(grace_s) + FINAL_DELIVERY_S + CORE_STOP_S + 2.0


class PeerDrain:
    """Keep taking events until the producers are gone or ``grace_s`` ends.

    ``producers_present()`` says whether any other node still publishes a topic the bridge
    takes (``Node.count_publishers``); ``taken()`` is how many messages the bridge has taken so
    far.  :meth:`run` spins with ``spin_once(timeout_s)``; once the producers are gone it keeps
    spinning until :data:`QUIET_ROUNDS` rounds take nothing (messages already on the way).
    """

    def __init__(self, grace_s: float, producers_present: Callable[[], bool],
                 taken: Callable[[], int], *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.grace_s = max(0.0, min(float(grace_s), GRACE_MAX_S))
        self._present = producers_present
        self._taken = taken
        self._clock = clock
        self.rounds = 0

    def run(self, spin_once: Callable[[float], Any]) -> DrainEnd:
        """Drain; returns why it ended (never later than ``grace_s`` plus one round)."""
        if self.grace_s <= 0:
            return DrainEnd.NO_GRACE
        deadline = self._clock() + self.grace_s
        quiet = 0
        gone = False
        while self._clock() < deadline:
            before = self._taken()
            spin_once(DRAIN_ROUND_S)
            self.rounds += 1
            gone = gone or not self._present()
            if not gone:
                continue
            quiet = quiet + 1 if self._taken() == before else 0
            if quiet >= QUIET_ROUNDS:
                return DrainEnd.PEERS_GONE
        return DrainEnd.PEERS_GONE if gone else DrainEnd.GRACE_OVER
