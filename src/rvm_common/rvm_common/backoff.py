"""Capped exponential backoff with jitter for reconnects and retries.

pusher-js retries after a fixed second; a fleet of machines that lost the same
server would then hammer it in lock-step.  Here the n-th delay is
``min(maximum, initial * multiplier**n)`` scaled by a random factor in
``[1 - jitter, 1]`` ("equal jitter"), so delays grow ~1 s -> 30 s and spread out.

One backoff for every retry loop of rvm-edge (camera reopen, Pusher connection, channel auth,
outbox sender).  A success can count only once it has lasted: :meth:`Backoff.succeeded` notes
when the resource came up, and the next :meth:`Backoff.next_delay` starts again from
``initial`` only if that was at least ``healthy_after_s`` earlier.  A device that opens and fails
at once therefore keeps backing off instead of looping at the first delay.
"""
from __future__ import annotations

import random


class Backoff:
    """Delays for successive failed attempts; :meth:`reset` (at once) or :meth:`succeeded`
    (once healthy for ``healthy_after_s``) starts them again from ``initial``."""

    def __init__(self, initial: float = 1.0, maximum: float = 30.0, *, multiplier: float = 2.0,
                 jitter: float = 0.5, healthy_after_s: float = 0.0,
                 rng: random.Random | None = None) -> None:
        if initial <= 0 or maximum < initial:
            raise ValueError(f'backoff needs 0 < initial <= maximum (got {initial}, {maximum})')
        if multiplier < 1:
            raise ValueError(f'backoff multiplier must be >= 1 (got {multiplier})')
        if not 0 <= jitter < 1:
            raise ValueError(f'backoff jitter must be in [0, 1) (got {jitter})')
        if healthy_after_s < 0:
            raise ValueError(f'backoff healthy_after_s must be >= 0 (got {healthy_after_s})')
        self.initial = float(initial)
        self.maximum = float(maximum)
        self.multiplier = float(multiplier)
        self.jitter = float(jitter)
        self.healthy_after_s = float(healthy_after_s)
        self._rng = rng or random.Random()
        self.attempts = 0
        self._up_since: float | None = None

    def ceiling(self) -> float:
        """The un-jittered delay of the next attempt."""
        return min(self.maximum, self.initial * self.multiplier ** min(self.attempts, 64))

    def next_delay(self, now: float | None = None) -> float:
        """The delay before the next attempt (and count that attempt).

        ``now`` (the failure time, same clock as :meth:`succeeded`): if the last success had
        lasted ``healthy_after_s`` by then, the delays first start again from ``initial``.
        """
        if now is not None and self.healthy(now):
            self.attempts = 0
        self._up_since = None
        ceiling = self.ceiling()
        self.attempts += 1
        return ceiling * (1.0 - self.jitter * self._rng.random())

    def spread(self, window: float) -> float:
        """A uniform random delay in ``[0, window]`` (same random source as the backoff)."""
        return window * self._rng.random()

    def healthy(self, now: float) -> bool:
        """True if the last success (no failure since) lasted ``healthy_after_s`` by ``now``."""
        return self._up_since is not None and now - self._up_since >= self.healthy_after_s

    def succeeded(self, now: float) -> None:
        """The attempt worked at ``now``; delays reset once it has lasted ``healthy_after_s``."""
        self._up_since = now

    def reset(self) -> None:
        """Start again from ``initial`` at once."""
        self.attempts = 0
        self._up_since = None
