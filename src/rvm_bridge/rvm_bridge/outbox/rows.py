"""How a group of appends is stored: one transaction, seq from SQLite, bounds, dead letters.

:class:`RowWriter` is the write half of :class:`~rvm_bridge.outbox.outbox.Outbox` (it uses the
outbox's connection, lock, counters and transaction): :meth:`RowWriter._write_group` stores the
held events (when their retry is due) and the new group in one transaction, or holds them all in
memory when the disk refuses (``UnstoredEvents``); it never raises.  ``seq`` is one more than any
seq the file ever used, read inside the write transaction; an event alone larger than
``max_bytes`` is dead-lettered itself, never the queue in front of it.
"""
from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, field
from typing import Any, Callable

from rvm_bridge.outbox.faults import storage_reason
from rvm_bridge.protocol.payload_limit import json_safe
from rvm_common.events import dumps

LOG = logging.getLogger('rvm_bridge.outbox.outbox')

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


@dataclass(eq=False)
class Append:
    """One append and what became of it.

    ``outcome``: ``stored`` (committed: survives a power loss), ``duplicate``, ``rejected``
    (full, reject_new), ``dead_lettered`` (alone larger than ``max_bytes``), ``refused`` (cannot
    be encoded, or an integrity error), ``unstored`` (the disk refused it: held in memory and
    retried), ``lost`` (the disk refused it and the memory buffer was full: logged, counted).
    """

    channel: str
    event: str
    transport: str
    payload: dict[str, Any]
    encode: Callable[[dict[str, Any]], str | None] | None
    event_id: str
    outcome: str = ''
    entry: OutboxEntry | None = None
    done: bool = field(default=False, repr=False)
    on_done: Callable[['Append'], None] | None = field(default=None, repr=False)


