"""Durable outbox: a SQLite (WAL, ``synchronous=FULL``) queue of events that must reach the server.

An event is written here *before* any send and removed only once the server confirmed it
(stored acknowledgement, or the transport's own confirmation).  Each row keeps the producer's
``event_id`` (the idempotency key: an id already queued is not queued twice) and gets ``seq``,
increasing and never reused within this outbox file, and ``outbox_id``, a uuid4 made once when the
file is created: ``(rvm_id, outbox_id, seq)`` lets a server see gaps, also after a reinstall.

Rows leave without delivery only by a rule the operator set: the size bounds (rows, bytes, with an
explicit policy), ``max_age_s`` and ``max_attempts`` (both off by default).  Ages are measured on
:class:`OutboxClock` (monotonic, persisted), never on the wall clock.  Every such row is moved to
the ``dead_letter`` table in one transaction, logged and counted.
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

from rvm_bridge.outbox_clock import OutboxClock
from rvm_bridge.outbox_schema import open_outbox_db
from rvm_bridge.payload_limit import json_safe
from rvm_common.events import dumps

LOG = logging.getLogger(__name__)

POLICIES = ('drop_oldest', 'reject_new')

KEEP_DELIVERED = 10_000     # confirmed event ids remembered, so a re-publish is not queued again
_COLUMNS = 'seq, event_id, channel, event, transport, payload, size, created, attempts'
_DEAD_COLUMNS = 'seq, event_id, channel, event, payload, size'   # what _move_dead takes


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

    ``max_rows``/``max_bytes`` <= 0 disable that bound.  When a new event would exceed a size
    bound, ``policy`` decides: ``drop_oldest`` moves the oldest queued rows to the dead-letter
    table, ``reject_new`` refuses the new event (``append`` returns None).  :meth:`expire` applies
    the operator's rules ``max_age_s`` (outbox-clock seconds) and ``max_attempts``; 0 = off.
    """

    def __init__(self, path: str | Path, *, max_rows: int = 100_000, max_bytes: int = 200_000_000,
                 max_age_s: float = 0.0, max_attempts: int = 0, policy: str = 'drop_oldest',
                 max_dead_letters: int = 10_000, clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        if policy not in POLICIES:
            raise ValueError(f'outbox policy {policy!r} is not one of {", ".join(POLICIES)}')
        self.path = str(path)
        self.max_rows, self.max_bytes, self.max_age_s = max_rows, max_bytes, max_age_s
        self.max_attempts = max_attempts
        self.policy = policy
        self.max_dead_letters = max_dead_letters
        self._clock = clock
        self._lock = threading.RLock()
        self._db = open_outbox_db(self.path)
        self.counters = {'appended': 0, 'confirmed': 0, 'duplicates': 0, 'dropped_overflow': 0,
                         'rejected': 0, 'expired': 0, 'dead_lettered': 0, 'retrimmed': 0}
        self.outbox_id = self._meta('outbox_id')
        if not isinstance(self.outbox_id, str) or not self.outbox_id:
            self.outbox_id = str(uuid.uuid4())
            self._db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES('outbox_id', ?)",
                             (self.outbox_id,))
        self.ticks = OutboxClock(float(self._meta('elapsed_s') or 0.0), monotonic)
        self._db.execute(
            'UPDATE outbox SET created_tick=? WHERE created_tick IS NULL', (self.ticks.now(),))
        row = self._db.execute('SELECT COUNT(*), COALESCE(SUM(size), 0) FROM outbox').fetchone()
        self._rows, self._bytes = int(row[0]), int(row[1])
        # AUTOINCREMENT keeps the highest seq ever inserted in sqlite_sequence (same transaction as
        # the insert), so seq never goes back even when every row was confirmed and deleted.
        meta = self._meta('last_seq')
        try:
            used = self._db.execute(
                "SELECT seq FROM sqlite_sequence WHERE name='outbox'").fetchone()
        except sqlite3.OperationalError:   # a file from before AUTOINCREMENT: meta has the counter
            used = None
        floor = self._db.execute('SELECT COALESCE(MAX(seq), 0) FROM outbox').fetchone()[0]
        self._last_seq = max(int(meta or 0), int(used[0]) if used else 0, int(floor))
        if self._rows:
            LOG.info('outbox %s: %d event(s) left from a previous run will be re-sent', self.path,
                     self._rows)

    def _meta(self, key: str) -> Any:
        row = self._db.execute('SELECT value FROM meta WHERE key=?', (key,)).fetchone()
        return row[0] if row else None

    # -- writing ---------------------------------------------------------
    def _remember(self) -> None:
        """Persist the seq counter and the outbox clock (inside the caller's transaction)."""
        self._db.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES('last_seq', ?)", (self._last_seq,))
        self._db.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES('elapsed_s', ?)", (self.ticks.now(),))

    def _full(self, size: int) -> bool:
        return ((self.max_rows > 0 and self._rows + 1 > self.max_rows)
                or (self.max_bytes > 0 and self._bytes + size > self.max_bytes))

    def holds(self, event_id: str) -> bool:
        """True if an event with this id is queued or recently confirmed (last KEEP_DELIVERED)."""
        with self._lock:
            return (
                self._db.execute('SELECT 1 FROM outbox WHERE event_id=?', (event_id,)).fetchone()
                is not None
                or self._db.execute(
                    'SELECT 1 FROM delivered WHERE event_id=?', (event_id,)).fetchone()
                is not None
            )

    def append(self, channel: str, event: str, transport: str, payload: dict[str, Any], *,
               encode: Callable[[dict[str, Any]], str | None] | None = None) -> OutboxEntry | None:
        """Persist one event; returns the entry (with its ``seq``) or None when not queued.

        ``payload`` gets ``outbox_id``, ``seq`` (and an ``event_id`` when it has none) added in
        place.  An ``event_id`` already queued or recently confirmed is ignored (counted as a
        duplicate): a verdict re-published after a restart is not a second row.  ``encode`` turns
        the final payload into wire JSON (e.g. the payload-limit fitter).  The row is committed
        (``synchronous=FULL``) when this returns.
        """
        with self._lock:
            payload.setdefault('event_id', str(uuid.uuid4()))
            event_id = str(payload['event_id'])
            if self.holds(event_id):
                self.counters['duplicates'] += 1
                LOG.info('outbox: event %s is already queued; duplicate ignored', event_id)
                return None
            snapshot = (self._last_seq, self._rows, self._bytes, dict(self.counters))
            self._last_seq += 1
            payload['outbox_id'] = self.outbox_id
            seq = payload['seq'] = self._last_seq
            text = encode(payload) if encode else dumps(payload)
            if text is None:   # the encoder could not fit it: keep it whole, never drop it
                text = dumps(json_safe(payload))
            now, tick = self._clock(), self.ticks.now()
            size = len(text.encode('utf-8'))
            try:
                self._db.execute('BEGIN IMMEDIATE')
                try:
                    if not self._make_room(size, now):
                        self._remember()
                        self._db.execute('COMMIT')
                        self.counters['rejected'] += 1
                        LOG.error(
                            'outbox full (%d rows, %d bytes; policy reject_new): rejected %s %s'
                            ' seq=%d', self._rows, self._bytes, channel, event, seq)
                        return None
                    self._db.execute(
                        'INSERT INTO outbox(seq, event_id, channel, event, transport, payload,'
                        ' size, created, created_tick) VALUES(?,?,?,?,?,?,?,?,?)',
                        (seq, event_id, channel, event, transport, text, size, now, tick))
                    self._remember()
                    self._db.execute('COMMIT')
                except BaseException:
                    self._db.execute('ROLLBACK')
                    raise
            except sqlite3.IntegrityError:
                self._last_seq, self._rows, self._bytes, self.counters = snapshot
                self.counters['duplicates'] += 1
                payload.pop('seq', None)
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
            row = self._db.execute(
                f'SELECT {_DEAD_COLUMNS} FROM outbox ORDER BY seq LIMIT 1').fetchone()
            self._move_dead(row, 'overflow', now)
            self.counters['dropped_overflow'] += 1
            LOG.error('outbox full (policy drop_oldest): moved seq=%d %s %s to dead_letter',
                      row[0], row[2], row[3])
        return not self._full(size)

    def _move_dead(self, row: tuple, reason: str, now: float) -> None:
        """DELETE one row and INSERT it into dead_letter (caller holds the transaction)."""
        seq, event_id, channel, event, payload, size = row
        self._db.execute('DELETE FROM outbox WHERE seq=?', (seq,))
        self._rows -= 1
        self._bytes -= int(size)
        self._db.execute(
            'INSERT OR REPLACE INTO dead_letter(seq, event_id, channel, event, payload, reason,'
            ' at) VALUES(?,?,?,?,?,?,?)', (seq, event_id, channel, event, payload, reason, now))
        self.counters['dead_lettered'] += 1
        if self.max_dead_letters > 0:
            self._db.execute('DELETE FROM dead_letter WHERE seq IN (SELECT seq FROM dead_letter'
                             ' ORDER BY seq DESC LIMIT -1 OFFSET ?)', (self.max_dead_letters,))

    # -- reading / confirming ---------------------------------------------
    def peek(self, limit: int = 10, transport: str | None = None,
             skip: Iterable[int] = ()) -> list[OutboxEntry]:
        """Oldest ``limit`` queued entries (of one transport if given, minus ``skip``), by seq."""
        skip = set(skip)
        sql = f'SELECT {_COLUMNS} FROM outbox'
        args: tuple[Any, ...] = ()
        if transport is not None:
            sql += ' WHERE transport=?'
            args = (transport,)
        with self._lock:
            rows = self._db.execute(
                sql + ' ORDER BY seq LIMIT ?', args + (int(limit) + len(skip),)).fetchall()
        return [OutboxEntry(*r) for r in rows if r[0] not in skip][:limit]

    def confirm(self, seqs: Iterable[int]) -> int:
        """Remove delivered entries by seq; returns how many were removed."""
        return self._delete('seq', list(seqs))

    def confirm_ids(self, event_ids: Iterable[str]) -> list[int]:
        """Remove entries the server acknowledged by ``event_id``; returns their seqs."""
        return self._delete('event_id', [str(e) for e in event_ids], want_seqs=True)

    def _delete(self, column: str, keys: list[Any], want_seqs: bool = False) -> Any:
        if not keys:
            return [] if want_seqs else 0
        with self._lock:
            marks = ','.join('?' * len(keys))
            self._db.execute('BEGIN IMMEDIATE')
            rows = self._db.execute(
                f'DELETE FROM outbox WHERE {column} IN ({marks}) RETURNING seq, size, event_id',
                keys).fetchall()
            self._db.executemany('INSERT OR REPLACE INTO delivered(event_id, seq) VALUES(?, ?)',
                                 [(r[2], r[0]) for r in rows])
            self._db.execute(
                'DELETE FROM delivered WHERE seq < (SELECT seq FROM delivered ORDER BY seq DESC'
                ' LIMIT 1 OFFSET ?)', (KEEP_DELIVERED,))
            self._db.execute('COMMIT')
            self._rows -= len(rows)
            self._bytes -= sum(r[1] for r in rows)
            self.counters['confirmed'] += len(rows)
        return [r[0] for r in rows] if want_seqs else len(rows)

    def replace_payload(self, seq: int, text: str) -> None:
        """Store a re-trimmed wire payload for a queued entry (the server refused its size)."""
        size = len(text.encode('utf-8'))
        with self._lock:
            old = self._db.execute('SELECT size FROM outbox WHERE seq=?', (seq,)).fetchone()
            if old is None:
                return
            self._db.execute('UPDATE outbox SET payload=?, size=? WHERE seq=?', (text, size, seq))
            self._bytes += size - int(old[0])
            self.counters['retrimmed'] += 1

    def mark_attempt(self, seqs: Iterable[int]) -> None:
        """Count one failed/unknown delivery attempt for each entry."""
        seqs = list(seqs)
        if seqs:
            with self._lock:
                self._db.execute('UPDATE outbox SET attempts=attempts+1 WHERE seq IN'
                                 f' ({",".join("?" * len(seqs))})', seqs)

    def dead_letter(self, seq: int, reason: str) -> None:
        """Move one entry to the dead-letter table in one transaction, logged and counted."""
        with self._lock:
            self._db.execute('BEGIN IMMEDIATE')
            try:
                row = self._db.execute(
                    f'SELECT {_DEAD_COLUMNS} FROM outbox WHERE seq=?', (seq,)).fetchone()
                if row is not None:
                    self._move_dead(row, reason, self._clock())
                self._db.execute('COMMIT')
            except BaseException:
                self._db.execute('ROLLBACK')
                raise
        if row is not None:
            LOG.error(
                'outbox: seq=%d %s %s moved to dead_letter: %s', row[0], row[2], row[3], reason)

    def expire(self) -> int:
        """Apply ``max_age_s`` (on the outbox clock) and ``max_attempts``; one transaction."""
        if self.max_age_s <= 0 and self.max_attempts <= 0:
            return 0
        with self._lock:
            self._db.execute('BEGIN IMMEDIATE')
            try:
                moved = []
                if self.max_age_s > 0:
                    for row in self._db.execute(f'SELECT {_DEAD_COLUMNS} FROM outbox WHERE'
                                                ' created_tick < ? ORDER BY seq',
                                                (self.ticks.now() - self.max_age_s,)).fetchall():
                        moved.append((row, f'expired: older than max_age_s={self.max_age_s:g}'))
                if self.max_attempts > 0:
                    done = {r[0][0] for r in moved}
                    for row in self._db.execute(f'SELECT {_DEAD_COLUMNS} FROM outbox WHERE'
                                                ' attempts >= ? ORDER BY seq',
                                                (self.max_attempts,)).fetchall():
                        if row[0] not in done:
                            moved.append((row, f'max_attempts={self.max_attempts} reached'))
                now = self._clock()
                for row, reason in moved:
                    self._move_dead(row, reason, now)
                self._remember()
                self._db.execute('COMMIT')
            except BaseException:
                self._db.execute('ROLLBACK')
                raise
            self.counters['expired'] += len(moved)
        if moved:
            LOG.error('outbox: %d event(s) dead-lettered by the operator rules (%s)', len(moved),
                      moved[0][1])
        return len(moved)

    # -- inspection ---------------------------------------------------------
    def depth(self) -> int:
        return self._rows

    def size_bytes(self) -> int:
        return self._bytes

    def oldest_age(self) -> float:
        """Outbox-clock seconds since the oldest queued entry was written (0 when empty)."""
        with self._lock:
            row = self._db.execute('SELECT MIN(created_tick) FROM outbox').fetchone()
        if row[0] is None:
            return 0.0
        return max(0.0, self.ticks.now() - float(row[0]))

    def dead_letters(self, limit: int = 100) -> list[dict[str, Any]]:
        """The newest dead-lettered events (seq, event_id, channel, event, reason, payload)."""
        with self._lock:
            rows = self._db.execute(
                'SELECT seq, event_id, channel, event, reason, payload FROM dead_letter'
                ' ORDER BY seq DESC LIMIT ?', (limit,)).fetchall()
        return [{'seq': r[0], 'event_id': r[1], 'channel': r[2], 'event': r[3], 'reason': r[4],
                 'payload': json.loads(r[5])} for r in rows]

    def count_failed(self, exclude: Iterable[int] = ()) -> int:
        """Queued rows with a failed send (minus ``exclude``: rows now awaiting an ack)."""
        with self._lock:
            seqs = {r[0] for r in self._db.execute('SELECT seq FROM outbox WHERE attempts > 0')}
        return len(seqs - set(exclude))

    def dead_letter_reasons(self) -> dict[str, int]:
        """Dead-lettered rows kept in the table, by reason."""
        with self._lock:
            rows = self._db.execute(
                'SELECT reason, COUNT(*) FROM dead_letter GROUP BY reason').fetchall()
        return {r[0]: int(r[1]) for r in rows}

    def stats(self) -> dict[str, Any]:
        """Depth, bytes, oldest age, outbox id and the counters (JSON-able)."""
        return {
            'depth': self._rows, 'bytes': self._bytes, 'oldest_age_s': round(self.oldest_age(), 3),
            'policy': self.policy, 'outbox_id': self.outbox_id, **self.counters}

    def close(self) -> None:
        with self._lock:
            try:
                self._remember()
            except sqlite3.Error:
                pass
            self._db.close()
