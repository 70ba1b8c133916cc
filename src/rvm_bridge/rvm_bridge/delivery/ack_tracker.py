"""Durable rows that were sent and accepted, waiting for the server's stored acknowledgement.

A client event the server accepted is not yet stored: the row stays in the outbox
until ``events-stored`` names its ``event_id``.  :class:`AckTracker` remembers, per
outbox ``seq``, when it was sent, so the sender skips rows still inside
``ack_timeout_s`` and re-sends (same ``event_id``) the ones whose acknowledgement did
not come.  After a reconnect every waiting row is due at once: acknowledgements
published while the socket was down are lost (Pusher does not replay).  An ack can
overtake the return of its own send (it comes on the socket thread): acknowledged seqs
are remembered, so that send is not counted as awaiting one.  In memory
only: after a restart every queued row is simply sent again; the server stores by
``event_id``, so a re-send is never a second record.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Callable, Iterable

#: Acknowledged seqs remembered, so a send still in progress does not wait (seqs are not reused).
STORED_SEQS_KEPT = 10_000


class AckTracker:
    """seq -> (event_id, sent at) of rows sent and waiting for ``events-stored``."""

    def __init__(
        self, timeout_s: float = 30.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.timeout_s = float(timeout_s)
        self._clock = clock
        self._sent: dict[int, tuple[str, float]] = {}
        # acknowledged rows: a send of one still in progress when its ack came waits for nothing
        self._stored: OrderedDict[int, None] = OrderedDict()
        self._lock = threading.Lock()
        self.counters = {'sent': 0, 'resent': 0, 'acked': 0}

    def sent(self, seqs: Iterable[int], event_ids: dict[int, str]) -> None:
        """These rows were accepted by the server now; their ack is awaited."""
        now = self._clock()
        with self._lock:
            for seq in seqs:
                self.counters['sent'] += 1
                if seq in self._stored:         # the ack overtook this send's return
                    del self._stored[seq]
                    continue
                if seq in self._sent:
                    self.counters['resent'] += 1
                self._sent[seq] = (event_ids.get(seq, ''), now)

    def waiting(self) -> set[int]:
        """Seqs inside their ack window (not to be sent again yet)."""
        now = self._clock()
        with self._lock:
            out = set()
            for seq, (event_id, at) in self._sent.items():
                if now - at < self.timeout_s:
                    out.add(seq)
            return out

    def acked(self, seqs: Iterable[int]) -> None:
        """The server stored these rows; a send of them still in progress waits for nothing."""
        with self._lock:
            for seq in seqs:
                self.counters['acked'] += 1
                self._sent.pop(seq, None)
                self._stored[seq] = None
                while len(self._stored) > STORED_SEQS_KEPT:
                    self._stored.popitem(last=False)

    def due_now(self) -> None:
        """Make every waiting row due (after a reconnect the acks sent meanwhile are lost)."""
        with self._lock:
            self._sent = {
                seq: (event_id, float('-inf')) for seq, (event_id, _) in self._sent.items()}

    def drop(self, seqs: Iterable[int]) -> None:
        """These rows left the outbox without an ack (dead-lettered): wait for them no more."""
        with self._lock:
            for seq in seqs:
                self._sent.pop(seq, None)

    def forget(self, keep: Callable[[int], bool]) -> None:
        """Drop rows for which ``keep(seq)`` is False (they left the outbox by another way)."""
        with self._lock:
            self._sent = {seq: v for seq, v in self._sent.items() if keep(seq)}

    def count(self) -> int:
        """Rows sent and awaiting their acknowledgement (inside or past the window)."""
        with self._lock:
            return len(self._sent)

    def seqs(self) -> list[int]:
        """The waiting rows' seqs."""
        with self._lock:
            return list(self._sent)

    def oldest_wait_s(self) -> float:
        """Seconds the longest-waiting row has waited for its ack (0 when none)."""
        now = self._clock()
        with self._lock:
            times = [at for _, at in self._sent.values() if at != float('-inf')]
        return max(0.0, now - min(times)) if times else 0.0
