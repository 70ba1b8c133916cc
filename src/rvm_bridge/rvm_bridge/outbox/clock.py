"""The outbox's own clock: seconds the outbox has been open, immune to wall-clock steps.

Row ages (for the operator's ``max_age_s`` rule) are measured on this clock, not on
``time.time()``: an NTP correction or a timezone sync that steps the system clock
cannot make the whole backlog look old and dead-letter it.  The clock is the
elapsed time persisted in the outbox file when it was opened plus ``time.monotonic()``
since then; it is written back on every change, so it continues across restarts.
Time while the bridge is not running is not counted: an age is "seconds the event
waited while the bridge ran", a lower bound of its wall age (documented in docs/bridge.md).
"""
from __future__ import annotations

import time
from typing import Callable


class OutboxClock:
    """Monotonic seconds since the outbox file was created, counting only running time."""

    def __init__(
        self, persisted_elapsed: float, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._base = max(0.0, float(persisted_elapsed))
        self._monotonic = monotonic
        self._start = monotonic()

    def now(self) -> float:
        """The current reading (never goes back within or across runs)."""
        return self._base + max(0.0, self._monotonic() - self._start)
