"""Storage faults of the outbox: what failed, in words, and the events waiting for the disk.

An append that SQLite cannot store (disk full, I/O error, database locked, read-only file) is not
an exception for the caller: :class:`UnstoredEvents` keeps it in a bounded memory buffer, in
order, and says when to try the disk again (capped backoff).  ``reason`` is what health and the
closing summary show (``outbox: disk full``).  An event that finds the buffer full is refused:
logged with its id and counted (``lost_unstored``), never dropped without a word.
"""
from __future__ import annotations

import sqlite3
import time
from collections import deque
from typing import Any, Callable, Iterable

from rvm_common.backoff import Backoff

#: sqlite3 error text -> the short reason operators read
_REASONS = (
    ('disk is full', 'disk full'),
    ('disk i/o error', 'I/O error'),
    ('database is locked', 'locked'),
    ('database table is locked', 'locked'),
    ('readonly database', 'read-only'),
    ('unable to open', 'cannot open'),
)


def storage_reason(exc: BaseException) -> str:
    """``disk full``, ``I/O error``, ``locked``, ``read-only`` ... for a sqlite3 error."""
    text = str(exc).lower()
    for needle, reason in _REASONS:
        if needle in text:
            return reason
    return f'{type(exc).__name__}: {exc}'


def is_storage_fault(exc: BaseException) -> bool:
    """True for errors of the storage (kept and retried), False for bugs and constraints."""
    return isinstance(exc, (sqlite3.OperationalError, sqlite3.DatabaseError, OSError)) and not (
        isinstance(exc, sqlite3.IntegrityError))


class UnstoredEvents:
    """Bounded FIFO of append requests the disk refused, with the retry schedule."""

    def __init__(self, capacity: int = 10_000, *, retry_min_s: float = 0.05,
                 retry_max_s: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = max(1, int(capacity))
        self._items: deque[Any] = deque()
        self._backoff = Backoff(retry_min_s, retry_max_s, jitter=0.2)
        self._clock = clock
        self._retry_at = 0.0
        self.reason = ''          # the last storage fault, '' once the disk took everything

    def __len__(self) -> int:
        return len(self._items)

    def ids(self) -> set[str]:
        """The event ids held (for duplicate checks)."""
        return {item.event_id for item in self._items}

    def due(self) -> bool:
        """True when held events exist and the backoff since the last failure has run out."""
        return bool(self._items) and self._clock() >= self._retry_at

    def retry_in(self) -> float:
        """Seconds until the next attempt (0 when due or empty)."""
        return max(0.0, self._retry_at - self._clock()) if self._items else 0.0

    def take(self) -> list[Any]:
        """All held requests, oldest first (the caller writes them or gives them back)."""
        items = list(self._items)
        self._items.clear()
        return items

    def hold(self, items: Iterable[Any], reason: str, *, failed: bool = True) -> list[Any]:
        """Keep ``items`` (in order); returns those that did not fit (refused).

        ``failed``: a write was tried and failed (the next try backs off further); False when
        the items only queue behind held ones until the next try.
        """
        self.reason = reason
        if failed:
            self._retry_at = self._clock() + self._backoff.next_delay()
        refused = []
        for item in items:
            if len(self._items) < self.capacity:
                self._items.append(item)
            else:
                refused.append(item)
        return refused

    def stored(self) -> None:
        """The disk took everything: the fault is over, the backoff starts from its minimum."""
        self.reason = ''
        self._backoff.reset()
        self._retry_at = 0.0
