"""The reader thread's wait before it connects again: on the injected clock, cut short on demand.

:class:`~rvm_bridge.connection.pusher_connection.PusherConnection` waits here between sockets (the
backoff, the spread after a reconnect-now close, the retry after a refusal).  The wait is measured
on the connection's clock (a test's fake clock too), re-checked at least every ``CLOCK_SLICE_S``;
``stop()`` and ``reconnect()`` end it at once.
"""
from __future__ import annotations

import threading
from typing import Callable

CLOCK_SLICE_S = 0.05   # waits are measured on the injected clock, re-checked at least this often


class ReconnectWait:
    """An interruptible wait on an injected clock; :meth:`request` also sets ``requested``."""

    def __init__(self, clock: Callable[[], float], stop: threading.Event) -> None:
        self._clock = clock
        self._stop = stop
        self._wake = threading.Event()
        self.requested = False   # reconnect() asked for a new socket now

    def wake(self) -> None:
        """End the wait in progress (or the next one, when none is)."""
        self._wake.set()

    def request(self) -> None:
        """Ask for a new socket now: ``requested`` is set and the wait ends."""
        self.requested = True
        self._wake.set()

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds``; stop() and reconnect() cut it short."""
        if self._stop.is_set() or self.requested:
            self.requested = False
            return
        deadline = self._clock() + seconds
        while not self._wake.is_set() and self._clock() < deadline:      # on the injected clock
            self._wake.wait(min(CLOCK_SLICE_S, max(0.0, deadline - self._clock())))
        self._wake.clear()
        self.requested = False
