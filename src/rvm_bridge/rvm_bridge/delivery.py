"""The sender: drains the durable outbox and the ``latest`` store into the transports.

One background thread per bridge.  Durable events leave the outbox in ``seq``
order, are removed only when a transport confirms them, are dead-lettered when
the server rejects them (4xx), and are retried with capped, jittered backoff
otherwise.  ``latest`` events live in memory, keyed by (channel, event): a new
one replaces the unsent old one, so after an outage only the newest is sent.
"""
from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Hashable, Protocol

from rvm_bridge.outbox import Outbox
from rvm_bridge.transport_http import SendOutcome, WireEvent

LOG = logging.getLogger(__name__)


class Transport(Protocol):
    """What delivers a batch of wire events: the WebSocket client-event sender or the HTTP
    events API; it reports one outcome for the batch."""

    def send(self, events: list[WireEvent]) -> SendOutcome: ...


@dataclass
class _Latest:
    event: WireEvent
    published: float  # monotonic


class RetryDelay:
    """Capped exponential backoff with full jitter in [delay/2, delay]."""

    def __init__(self, first: float, cap: float, rng: random.Random | None = None) -> None:
        self.first, self.cap = first, cap
        self._rng = rng or random.Random()
        self.failures = 0

    def next(self) -> float:
        delay = min(self.cap, self.first * (2 ** self.failures))
        self.failures += 1
        return delay * (0.5 + 0.5 * self._rng.random())

    def reset(self) -> None:
        self.failures = 0


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

    def __init__(self, outbox: Outbox, transports: dict[str, Transport], *, retry_min_s: float = 1.0,
                 retry_max_s: float = 30.0, batch_size: int = 10, auth_retry_s: float = 30.0,
                 on_error: Callable[[str], None] = lambda msg: None,
                 ready: Callable[[str], bool] = lambda kind: True) -> None:
        self.outbox = outbox
        self.transports = transports
        self.batch_size = batch_size
        self.auth_retry_s = auth_retry_s
        self._on_error = on_error
        self._ready = ready
        self._retry = {kind: RetryDelay(retry_min_s, retry_max_s) for kind in transports}
        self._not_before = {kind: 0.0 for kind in transports}
        self._latest: dict[tuple[str, str, str], _Latest] = {}
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._pending_wake = False
        self._stop = False
        self._thread: threading.Thread | None = None
        self.started_wall = time.time()
        self.latency = LatencyWindow()
        self.counters = {'sent': 0, 'latest_sent': 0, 'latest_coalesced': 0, 'dead_lettered': 0,
                         'send_errors': 0}
        self.last_error = ''
        self.idle = threading.Event()

    # -- producer side -----------------------------------------------------------------------------
    def put_latest(self, transport: str, event: WireEvent) -> None:
        """Queue a ``latest`` event, replacing an unsent one of the same (channel, event)."""
        key = (transport, event.channel, event.event)
        with self._lock:
            if key in self._latest:
                self.counters['latest_coalesced'] += 1
            self._latest[key] = _Latest(WireEvent(key, event.channel, event.event, event.data), time.monotonic())
        self.wake()

    def wake(self) -> None:
        with self._wake:
            self._pending_wake = True
            self.idle.clear()
            self._wake.notify()

    def retry_now(self) -> None:
        """The server is reachable again (socket reconnected): drop pending backoff and send now.

        Without this, events queued during an outage would wait out the last backoff delay
        (up to ``retry_max_s``) although the server is back.
        """
        with self._wake:
            for kind in self._not_before:
                self._not_before[kind] = 0.0
                self._retry[kind].reset()
        self.wake()

    def latest_pending(self) -> int:
        with self._lock:
            return len(self._latest)

    # -- thread --------------------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name='rvm-bridge-sender', daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
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
                self.outbox.expire()
                next_expire = now + 60.0
            busy = False
            wait = 1.0
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
                    if self.outbox.depth() == 0 and not self._latest:
                        self.idle.set()
                    self._wake.wait(max(0.005, wait))

    def _step(self, kind: str) -> tuple[bool, float]:
        """Send one batch of ``kind``; returns (did work, seconds until worth trying again)."""
        now = time.monotonic()
        if now < self._not_before[kind]:
            return False, self._not_before[kind] - now
        if not self._ready(kind):
            return False, 0.2
        entries = self.outbox.peek(self.batch_size, transport=kind)
        events = [WireEvent(e.seq, e.channel, e.event, e.payload) for e in entries]
        created = {e.seq: e.created for e in entries}
        with self._lock:
            latest = [item for key, item in self._latest.items() if key[0] == kind]
        room = self.batch_size - len(events)
        events += [item.event for item in latest[:max(0, room)]]
        if not events:
            return False, 1.0
        outcome = self.transports[kind].send(events)
        self._settle(kind, outcome, created, {item.event.key: item for item in latest})
        if outcome.retry and not outcome.confirmed and not outcome.rejected:
            return False, self._not_before[kind] - time.monotonic()
        if outcome.retry:
            return True, 0.0
        if not outcome.confirmed and not outcome.rejected:
            return False, 0.05  # e.g. rate limited: nothing went out this time
        return True, 0.0

    def _settle(self, kind: str, outcome: SendOutcome, created: dict[int, float],
                latest: dict[Hashable, _Latest]) -> None:
        now_wall, now_mono = time.time(), time.monotonic()
        seqs = [k for k in outcome.confirmed if k in created]
        if seqs:
            self.outbox.confirm(seqs)
            self.counters['sent'] += len(seqs)
            for s in seqs:
                if created[s] >= self.started_wall:
                    self.latency.add((now_wall - created[s]) * 1000.0)
        done_latest = [k for k in outcome.confirmed if k in latest]
        for key, reason in outcome.rejected:
            if key in created:
                self.outbox.dead_letter(key, reason)
                self.counters['dead_lettered'] += 1
            else:
                LOG.error('latest event %s dropped: %s', key, reason)
                self.counters['dead_lettered'] += 1
                done_latest.append(key)
        with self._lock:
            for key in done_latest:
                item = self._latest.get(key)
                if item is latest.get(key):  # not replaced by a newer one meanwhile
                    del self._latest[key]
                    if key in outcome.confirmed:
                        self.counters['latest_sent'] += 1
                        self.latency.add((now_mono - item.published) * 1000.0)
        if outcome.retry:
            self.outbox.mark_attempt(k for k in outcome.retry if k in created)
            self.counters['send_errors'] += 1
            delay = self.auth_retry_s if outcome.auth_error else self._retry[kind].next()
            self._not_before[kind] = time.monotonic() + delay
            self._note_error(f'{kind}: {outcome.error} (retry in {delay:.1f} s)')
        elif outcome.confirmed:
            self._retry[kind].reset()

    def _note_error(self, message: str) -> None:
        if message != self.last_error:
            LOG.warning('bridge send: %s', message)
        self.last_error = message
        self._on_error(message)

    def flush(self, timeout: float) -> bool:
        """Wait until the outbox and the latest store are empty (True) or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.outbox.depth() == 0 and self.latest_pending() == 0:
                return True
            self.wake()
            time.sleep(0.01)
        return self.outbox.depth() == 0 and self.latest_pending() == 0

    def stats(self) -> dict[str, Any]:
        return {**self.counters, 'latest_pending': self.latest_pending(), 'latency_ms': self.latency.percentiles(),
                'last_error': self.last_error}