class RowWriter:
    """The outbox's write path (a mixin of :class:`~rvm_bridge.outbox.outbox.Outbox`)."""

    # provided by Outbox
    _db: sqlite3.Connection
    _lock: Any
    _unstored: Any
    counters: dict[str, int]
    path: str
    outbox_id: str
    max_rows: int
    max_bytes: int
    policy: str
    max_dead_letters: int
    _rows: int
    _bytes: int
    _gone: list[int]
    _logged_fault: str
    _has_sequence: bool
    ticks: Any
    _clock: Callable[[], float]
    _transaction: Callable[[], Any]

    def _next_seq(self) -> int:
        """One more than any seq this file ever used (inside the write transaction)."""
        used = ["CAST(COALESCE((SELECT value FROM meta WHERE key='last_seq'), 0) AS INTEGER)",
                'COALESCE((SELECT MAX(seq) FROM outbox), 0)',
                'COALESCE((SELECT MAX(seq) FROM dead_letter), 0)']
        if self._has_sequence:
            used.append("COALESCE((SELECT seq FROM sqlite_sequence WHERE name='outbox'), 0)")
        return int(self._db.execute(f'SELECT MAX({", ".join(used)})').fetchone()[0]) + 1

    def _remember(self, last_seq: int | None = None) -> None:
        """Persist the seq high-water mark and the outbox clock (in the caller's transaction)."""
        if last_seq is not None:
            self._db.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES('last_seq', ?)", (last_seq,))
        self._db.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES('elapsed_s', ?)", (self.ticks.now(),))

    def _full(self, size: int) -> bool:
        return ((self.max_rows > 0 and self._rows + 1 > self.max_rows)
                or (self.max_bytes > 0 and self._bytes + size > self.max_bytes))

    def _in_db(self, event_id: str) -> bool:
        return self._db.execute(
            'SELECT 1 FROM outbox WHERE event_id=? UNION ALL SELECT 1 FROM delivered'
            ' WHERE event_id=? LIMIT 1', (event_id, event_id)).fetchone() is not None

    def _write_group(self, group: list[Append]) -> None:
        """One transaction for the held events (when due) and ``group``; never raises."""
        with self._lock:
            if len(self._unstored) and not self._unstored.due():
                self._hold(group, self._unstored.reason, failed=False)
                return
            batch = self._unstored.take() + group
            if not batch:
                return
            try:
                with self._transaction():
                    seq = self._next_seq()
                    now, tick, seen = self._clock(), self.ticks.now(), set()
                    for request in batch:
                        seq = self._store(request, seq, now, tick, seen)
                    self._remember(seq - 1)
            except Exception as exc:  # noqa: BLE001 - the disk's fault: held, retried, reported
                for request in batch:
                    request.outcome, request.entry = '', None
                    request.payload.pop('seq', None)
                self.counters['storage_errors'] += 1
                self._hold(batch, storage_reason(exc))
                return
            if self._unstored.reason:
                LOG.warning('outbox %s: storage works again (was: %s); held events stored',
                            self.path, self._unstored.reason)
            self._unstored.stored()
            self._logged_fault = ''

    def _hold(self, batch: list[Append], reason: str, failed: bool = True) -> None:
        refused = self._unstored.hold(batch, reason, failed=failed)
        for request in batch:
            request.outcome = 'unstored'
        for request in refused:
            request.outcome = 'lost'
            self.counters['lost_unstored'] += 1
            LOG.error('outbox %s: cannot store (%s) and %d events are held in memory already:'
                      ' event %s (%s %s) LOST', self.path, reason, len(self._unstored),
                      request.event_id, request.channel, request.event)
        if reason != self._logged_fault:
            self._logged_fault = reason
            LOG.error('outbox %s: cannot store events (%s): %d held in memory, retried (next in'
                      ' %.2f s)', self.path, reason, len(self._unstored),
                      self._unstored.retry_in())

    def _store(self, request: Append, seq: int, now: float, tick: float, seen: set[str]) -> int:
        """Write one request inside the group's transaction; returns the next free seq."""
        payload, event_id = request.payload, request.event_id
        if event_id in seen or self._in_db(event_id):
            request.outcome = 'duplicate'
            self.counters['duplicates'] += 1
            LOG.info('outbox: event %s is already queued; duplicate ignored', event_id)
            return seq
        seen.add(event_id)
        payload['outbox_id'] = self.outbox_id
        payload['seq'] = seq
        try:
            text = request.encode(payload) if request.encode else dumps(payload)
            if text is None:   # the encoder could not fit it: keep it whole, never drop it
                text = dumps(json_safe(payload))
        except (TypeError, ValueError) as exc:
            payload.pop('seq', None)
            request.outcome = 'refused'
            self.counters['refused'] += 1
            LOG.error('outbox: event %s (%s %s) cannot be encoded, not queued: %s', event_id,
                      request.channel, request.event, exc)
            return seq
        size = len(text.encode('utf-8'))
        if self.max_bytes > 0 and size > self.max_bytes:
            # alone larger than the whole outbox: this event is dead-lettered, the queue is kept
            self._dead_insert((seq, event_id, request.channel, request.event, text, size),
                              f'larger than outbox max_bytes ({size} > {self.max_bytes})', now)
            request.outcome = 'dead_lettered'
            self.counters['oversize'] += 1
            LOG.error('outbox: event %s (%s bytes) is larger than the outbox (max_bytes %d):'
                      ' moved to dead_letter, queue kept', event_id, size, self.max_bytes)
            return seq + 1
        if not self._make_room(size, now):
            payload.pop('seq', None)
            request.outcome = 'rejected'
            self.counters['rejected'] += 1
            LOG.error('outbox full (%d rows, %d bytes; policy reject_new): rejected %s %s',
                      self._rows, self._bytes, request.channel, request.event)
            return seq
        try:
            self._db.execute(
                'INSERT INTO outbox(seq, event_id, channel, event, transport, payload, size,'
                ' created, created_tick) VALUES(?,?,?,?,?,?,?,?,?)',
                (seq, event_id, request.channel, request.event, request.transport, text, size,
                 now, tick))
        except sqlite3.IntegrityError as exc:     # only the statement is undone; logged, counted
            payload.pop('seq', None)
            request.outcome = 'refused'
            self.counters['integrity_errors'] += 1
            LOG.error('outbox %s: event %s (seq %d) not stored, integrity error: %s', self.path,
                      event_id, seq, exc)
            return seq + 1
        self._rows += 1
        self._bytes += size
        self.counters['appended'] += 1
        request.outcome = 'stored'
        request.entry = OutboxEntry(
            seq, event_id, request.channel, request.event, request.transport, text, size, now)
        return seq + 1

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
        self._db.execute('DELETE FROM outbox WHERE seq=?', (row[0],))
        self._rows -= 1
        self._bytes -= int(row[5])
        self._gone.append(row[0])
        self._dead_insert(row, reason, now)

    def _dead_insert(self, row: tuple, reason: str, now: float) -> None:
        seq, event_id, channel, event, payload, _size = row
        self._db.execute(
            'INSERT OR REPLACE INTO dead_letter(seq, event_id, channel, event, payload, reason,'
            ' at) VALUES(?,?,?,?,?,?,?)', (seq, event_id, channel, event, payload, reason, now))
        self.counters['dead_lettered'] += 1
        if self.max_dead_letters > 0:
            self._db.execute('DELETE FROM dead_letter WHERE seq IN (SELECT seq FROM dead_letter'
                             ' ORDER BY seq DESC LIMIT -1 OFFSET ?)', (self.max_dead_letters,))
