"""Outbound transport of ``client-`` events over the bridge's own Pusher connection.

Pusher (and Reverb) allow a connection at most 10 client events per second;
:class:`TokenBucket` keeps the sender under ``rate`` (the excess waits in the
outbox / latest store, where ``latest`` events coalesce).  A write is not a
delivery: events are confirmed only after a ping/pong round trip that follows
them on the same socket (the server has read everything before the ping).
"""
from __future__ import annotations

import json
import logging
import time
from typing import Any, Callable, Hashable, Protocol

from rvm_bridge.transport_http import SendOutcome, WireEvent

LOG = logging.getLogger(__name__)


class ClientEventConnection(Protocol):
    """What this transport needs from ``connection.PusherConnection``."""

    def send_client_event(self, channel: str, event: str, data: Any) -> bool: ...

    def confirm(self, timeout: float) -> bool: ...


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` saved; time from an injected clock."""

    def __init__(self, rate: float, burst: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = float(rate)
        self.burst = float(burst if burst is not None else rate)
        self._clock = clock
        self._tokens = self.burst
        self._last = clock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now

    def available(self) -> int:
        """Whole tokens available now."""
        self._refill()
        return int(self._tokens)

    def take(self, n: int = 1) -> bool:
        """Spend ``n`` tokens if available."""
        self._refill()
        if self._tokens >= n:
            self._tokens -= n
            return True
        return False

    def wait_time(self, n: int = 1) -> float:
        """Seconds until ``n`` tokens are available."""
        self._refill()
        return max(0.0, (n - self._tokens) / self.rate)


class ClientEventTransport:
    """Writes client events within the rate limit and confirms them with a ping/pong."""

    def __init__(self, connection: ClientEventConnection, *, rate: float = 10.0,
                 confirm_timeout_s: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.connection = connection
        self.bucket = TokenBucket(rate, clock=clock)
        self.confirm_timeout_s = confirm_timeout_s
        self.counters = {'written': 0, 'confirmed': 0, 'unconfirmed': 0, 'rate_limited': 0}

    def send(self, events: list[WireEvent]) -> SendOutcome:
        """Write as many of ``events`` (in order) as the bucket allows, then confirm them."""
        written: list[Hashable] = []
        for ev in events:
            if not self.bucket.take():
                self.counters['rate_limited'] += 1
                break
            try:
                data = json.loads(ev.data)
            except ValueError:
                data = ev.data
            if not self.connection.send_client_event(ev.channel, ev.event, data):
                outcome = SendOutcome(confirmed=[], retry=[e.key for e in events[len(written):]],
                                      error='client event not written (socket not connected or channel '
                                            'not subscribed)')
                return self._confirm(written, outcome)
            written.append(ev.key)
            self.counters['written'] += 1
        return self._confirm(written, SendOutcome())

    def _confirm(self, written: list[Hashable], outcome: SendOutcome) -> SendOutcome:
        if not written:
            return outcome
        if self.connection.confirm(self.confirm_timeout_s):
            self.counters['confirmed'] += len(written)
            outcome.confirmed = written + outcome.confirmed
        else:
            self.counters['unconfirmed'] += len(written)
            outcome.retry = written + outcome.retry
            outcome.error = outcome.error or 'no pong after the client events (connection lost?)'
        return outcome
