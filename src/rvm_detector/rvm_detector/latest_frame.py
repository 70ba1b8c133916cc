"""Keep-newest single-slot frame buffer: back-pressure without an unbounded queue."""
from __future__ import annotations

import threading
from typing import Any


class LatestFrame:
    """Holds at most one pending frame; a newer ``put`` replaces (and counts) the unread one.

    Thread-safe: a ROS callback or camera thread puts, one worker takes.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: Any = None
        self._has_item = False
        self.received = 0
        self.dropped = 0
        self._closed = False

    def put(self, item: Any) -> bool:
        """Store ``item``; True if an unprocessed frame was dropped for it."""
        with self._cond:
            dropped = self._has_item
            if dropped:
                self.dropped += 1
            self._item, self._has_item = item, True
            self.received += 1
            self._cond.notify()
            return dropped

    def take(self, timeout: float | None = 0.0) -> Any:
        """The newest frame (removing it), or None if none arrives within ``timeout`` seconds."""
        with self._cond:
            if not self._has_item and timeout != 0.0 and not self._closed:
                self._cond.wait_for(lambda: self._has_item or self._closed, timeout)
            if not self._has_item:
                return None
            item, self._item, self._has_item = self._item, None, False
            return item

    def close(self) -> None:
        """Wake a waiting ``take`` (shutdown)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def __len__(self) -> int:
        return int(self._has_item)
