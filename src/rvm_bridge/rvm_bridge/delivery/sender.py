"""The sender: drains the durable outbox and the ``latest`` store into the transports.

One background thread per bridge.  Durable events leave the outbox in ``seq``
order and only when the server confirmed them: transports in ``ack_kinds``
(client events) wait for the stored acknowledgement (:meth:`Sender.acknowledge`,
fed by ``events-stored``; re-sent after ``ack_timeout_s``), the ``api`` transport
confirms what the answer lists as stored, ``http`` confirms on "accepted for
fan-out".  Nothing is dead-lettered here: failures are retried with capped,
jittered backoff; configuration errors pause the route with a clear error; a
too-large answer halves the batch, then re-trims the payload under a lowered
limit.  ``latest`` events live in memory, keyed by (channel, event): a new one
replaces the unsent old one, so after an outage only the newest is sent.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Hashable, Iterable, Protocol

from rvm_bridge.delivery.ack_tracker import AckTracker
from rvm_bridge.outbox.outbox import Outbox, OutboxEntry
from rvm_bridge.delivery.send_outcome import SendOutcome, WireEvent
from rvm_bridge.delivery.send_rules import After, SendFacts, after_send
from rvm_bridge.thread_supervisor import ThreadSupervisor
from rvm_common.backoff import Backoff

LOG = logging.getLogger(__name__)

MIN_LIMIT = 512
Refit = Callable[[OutboxEntry, int], 'str | None']


class Transport(Protocol):
    """What delivers a batch of wire events (client events, HTTP events API, MyRVM API)."""

    def send(self, events: list[WireEvent]) -> SendOutcome: ...


@dataclass
class _Latest:
    event: WireEvent
    published: float  # monotonic


class LatencyWindow:
    """Send latencies (ms) of the last ``size`` confirmed events; p50/p99."""

    def __init__(self, size: int = 2000) -> None:
        self._values: deque[float] = deque(maxlen=size)
        self._lock = threading.Lock()

    def add(self, ms: float) -> None:
        with self._lock:
            self._values.append(ms)

    def percentiles(self) -> dict[str, float | None]:
        with self._lock:
            values = sorted(self._values)
        if not values:
            return {'p50': None, 'p99': None, 'count': 0}
        pick = lambda q: round(values[min(len(values) - 1, int(q * len(values)))], 2)  # noqa: E731
        return {'p50': pick(0.50), 'p99': pick(0.99), 'count': len(values)}


class Sender:
    """Background delivery loop over one outbox, a latest store and per-kind transports."""

    def __init__(
        self, outbox: Outbox, transports: dict[str, Transport], *, retry_min_s: float = 1.0,
        retry_max_s: float = 30.0, batch_size: int = 10, config_retry_s: float = 30.0,
        ack_kinds: Iterable[str] = ('client-event',), ack_timeout_s: float = 30.0,
        max_in_flight: int = 100, limit: int = 10_000, refit: Refit | None = None,
        on_error: Callable[[str], None] = lambda msg: None,
        ready: Callable[[str], bool] = lambda kind: True,
        clock: Callable[[], float] = time.monotonic,
        supervisor: ThreadSupervisor | None = None,
    ) -> None:
        self.outbox = outbox
        self.transports = transports
        self.batch_size = batch_size
        self.config_retry_s = config_retry_s
        self.ack_kinds = frozenset(ack_kinds)
        self.max_in_flight = max_in_flight
        self.limit = limit
        self._refit = refit
        self._on_error = on_error
        self._ready = ready
        self.acks = AckTracker(ack_timeout_s, clock)
        # rows dead-lettered (overflow, operator rules) wait for no ack any more
        outbox.on_removed(self.acks.drop)
        self.supervisor = supervisor or ThreadSupervisor()
        self._halt = threading.Event()
        self._retry = {kind: Backoff(retry_min_s, retry_max_s) for kind in transports}
        self._not_before = {kind: 0.0 for kind in transports}
        self._batch = {kind: batch_size for kind in transports}
        self.paused: dict[str, str] = {}
        self._latest: dict[tuple[str, str, str], _Latest] = {}
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        # a row's deletion on an ack and its bookkeeping are seen together (flush, summary)
        self._ack_lock = threading.Lock()
        self._pending_wake = False
        self._stop = False
        self._thread: threading.Thread | None = None
        self.started_wall = time.time()
        self.latency = LatencyWindow()
        self.counters = {
            'stored': 0, 'accepted_fanout': 0, 'latest_sent': 0, 'latest_coalesced': 0,
            'latest_dropped': 0, 'send_errors': 0, 'server_rejected': 0, 'config_errors': 0,
            'too_large': 0, 'acks_unknown': 0}
        self.last_error = ''
        self.idle = threading.Event()

    # -- producer side
    # -----------------------------------------------------------------------------
    def put_latest(self, transport: str, event: WireEvent) -> None:
        """Queue a ``latest`` event, replacing an unsent one of the same (channel, event)."""
        key = (transport, event.channel, event.event)
        with self._lock:
            if key in self._latest:
                self.counters['latest_coalesced'] += 1
            self._latest[key] = _Latest(
                WireEvent(key, event.channel, event.event, event.data), time.monotonic())
        self.wake()

    def wake(self) -> None:
        with self._wake:
            self._pending_wake = True
            self.idle.clear()
            self._wake.notify()

    def retry_now(self) -> None:
        """The server is reachable again (socket reconnected): end backoffs and pauses, send now.

        What waits for an ack is sent again (acks published while the socket was down are lost).
        """
        with self._wake:
            for kind in self._not_before:
                self._not_before[kind] = 0.0
                self._retry[kind].reset()
        self.acks.due_now()
        self.wake()

    def acknowledge(self, event_ids: Iterable[str]) -> int:
        """Server stored these events (``events-stored``): delete their rows; returns how many."""
        ids = [str(e) for e in event_ids]
        created = {e.seq: e.created for e in self.outbox.peek(len(ids) + self.max_in_flight)}
        with self._ack_lock:
            seqs = self.outbox.confirm_ids(ids)
            self.acks.acked(seqs)
            self.counters['stored'] += len(seqs)
            self.counters['acks_unknown'] += len(ids) - len(seqs)
        now = time.time()
        for seq in seqs:
            if seq in created and created[seq] >= self.started_wall:
                self.latency.add((now - created[seq]) * 1000.0)
        if seqs:
            self.wake()
        return len(seqs)

    def latest_pending(self) -> int:
        with self._lock:
            return len(self._latest)

    # -- thread
    # --------------------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._thread = self.supervisor.start('rvm-bridge-sender', self._run, self._halt)

    def stop(self, timeout: float = 5.0) -> None:
        self._halt.set()
        with self._wake:
            self._stop = True
            self._wake.notify()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        next_expire = 0.0
        while True:
            with self._wake:
                if self._stop:
                    return
                self._pending_wake = False
            now = time.monotonic()
            if now >= next_expire:
                next_expire = now + 60.0
                try:
                    self.outbox.expire()       # rows it moves leave the ack tracker (on_removed)
                except Exception as exc:  # noqa: BLE001 - the storage's fault: next round
                    LOG.exception('outbox expiry failed')
                    self._note_error(f'outbox expiry failed: {exc!r}')
                    next_expire = now + 5.0
            busy = False
            wait = 1.0
            if self.outbox.retry_unstored():    # events the disk refused: try again when due
                wait = 0.05
            for kind in self.transports:
                try:
                    done, delay = self._step(kind)
                except Exception as exc:  # a bug must not kill delivery; logged and retried
                    LOG.exception('sender step (%s) failed', kind)
                    self._note_error(f'internal error: {exc!r}')
                    done, delay = False, 1.0
                busy = busy or done
                wait = min(wait, delay)
            if busy:
                continue
            with self._wake:
                if self._stop:
                    return
                if not self._pending_wake:
                    if self.outbox.backlog() == 0 and not self._latest:
                        self.idle.set()
                    self._wake.wait(max(0.005, wait))

    def _step(self, kind: str) -> tuple[bool, float]:
        """Send one batch of ``kind``; returns (did work, seconds until worth trying again)."""
        now = time.monotonic()
        if now < self._not_before[kind]:
            return False, self._not_before[kind] - now
        if not self._ready(kind):
            return False, 0.2
        skip: set[int] = set()
        room = self._batch[kind]
        if kind in self.ack_kinds:
            skip = self.acks.waiting()
            room = min(room, max(0, self.max_in_flight - len(skip)))
        entries = self.outbox.peek(room, transport=kind, skip=skip) if room else []
        events = [WireEvent(e.seq, e.channel, e.event, e.payload, e.event_id) for e in entries]
        with self._lock:
            latest = [item for key, item in self._latest.items() if key[0] == kind]
        events += [item.event for item in latest[:max(0, self._batch[kind] - len(events))]]
        if not events:
            return False, 0.2 if skip else 1.0
        outcome = self.transports[kind].send(events)
        step = self._settle(
            kind, outcome, {e.seq: e for e in entries}, {item.event.key: item for item in latest})
        if step in (After.PAUSE, After.BACK_OFF) and not outcome.done():
            return False, max(0.0, self._not_before[kind] - time.monotonic())
        if step is After.WAIT_A_MOMENT:
            return False, 0.05  # e.g. rate limited: nothing went out this time
        return True, 0.0

    def _settle(self, kind: str, outcome: SendOutcome, rows: dict[int, OutboxEntry],
                latest: dict[Hashable, _Latest]) -> After:
        """Book what the server took, then carry out :func:`~.send_rules.after_send`."""
        stored = [k for k in outcome.stored if k in rows]
        accepted = [k for k in outcome.accepted if k in rows]
        confirm = list(stored)
        with self._ack_lock:
            if kind in self.ack_kinds:
                # accepted is not stored: the row waits for events-stored
                self.acks.sent(accepted, {k: rows[k].event_id for k in accepted})
            else:
                # http: "accepted for fan-out" is all that server can say
                confirm += accepted
                self.counters['accepted_fanout'] += len(accepted)
            self.counters['stored'] += len(stored)
            if confirm:
                self.outbox.confirm(confirm)
        if confirm:
            now_wall = time.time()
            for s in confirm:
                if rows[s].created >= self.started_wall:
                    self.latency.add((now_wall - rows[s].created) * 1000.0)
        self._settle_latest(outcome, latest)
        failed = [k for k in outcome.retry if k in rows]
        rejected = [k for k, _ in outcome.rejected if k in rows]
        if rejected:
            # a durable row is never dead-lettered by a server answer: kept and retried
            self.counters['server_rejected'] += len(rejected)
            failed += rejected
        step = after_send(SendFacts(
            too_large=outcome.too_large, config_error=outcome.config_error,
            failed=bool(failed) or bool(outcome.retry and not outcome.done()),
            went_out=bool(outcome.done() or outcome.retry or outcome.rejected)))
        if step is After.SHRINK:
            self._too_large(kind, outcome, rows, failed)
        elif step in (After.PAUSE, After.BACK_OFF):
            self.outbox.mark_attempt(failed)
            self.counters['send_errors'] += 1
            if step is After.PAUSE:
                self.counters['config_errors'] += 1
                delay = self.config_retry_s
                self.paused[kind] = outcome.error
            else:
                delay = self._retry[kind].next_delay()
            self._not_before[kind] = time.monotonic() + delay
            what = 'paused (configuration)' if step is After.PAUSE else 'retry'
            self._note_error(
                f'{kind}: {outcome.error or "rejected"} ({what}; next try in {delay:.1f} s)')
        elif step is After.GO_ON and outcome.done():
            self._retry[kind].reset()
            self.paused.pop(kind, None)
            self._batch[kind] = min(self.batch_size, self._batch[kind] + 1)
        return step

    def _settle_latest(self, outcome: SendOutcome, latest: dict[Hashable, _Latest]) -> None:
        done = [k for k in outcome.done() if k in latest]
        dropped = [(k, reason) for k, reason in outcome.rejected if k in latest]
        if outcome.too_large and len(outcome.retry) == 1 and outcome.retry[0] in latest:
            dropped.append((outcome.retry[0], outcome.error))
        now_mono = time.monotonic()
        with self._lock:
            for key in done + [k for k, _ in dropped]:
                item = self._latest.get(key)
                if item is latest.get(key):  # not replaced by a newer one meanwhile
                    del self._latest[key]
                    if key in done:
                        self.counters['latest_sent'] += 1
                        self.latency.add((now_mono - item.published) * 1000.0)
        for key, reason in dropped:
            self.counters['latest_dropped'] += 1
            LOG.error('latest event %s dropped: %s', key, reason)

    def _too_large(
        self, kind: str, outcome: SendOutcome, rows: dict[int, OutboxEntry], failed: list
    ) -> None:
        """Halve the batch; at one event, lower the own limit and re-trim that payload."""
        self.counters['too_large'] += 1
        if len(failed) > 1 and self._batch[kind] > 1:
            self._batch[kind] = max(1, min(self._batch[kind], len(failed)) // 2)
            self._note_error(f'{kind}: {outcome.error}; batch halved to {self._batch[kind]}')
            return
        self._batch[kind] = 1
        if not failed:
            return
        seq = failed[0]
        new_limit = max(MIN_LIMIT, int(min(self.limit, outcome.largest or self.limit) * 0.9))
        if new_limit < self.limit:
            LOG.warning(
                'server refused a message as too large (%s): own limit lowered %d -> %d bytes',
                outcome.error, self.limit, new_limit)
            self.limit = new_limit
        text = self._refit(rows[seq], self.limit) if self._refit else None
        if text is None or text == rows[seq].payload:
            self.outbox.mark_attempt([seq])
            self._not_before[kind] = time.monotonic() + self._retry[kind].next_delay()
            self._note_error(
                f'{kind}: {outcome.error}; seq {seq} cannot be made smaller (kept, retried)')
            return
        self.outbox.replace_payload(seq, text)
        self._note_error(
            f'{kind}: {outcome.error}; seq {seq} re-trimmed to {len(text.encode())} bytes')

    def _note_error(self, message: str) -> None:
        if message != self.last_error:
            LOG.warning('bridge send: %s', message)
        self.last_error = message
        self._on_error(message)

    def flush(self, timeout: float) -> bool:
        """True once outbox (acks included) and latest store are empty; False after ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._drained():
                return True
            self.wake()
            time.sleep(0.01)
        return self._drained()

    def _drained(self) -> bool:
        with self._ack_lock:
            return self.outbox.backlog() == 0 and self.latest_pending() == 0

    def stats(self) -> dict[str, Any]:
        return {
            **self.counters, 'awaiting_ack': self.acks.count(), 'awaiting_seqs': self.acks.seqs(),
            'acks': dict(self.acks.counters),
            'oldest_ack_wait_s': round(self.acks.oldest_wait_s(), 3), 'paused': dict(self.paused),
            'latest_pending': self.latest_pending(), 'latency_ms': self.latency.percentiles(),
            'last_error': self.last_error, 'limit_bytes': self.limit,
            'threads': self.supervisor.stats()}
