"""Group commit: appends that arrive while one is being written share the next fsync.

A durable append returns only once its row is committed with ``synchronous=FULL`` (it survives a
power loss).  One fsync costs milliseconds; appends from several threads would each wait for
their own.  :class:`GroupCommit` lets the first caller write (the leader) and queues the callers
that arrive meanwhile; when the leader's transaction is done it takes everything queued and
writes it in the next transaction, one fsync for all of them.  Only when the last transaction
held more than one request (producers are concurrent) does the leader first wait, at most
``gather_s`` (2 ms), until as many requests are queued as last time: a lone producer is written
at once and pays nothing extra.
"""
from __future__ import annotations

import threading
import time
from typing import Any, Callable


class GroupCommit:
    """Leader/follower turn-taking around ``write(group)``; each request has ``done``."""

    def __init__(self, write: Callable[[list[Any]], None], gather_s: float = 0.002) -> None:
        self._write = write
        self.gather_s = gather_s
        self._last_size = 0             # requests in the last transaction
        self._turn = threading.Condition()
        self._queue: list[Any] = []
        self._writing = False
        self.groups = 0                 # transactions written (for the bench: requests/groups)

    def run(self, request: Any) -> None:
        """Queue ``request`` and return once a transaction took it (``request.done`` is True)."""
        with self._turn:
            self._queue.append(request)
            self._turn.notify_all()                  # a gathering leader counts arrivals
            while self._writing and not request.done:
                self._turn.wait()
            if request.done:
                return
            self._writing = True
        self._lead()

    def kick(self) -> None:
        """Write once with an empty group (retries held events) unless a writer is active."""
        with self._turn:
            if self._writing:
                return
            self._writing = True
        self._lead(force=True)

    def queued_ids(self) -> set[str]:
        """Event ids waiting for the next transaction."""
        with self._turn:
            return {request.event_id for request in self._queue}

    def _lead(self, force: bool = False) -> None:
        try:
            while True:
                with self._turn:
                    if self._last_size > 1 and self.gather_s > 0:
                        # concurrent producers: their next appends join this fsync
                        deadline = time.monotonic() + self.gather_s
                        while len(self._queue) < self._last_size:
                            left = deadline - time.monotonic()
                            if left <= 0:
                                break
                            self._turn.wait(left)
                    group, self._queue = self._queue, []
                    self._last_size = len(group)
                    if not group and not force:
                        self._writing = False       # checked empty and handed over atomically
                        self._turn.notify_all()
                        return
                force = False
                try:
                    self._write(group)
                finally:
                    for request in group:
                        request.done = True
                    self.groups += 1
                    with self._turn:
                        self._turn.notify_all()
        except BaseException:
            with self._turn:
                self._writing = False
                self._turn.notify_all()
            raise
