"""Durable outbox: a SQLite (WAL) queue of events that must reach the server.

An event is written here *before* any send and removed only once the send is
confirmed.  Each row keeps the producer's ``event_id`` and gets a per-machine,
monotonically increasing ``seq`` (persisted, never reused - also across
restarts), which is written into the payload so receivers can de-duplicate.

Bounds (rows, bytes, age) are enforced with an explicit policy; every event
that leaves the outbox without being delivered is moved to the ``dead_letter``
table, logged and counted - nothing disappears silently.
"""
from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from rvm_common.events import dumps

LOG = logging.getLogger(__name__)

POLICIES = ('drop_oldest', 'reject_new')

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL,
    event TEXT NOT NULL,
    transport TEXT NOT NULL,
    payload TEXT NOT NULL,
    size INTEGER NOT NULL,
    created REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS dead_letter (
    seq INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    reason TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


@dataclass(frozen=True)
class OutboxEntry:
    """One queued event; ``payload`` is the JSON text sent on the wire (includes ``seq``)."""

    seq: int
    event_id: str
    channel: str
    event: str
    transport: str
    payload: str
    size: int
    created: float
    attempts: int = 0


class Outbox:
    """Thread-safe, bounded, persistent FIFO of durable events.

    ``max_rows``/``max_bytes``/``max_age_s`` <= 0 disable that bound.  When a
    new event would exceed a size bound, ``policy`` decides: ``drop_oldest``
    moves the oldest queued rows to the dead-letter table, ``reject_new``
    refuses the new event (``append`` returns None).  Expired rows are moved to
    the dead-letter table by :meth:`expire`.
    """

    def __init__(self, path: str | Path, *, max_rows: int = 100_000, max_bytes: int = 200_000_000,
                 max_age_s: float = 7 * 86400.0, policy: str = 'drop_oldest',
                 max_dead_letters: int = 10_000, clock: Callable[[], float] = time.time) -> None:
        if policy not in POLICIES:
            raise ValueError(f'outbox policy {policy!r} is not one of {", ".join(POLICIES)}')
        self.path = str(path)
        if self.path != ':memory:':
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.max_rows, self.max_bytes, self.max_age_s = max_rows, max_bytes, max_age_s
        self.policy = policy
        self.max_dead_letters = max_dead_letters
        self._clock = clock
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute('PRAGMA journal_mode=WAL')
        self._db.execute('PRAGMA synchronous=NORMAL')
        self._db.executescript(_SCHEMA)
        self.counters = {'appended': 0, 'confirmed': 0, 'dropped_overflow': 0,
                         'rejected': 0, 'expired': 0, 'dead_lettered': 0}
        row = self._db.execute('SELECT COUNT(*), COALESCE(SUM(size), 0) FROM outbox').fetchone()
        self._rows, self._bytes = int(row[0]), int(row[1])
        # AUTOINCREMENT keeps the highest seq ever inserted in sqlite_sequence (same transaction as
        # the insert), so seq never goes back even when every row was confirmed and deleted.
        meta = self._db.execute("SELECT value FROM meta WHERE key='last_seq'").fetchone()
        try:
            used = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name='outbox'").fetchone()
        except sqlite3.OperationalError:   # a file made before AUTOINCREMENT: meta holds the counter
            used = None
        floor = self._db.execute('SELECT COALESCE(MAX(seq), 0) FROM outbox').fetchone()[0]
        self._last_seq = max(int(meta[0]) if meta else 0, int(used[0]) if used else 0, int(floor))
        if self._rows:
            LOG.info('outbox %s: %d event(s) left from a previous run will be re-sent', self.path, self._rows)

    # -- writing ---------------------------------------------------------
    def _remember_seq(self) -> None:
        """Persist ``_last_seq`` for seqs that never reach the outbox table (rejected, oversized)."""
        self._db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES('last_seq', ?)", (self._last_seq,))

    def _full(self, size: int) -> bool:
        return ((self.max_rows > 0 and self._rows + 1 > self.max_rows)
                or (self.max_bytes > 0 and self._bytes + size > self.max_bytes))

    def append(self, channel: str, event: str, transport: str, payload: dict[str, Any],
               *, encode: Callable[[dict[str, Any]], str | None] | None = None) -> OutboxEntry | None:
        """Persist one event; returns the entry (with its ``seq``) or None when rejected.

        ``payload`` gets ``seq`` (and an ``event_id`` when it has none) added in
        place.  ``encode`` turns the final payload into wire JSON (e.g. the
        payload-limit fitter); it may return None for an event that cannot be
        sent at all, which is then dead-lettered.  The row is committed when
        this returns.
        """
        with self._lock:
            payload.setdefault('event_id', str(uuid.uuid4()))
            event_id = str(payload['event_id'])
            snapshot = (self._last_seq, self._rows, self._bytes, dict(self.counters))
            self._last_seq += 1
            seq = payload['seq'] = self._last_seq
            text = encode(payload) if encode else dumps(payload)
            now = self._clock()
            size = len(text.encode('utf-8')) if text is not None else 0
            row = (seq, event_id, channel, event, transport, text, size, now)
            insert = ('INSERT INTO outbox(seq, event_id, channel, event, transport, payload, size, created)'
                      ' VALUES(?,?,?,?,?,?,?,?)')
            try:
                if text is not None and not self._full(size):
                    self._db.execute(insert, row)            # autocommit: one statement, one commit
                else:
                    self._db.execute('BEGIN IMMEDIATE')
                    try:
                        if text is None:
                            self._dead(seq, event_id, channel, event, dumps(payload), 'oversized', now)
                            self._remember_seq()
                            self._db.execute('COMMIT')
                            return None
                        if not self._make_room(size, now):
                            self._remember_seq()
                            self._db.execute('COMMIT')
                            self.counters['rejected'] += 1
                            LOG.error('outbox full (%d rows, %d bytes; policy reject_new): rejected %s %s seq=%d',
                                      self._rows, self._bytes, channel, event, seq)
                            return None
                        self._db.execute(insert, row)
                        self._db.execute('COMMIT')
                    except BaseException:
                        self._db.execute('ROLLBACK')
                        raise
            except sqlite3.IntegrityError:
                self._last_seq, self._rows, self._bytes, self.counters = snapshot
                payload.pop('seq', None)
                LOG.warning('outbox: event %s is already queued; duplicate ignored', event_id)
                return None
            except BaseException:
                self._last_seq, self._rows, self._bytes, self.counters = snapshot
                raise
            self._rows += 1
            self._bytes += size
            self.counters['appended'] += 1
            return OutboxEntry(seq, event_id, channel, event, transport, text, size, now)

    def _make_room(self, size: int, now: float) -> bool:
        if not self._full(size):
            return True
        if self.policy == 'reject_new':
            return False
        while self._full(size) and self._rows:
            row = self._db.execute('SELECT seq, event_id, channel, event, payload, size FROM outbox'
                                   ' ORDER BY seq LIMIT 1').fetchone()
            self._db.execute('DELETE FROM outbox WHERE seq=?', (row[0],))
            self._rows -= 1
            self._bytes -= int(row[5])
            self._dead(row[0], row[1], row[2], row[3], row[4], 'overflow', now)
            self.counters['dropped_overflow'] += 1
            LOG.error('outbox full (policy drop_oldest): moved seq=%d %s %s to dead_letter',
                      row[0], row[2], row[3])
        return not self._full(size)

    def _dead(self, seq: int, event_id: str, channel: str, event: str, payload: str,
              reason: str, now: float) -> None:
        self._db.execute('INSERT OR REPLACE INTO dead_letter(seq, event_id, channel, event, payload, reason, at)'
                         ' VALUES(?,?,?,?,?,?,?)', (seq, event_id, channel, event, payload, reason, now))
        self.counters['dead_lettered'] += 1
        if self.max_dead_letters > 0:
            self._db.execute('DELETE FROM dead_letter WHERE seq IN (SELECT seq FROM dead_letter'
                             ' ORDER BY seq DESC LIMIT -1 OFFSET ?)', (self.max_dead_letters,))

    # -- reading / confirming ---------------------------------------------
    def peek(self, limit: int = 10, transport: str | None = None) -> list[OutboxEntry]:
        """The oldest ``limit`` queued entries (optionally of one transport), in ``seq`` order."""
        sql = 'SELECT seq, event_id, channel, event, transport, payload, size, created, attempts FROM outbox'
        args: tuple[Any, ...] = ()
        if transport is not None:
            sql += ' WHERE transport=?'
            args = (transport,)
        with self._lock:
            rows = self._db.execute(sql + ' ORDER BY seq LIMIT ?', args + (int(limit),)).fetchall()
        return [OutboxEntry(*r) for r in rows]

    def confirm(self, seqs: Iterable[int]) -> int:
        """Remove delivered entries; returns how many were removed."""
        seqs = list(seqs)
        if not seqs:
            return 0
        with self._lock:
            marks = ','.join('?' * len(seqs))
            sizes = [r[0] for r in self._db.execute(f'DELETE FROM outbox WHERE seq IN ({marks}) RETURNING size',
                                                    seqs).fetchall()]
            self._rows -= len(sizes)
            self._bytes -= sum(sizes)
            self.counters['confirmed'] += len(sizes)
            return len(sizes)

    def mark_attempt(self, seqs: Iterable[int]) -> None:
        """Count one failed/unknown delivery attempt for each entry."""
        seqs = list(seqs)
        if seqs:
            with self._lock:
                self._db.execute(f'UPDATE outbox SET attempts=attempts+1 WHERE seq IN ({",".join("?" * len(seqs))})',
                                 seqs)

    def dead_letter(self, seq: int, reason: str) -> None:
        """Move one entry to the dead-letter table (non-retryable), logged and counted."""
        with self._lock:
            row = self._db.execute('SELECT seq, event_id, channel, event, payload, size FROM outbox WHERE seq=?',
                                   (seq,)).fetchone()
            if row is None:
                return
            self._db.execute('DELETE FROM outbox WHERE seq=?', (seq,))
            self._rows -= 1
            self._bytes -= int(row[5])
            self._dead(row[0], row[1], row[2], row[3], row[4], reason, self._clock())
        LOG.error('outbox: seq=%d %s %s moved to dead_letter: %s', row[0], row[2], row[3], reason)

    def expire(self, now: float | None = None) -> int:
        """Move entries older than ``max_age_s`` to the dead-letter table; returns how many."""
        if self.max_age_s <= 0:
            return 0
        now = self._clock() if now is None else now
        with self._lock:
            rows = self._db.execute('SELECT seq FROM outbox WHERE created < ? ORDER BY seq',
                                    (now - self.max_age_s,)).fetchall()
            for (seq,) in rows:
                self.dead_letter(seq, 'expired')
            self.counters['expired'] += len(rows)
        if rows:
            LOG.error('outbox: %d event(s) older than %.0f s expired to dead_letter', len(rows), self.max_age_s)
        return len(rows)

    # -- inspection ---------------------------------------------------------
    def depth(self) -> int:
        return self._rows

    def size_bytes(self) -> int:
        return self._bytes

    def oldest_age(self, now: float | None = None) -> float:
        """Seconds since the oldest queued entry was written (0 when empty)."""
        with self._lock:
            row = self._db.execute('SELECT MIN(created) FROM outbox').fetchone()
        if row[0] is None:
            return 0.0
        return max(0.0, (self._clock() if now is None else now) - float(row[0]))

    def dead_letters(self, limit: int = 100) -> list[dict[str, Any]]:
        """The newest dead-lettered events (seq, event_id, channel, event, reason, payload)."""
        with self._lock:
            rows = self._db.execute('SELECT seq, event_id, channel, event, reason, payload FROM dead_letter'
                                    ' ORDER BY seq DESC LIMIT ?', (limit,)).fetchall()
        return [{'seq': r[0], 'event_id': r[1], 'channel': r[2], 'event': r[3], 'reason': r[4],
                 'payload': json.loads(r[5])} for r in rows]

    def stats(self, now: float | None = None) -> dict[str, Any]:
        """Depth, bytes, oldest age and the counters (JSON-able)."""
        return {'depth': self._rows, 'bytes': self._bytes, 'oldest_age_s': round(self.oldest_age(now), 3),
                'policy': self.policy, **self.counters}

    def close(self) -> None:
        with self._lock:
            self._db.close()
