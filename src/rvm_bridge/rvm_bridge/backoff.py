"""Capped exponential backoff with jitter for reconnects and retries.

pusher-js retries after a fixed second; a fleet of machines that lost the same
server would then hammer it in lock-step.  Here the n-th delay is
``min(maximum, initial * multiplier**n)`` scaled by a random factor in
``[1 - jitter, 1]`` ("equal jitter"), so delays grow ~1 s -> 30 s and spread out.
"""
from __future__ import annotations

import random


class Backoff:
    """Delays for successive failed attempts; :meth:`reset` after a success."""

    def __init__(self, initial: float = 1.0, maximum: float = 30.0, *, multiplier: float = 2.0,
                 jitter: float = 0.5, rng: random.Random | None = None) -> None:
        if initial <= 0 or maximum < initial:
            raise ValueError(f'backoff needs 0 < initial <= maximum (got {initial}, {maximum})')
        if multiplier < 1:
            raise ValueError(f'backoff multiplier must be >= 1 (got {multiplier})')
        if not 0 <= jitter < 1:
            raise ValueError(f'backoff jitter must be in [0, 1) (got {jitter})')
        self.initial = float(initial)
        self.maximum = float(maximum)
        self.multiplier = float(multiplier)
        self.jitter = float(jitter)
        self._rng = rng or random.Random()
        self.attempts = 0

    def ceiling(self) -> float:
        """The un-jittered delay of the next attempt."""
        return min(self.maximum, self.initial * self.multiplier ** min(self.attempts, 64))

    def next_delay(self) -> float:
        """The delay before the next attempt (and count that attempt)."""
        ceiling = self.ceiling()
        self.attempts += 1
        return ceiling * (1.0 - self.jitter * self._rng.random())

    def reset(self) -> None:
        """Start again from ``initial`` (after a successful connection)."""
        self.attempts = 0
