"""Durable outbox: a SQLite (WAL, ``synchronous=FULL``) queue of events that must reach the server.

An event is written here *before* any send and removed only once the server confirmed it
(stored acknowledgement, or the transport's own confirmation).  Each row keeps the producer's
``event_id`` (the idempotency key: an id already queued is not queued twice) and gets ``seq``,
increasing and never reused within this outbox file (read from SQLite inside the write
transaction: never from a process counter), and ``outbox_id``, a uuid4 made once when the file is
created: ``(rvm_id, outbox_id, seq)`` lets a server see gaps, also after a reinstall.

One process owns the file (:class:`~rvm_bridge.outbox.lock.OutboxLock`).  Appends from several
threads share commits (:class:`~rvm_bridge.outbox.group_commit.GroupCommit`).  Every transaction
rolls back on error and restores the in-memory counters; events the disk refuses are held in memory
and retried (:class:`~rvm_bridge.outbox.faults.UnstoredEvents`), never raised to the producer.

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
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from rvm_bridge.outbox.clock import OutboxClock
from rvm_bridge.outbox.faults import UnstoredEvents, storage_reason
from rvm_bridge.outbox.group_commit import GroupCommit
from rvm_bridge.outbox.lock import OutboxLock
from rvm_bridge.outbox.rows import _DEAD_COLUMNS, Append, OutboxEntry, RowWriter
from rvm_bridge.outbox.schema import open_outbox_db

LOG = logging.getLogger(__name__)

POLICIES = ('drop_oldest', 'reject_new')

KEEP_DELIVERED = 10_000     # confirmed event ids remembered, so a re-publish is not queued again
_COLUMNS = 'seq, event_id, channel, event, transport, payload, size, created, attempts'
_COUNTERS = ('appended', 'confirmed', 'duplicates', 'dropped_overflow', 'rejected', 'expired',
             'dead_lettered', 'retrimmed', 'oversize', 'refused', 'integrity_errors',
             'storage_errors', 'lost_unstored', 'write_bugs')


class Outbox(RowWriter):
    """Thread-safe, bounded, persistent FIFO of durable events, owned by one process.

    ``max_rows``/``max_bytes`` <= 0 disable that bound.  When a new event would exceed a size
    bound, ``policy`` decides: ``drop_oldest`` moves the oldest queued rows to the dead-letter
    table, ``reject_new`` refuses the new event (``append`` returns None).  An event alone larger
    than ``max_bytes`` is dead-lettered itself (the queue is kept).  :meth:`expire` applies the
    operator's rules ``max_age_s`` (outbox-clock seconds) and ``max_attempts``; 0 = off.
    ``max_unstored``: events held in memory while the disk refuses writes.
    """

    def __init__(self, path: str | Path, *, max_rows: int = 100_000, max_bytes: int = 200_000_000,
                 max_age_s: float = 0.0, max_attempts: int = 0, policy: str = 'drop_oldest',
                 max_dead_letters: int = 10_000, max_unstored: int = 10_000,
                 clock: Callable[[], float] = time.time,
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
        self._owner = OutboxLock(self.path) if self.path != ':memory:' else None
        try:
            self._db = open_outbox_db(self.path)
        except sqlite3.Error as exc:
            self._release()
            from rvm_common.params import ConfigError
            raise ConfigError(f'outbox {self.path} cannot be opened ({storage_reason(exc)}):'
                              f' {exc}') from None
        self.counters = dict.fromkeys(_COUNTERS, 0)
        self._unstored = UnstoredEvents(max_unstored)
        self._group = GroupCommit(self._write_group)
        self._removed_listeners: list[Callable[[list[int]], None]] = []
        self._gone: list[int] = []           # seqs moved out in the open transaction
        self._logged_fault = ''
        self._writer_stop: threading.Event | None = None
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
        # AUTOINCREMENT keeps the highest seq ever inserted in sqlite_sequence (same transaction
        # as the insert); files from before AUTOINCREMENT keep it in meta.last_seq
        self._has_sequence = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'").fetchone() is not None
        if self._rows:
            LOG.info('outbox %s: %d event(s) left from a previous run will be re-sent', self.path,
                     self._rows)

    def _meta(self, key: str) -> Any:
        row = self._db.execute('SELECT value FROM meta WHERE key=?', (key,)).fetchone()
        return row[0] if row else None

    def _release(self) -> None:
        if self._owner is not None:
            self._owner.release()

    def on_removed(self, listener: Callable[[list[int]], None]) -> None:
        """Call ``listener(seqs)`` after rows left by dead-lettering (overflow, rules)."""
        self._removed_listeners.append(listener)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE ... COMMIT; on any error ROLLBACK and restore rows, bytes, counters."""
        snapshot = (self._rows, self._bytes, dict(self.counters))
        self._gone = []
        try:
            self._db.execute('BEGIN IMMEDIATE')
            yield
            self._db.execute('COMMIT')
        except BaseException:
            self._rows, self._bytes = snapshot[0], snapshot[1]
            self.counters.clear()
            self.counters.update(snapshot[2])
            self._gone = []
            if self._db.in_transaction:
                try:
                    self._db.execute('ROLLBACK')
                except sqlite3.Error:
                    LOG.exception('outbox %s: ROLLBACK failed', self.path)
            raise
        gone, self._gone = self._gone, []
        if gone:
            for listener in self._removed_listeners:
                listener(gone)

    # -- writing ---------------------------------------------------------
    def holds(self, event_id: str) -> bool:
        """True if this id is queued, recently confirmed (last KEEP_DELIVERED) or held unstored."""
        if event_id in self._group.queued_ids():
            return True
        with self._lock:
            if event_id in self._unstored.ids():
                return True
            try:
                return self._in_db(event_id)
            except sqlite3.Error as exc:
                LOG.warning('outbox %s: duplicate check failed (%s)', self.path, exc)
                return False

    def append(self, channel: str, event: str, transport: str, payload: dict[str, Any], *,
               encode: Callable[[dict[str, Any]], str | None] | None = None) -> OutboxEntry | None:
        """Persist one event; returns the committed entry, or None (see :meth:`submit`)."""
        return self.submit(channel, event, transport, payload, encode=encode).entry

    def submit(self, channel: str, event: str, transport: str, payload: dict[str, Any], *,
               encode: Callable[[dict[str, Any]], str | None] | None = None, wait: bool = True,
               on_done: Callable[[Append], None] | None = None) -> Append:
        """Persist one event and say what became of it (:class:`Append`); never raises on storage.

        ``payload`` gets ``outbox_id``, ``seq`` (and an ``event_id`` when it has none) added in
        place.  An ``event_id`` already queued or recently confirmed is ignored (counted as a
        duplicate).  ``encode`` turns the final payload into wire JSON (e.g. the payload-limit
        fitter).  A ``stored`` row is committed (``synchronous=FULL``) when this returns.
        ``wait=False`` (with :meth:`start_writer`): queued for the writer thread, returns at once;
        ``on_done(append)`` is called once its transaction is committed (acknowledged). A write
        that raises (a bug) leaves the event queued (``outcome`` still ''), never lost.
        """
        payload.setdefault('event_id', str(uuid.uuid4()))
        request = Append(channel, event, transport, payload, encode, str(payload['event_id']),
                         on_done=on_done)
        if wait or self._writer_stop is None:
            try:
                self._group.run(request)          # on_done, if any, was called by then
            except Exception:  # noqa: BLE001 - a bug in the write: the group was put back
                self.counters['write_bugs'] += 1
                LOG.exception('outbox %s: writing event %s raised; it stays queued and is '
                              'written with the next append or the sender\'s next round',
                              self.path, request.event_id)
        else:
            self._group.enqueue(request)
        return request

    def start_writer(self, supervisor: Any, window_s: float) -> None:
        """Commit appends submitted with ``wait=False`` in a supervised writer thread."""
        if self._writer_stop is None:
            self._writer_stop = threading.Event()
            stop = self._writer_stop
            supervisor.start(
                'rvm-bridge-outbox', lambda: self._group.writer_loop(stop, window_s), stop)

    def settle(self, timeout: float) -> bool:
        """True once every append submitted so far was written (stored or held)."""
        return self._group.settle(timeout)

    def retry_unstored(self) -> int:
        """Write held events now if their retry is due (and appends a raising write left queued);
        returns how many are still held."""
        with self._lock:
            due = self._unstored.due()
        # a write that raised in a producer's own turn (no writer thread) left its group queued
        if due or (self._writer_stop is None and self._group.queued_ids()):
            self._group.kick()
        return self.unstored()

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
        with self._lock, self._transaction():
            marks = ','.join('?' * len(keys))
            rows = self._db.execute(
                f'DELETE FROM outbox WHERE {column} IN ({marks}) RETURNING seq, size, event_id',
                keys).fetchall()
            self._db.executemany('INSERT OR REPLACE INTO delivered(event_id, seq) VALUES(?, ?)',
                                 [(r[2], r[0]) for r in rows])
            self._db.execute(
                'DELETE FROM delivered WHERE seq < (SELECT seq FROM delivered ORDER BY seq DESC'
                ' LIMIT 1 OFFSET ?)', (KEEP_DELIVERED,))
            self._rows -= len(rows)
            self._bytes -= sum(r[1] for r in rows)
            self.counters['confirmed'] += len(rows)
        return [r[0] for r in rows] if want_seqs else len(rows)

    def replace_payload(self, seq: int, text: str) -> None:
        """Store a re-trimmed wire payload for a queued entry (the server refused its size)."""
        size = len(text.encode('utf-8'))
        with self._lock, self._transaction():
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
            with self._lock, self._transaction():
                self._db.execute('UPDATE outbox SET attempts=attempts+1 WHERE seq IN'
                                 f' ({",".join("?" * len(seqs))})', seqs)

    def dead_letter(self, seq: int, reason: str) -> None:
        """Move one entry to the dead-letter table in one transaction, logged and counted."""
        with self._lock, self._transaction():
            row = self._db.execute(
                f'SELECT {_DEAD_COLUMNS} FROM outbox WHERE seq=?', (seq,)).fetchone()
            if row is not None:
                self._move_dead(row, reason, self._clock())
        if row is not None:
            LOG.error(
                'outbox: seq=%d %s %s moved to dead_letter: %s', row[0], row[2], row[3], reason)

    def expire(self) -> int:
        """Apply ``max_age_s`` (on the outbox clock) and ``max_attempts``; one transaction."""
        if self.max_age_s <= 0 and self.max_attempts <= 0:
            return 0
        with self._lock, self._transaction():
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
            self.counters['expired'] += len(moved)
            self._remember()
        if moved:
            LOG.error('outbox: %d event(s) dead-lettered by the operator rules (%s)', len(moved),
                      moved[0][1])
        return len(moved)

    # -- inspection ---------------------------------------------------------
    def depth(self) -> int:
        """Rows stored and not yet confirmed (held unstored events: :meth:`unstored`)."""
        return self._rows

    def unstored(self) -> int:
        """Events the disk refused, held in memory and retried."""
        with self._lock:
            return len(self._unstored)

    def backlog(self) -> int:
        """Queued, stored and held events (a write in progress counts in one of them)."""
        pending = self._group.pending()       # first: a finished write is then in the rows
        with self._lock:
            return pending + self._rows + len(self._unstored)

    def storage_fault(self) -> str:
        """The current storage fault (``disk full``, ``locked`` ...), '' when the disk works."""
        return self._unstored.reason

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
        """Depth, bytes, oldest age, outbox id, storage state and the counters (JSON-able)."""
        return {
            'depth': self._rows, 'bytes': self._bytes, 'oldest_age_s': round(self.oldest_age(), 3),
            'policy': self.policy, 'outbox_id': self.outbox_id, 'unstored': self.unstored(),
            'storage': self.storage_fault() or 'ok', 'commit_groups': self._group.groups,
            **self.counters}

    def close(self) -> None:
        """Write queued and held events a last time, then close the file and free the lock."""
        if self._writer_stop is not None:
            self._writer_stop.set()
            self._group.settle(5.0)
        self._group.kick()                            # what the writer left queued
        with self._lock:
            if len(self._unstored):
                self._unstored.stored()               # due now: one last try
                self._write_group([])
            for request in self._unstored.take():
                self.counters['lost_unstored'] += 1
                LOG.error('outbox %s closed while the disk refused writes (%s): event %s (%s %s)'
                          ' LOST', self.path, self._logged_fault, request.event_id,
                          request.channel, request.event)
            try:
                self._remember()
            except sqlite3.Error:
                pass
            self._db.close()
            self._release()
