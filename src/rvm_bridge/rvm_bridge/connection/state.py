"""The connection state machine (pusher-js state names) and its structured timeline.

One transition table (:data:`TRANSITIONS`), one setter (:meth:`ConnectionStateMachine.set`)
that does nothing when the state is unchanged and otherwise notifies listeners with
``(previous, current, reason)`` and appends to the timeline.  ``FAILED`` is only for
configuration errors and refusals by the server (close codes 4000-4099), never for a
lost network (that is ``UNAVAILABLE``, retried with backoff).
"""
from __future__ import annotations

import enum
import logging
import threading
import time
from collections import deque
from typing import Any, Callable

LOG = logging.getLogger(__name__)


class ConnectionState(enum.Enum):
    """States of a Pusher connection, named as in pusher-js."""

    INITIALIZED = 'initialized'
    CONNECTING = 'connecting'
    CONNECTED = 'connected'
    UNAVAILABLE = 'unavailable'
    FAILED = 'failed'
    DISCONNECTED = 'disconnected'


S = ConnectionState

#: Allowed transitions: state -> the states it may move to.
TRANSITIONS: dict[ConnectionState, frozenset[ConnectionState]] = {
    S.INITIALIZED: frozenset({S.CONNECTING, S.FAILED, S.DISCONNECTED}),
    S.CONNECTING: frozenset({S.CONNECTED, S.UNAVAILABLE, S.FAILED, S.DISCONNECTED}),
    S.CONNECTED: frozenset({S.CONNECTING, S.UNAVAILABLE, S.FAILED, S.DISCONNECTED}),
    S.UNAVAILABLE: frozenset({S.CONNECTING, S.FAILED, S.DISCONNECTED}),
    S.FAILED: frozenset({S.CONNECTING, S.DISCONNECTED}),
    S.DISCONNECTED: frozenset({S.CONNECTING}),
}


class InvalidTransition(RuntimeError):
    """A state change the transition table does not allow (a programming error)."""


Listener = Callable[[ConnectionState, ConnectionState, str], None]


class Timeline:
    """Bounded, structured record of what happened to the connection (not a log).

    Entries are dicts ``{t: wall time, kind: ..., **fields}``; kinds used:
    ``state``, ``retry``, ``close``, ``error``, ``pong``, ``auth``.
    """

    def __init__(self, maxlen: int = 200, clock: Callable[[], float] = time.time) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=maxlen)
        self._lock = threading.Lock()
        self._clock = clock

    def record(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Append one entry and return it."""
        entry = {'t': round(self._clock(), 3), 'kind': kind, **fields}
        with self._lock:
            self._entries.append(entry)
        return entry

    def entries(self, kind: str | None = None, last: int | None = None) -> list[dict[str, Any]]:
        """A copy of the entries (optionally one kind, optionally only the last ``last``)."""
        with self._lock:
            items = [e for e in self._entries if kind is None or e['kind'] == kind]
        return items[-last:] if last else items

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


class ConnectionStateMachine:
    """Holds the current state; :meth:`set` validates, records and notifies."""

    def __init__(self, timeline: Timeline | None = None) -> None:
        self.timeline = timeline or Timeline()
        self._state = ConnectionState.INITIALIZED
        self._listeners: list[Listener] = []
        self._lock = threading.RLock()

    @property
    def state(self) -> ConnectionState:
        """The current state."""
        return self._state

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(previous, current, reason)`` on every change."""
        self._listeners.append(listener)

    def set(self, new: ConnectionState, reason: str = '') -> bool:
        """Move to ``new``; False (and nothing happens) when already there."""
        with self._lock:
            previous = self._state
            if new is previous:
                return False
            if new not in TRANSITIONS[previous]:
                raise InvalidTransition(
                    f'{previous.value} -> {new.value} is not allowed ({reason})')
            self._state = new
            self.timeline.record(
                'state', previous=previous.value, current=new.value, reason=reason)
        for listener in list(self._listeners):
            try:
                listener(previous, new, reason)
            except Exception:  # noqa: BLE001 - a listener must not break the connection
                LOG.exception('connection state listener failed')
        return True
