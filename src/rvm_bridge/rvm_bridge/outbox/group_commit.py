"""Group commit: appends that arrive while one is being written share the next fsync.

A durable append returns only once its row is committed with ``synchronous=FULL`` (it survives a
power loss).  One fsync costs milliseconds; appends from several threads would each wait for
their own.  :class:`GroupCommit` lets the first caller write (the leader) and queues the callers
that arrive meanwhile; when the leader's transaction is done it takes everything queued and
writes it in the next transaction, one fsync for all of them.  Only when the last transaction
held more than one request (producers are concurrent) does the leader first wait, at most
``gather_s`` (2 ms), until as many requests are queued as last time: a lone producer is written
at once and pays nothing extra.

A producer that must not wait at all (one thread publishing a burst) uses :meth:`enqueue` and
a writer thread (:meth:`writer_loop`) commits what arrived within ``window_s``: the append is
acknowledged (``done``, ``on_done``) only once its transaction is committed.  A write that
raises (a bug: ``write`` holds storage faults itself) puts its group back at the head of the queue
and re-raises: the supervised writer thread is restarted and writes it, in order, nothing lost.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

LOG = logging.getLogger(__name__)


class GroupCommit:
    """Leader/follower turn-taking around ``write(group)``; each request has ``done``."""

    def __init__(self, write: Callable[[list[Any]], None], gather_s: float = 0.002) -> None:
        self._write = write
        self.gather_s = gather_s
        self._last_size = 0             # requests in the last transaction
        self._turn = threading.Condition()
        self._queue: list[Any] = []
        self._writing = False
        self._inflight = 0              # requests taken by the transaction being written
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

    def enqueue(self, request: Any) -> None:
        """Queue ``request`` and return at once; the writer thread commits it."""
        with self._turn:
            self._queue.append(request)
            self._turn.notify_all()

    def writer_loop(self, stop: threading.Event, window_s: float) -> None:
        """The writer thread: wait for queued requests, gather ``window_s``, commit them."""
        while not stop.is_set():
            with self._turn:
                while not self._queue or self._writing:
                    if stop.is_set():
                        return
                    self._turn.wait(0.2)
            stop.wait(window_s)         # what arrives meanwhile shares this commit (one fsync)
            with self._turn:
                if self._writing or not self._queue:
                    continue
                self._writing = True
            self._lead()

    def pending(self) -> int:
        """Requests queued or being written (not yet acknowledged)."""
        with self._turn:
            return len(self._queue) + self._inflight

    def settle(self, timeout: float) -> bool:
        """True once nothing is queued or being written; False after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._turn:
            while self._queue or self._writing:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._turn.wait(min(left, 0.2))
        return True

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
                    self._last_size = self._inflight = len(group)
                    if not group and not force:
                        self._writing = False       # checked empty and handed over atomically
                        self._turn.notify_all()
                        return
                force = False
                try:
                    self._write(group)
                except BaseException:
                    with self._turn:            # not written: first in line for the next writer
                        self._queue[:0] = group
                        self._inflight = 0
                    raise
                for request in group:
                    request.done = True
                self.groups += 1
                with self._turn:
                    self._inflight = 0
                    self._turn.notify_all()
                _acknowledge(group)
        except BaseException:
            with self._turn:
                self._writing = False
                self._turn.notify_all()
            raise


def _acknowledge(group: list[Any]) -> None:
    """Call each request's ``on_done(request)`` (the producer that did not wait); never raises."""
    for request in group:
        callback = getattr(request, 'on_done', None)
        if callback is not None:
            try:
                callback(request)
            except Exception:  # noqa: BLE001 - a producer's callback must not stop the writer
                LOG.exception('outbox: on_done callback failed for %s', request.event_id)
