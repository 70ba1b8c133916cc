"""Outbound transport of ``client-`` events over the bridge's own Pusher connection.

Pusher (and Reverb) allow a connection at most 10 client events per second;
:class:`TokenBucket` keeps the sender under ``rate`` (the excess waits in the
outbox / latest store, where ``latest`` events coalesce).

A write is not a delivery, and a pong is not one either.  After writing, the
transport pings: the server answers in order, so every ``pusher:error`` about
the written events (4301 client events disabled, rate limit, too large) arrives
before the pong.  Such an error marks the written events failed-retryable
(:func:`classify_server_errors`); an error not about client events (a subscription's,
the connection's: :func:`about_client_events`) is logged and counted, never blamed
on the batch; a close 1009 marks them too large.  Without an
error they are ``accepted`` - for a durable event that only means "waiting for
the stored acknowledgement" (the sender keeps the row until ``events-stored``).
"""
from __future__ import annotations

import json
import logging
import time
from typing import Any, Callable, Hashable, Protocol

from rvm_bridge.delivery.send_outcome import SendOutcome, WireEvent
from rvm_common.events import dumps

LOG = logging.getLogger(__name__)


class ClientEventConnection(Protocol):
    """What this transport needs from ``connection.PusherConnection``."""

    def send_client_event(self, channel: str, event: str, data: Any) -> bool: ...

    def confirm(self, timeout: float) -> bool: ...

    def server_answers(self) -> Any: ...


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


# the largest WebSocket frame header a client sends (64-bit length + mask)
WS_FRAME_HEADER = 14


#: words of the ``pusher:error`` messages that answer client events (Soketi and Pusher: code 4301)
_CLIENT_EVENT_WORDS = ('client', 'event', 'rate limit', 'quota', 'less than', 'too large',
                       'too long', 'too big', 'size')


def about_client_events(code: int | None, message: str) -> bool:
    """True when a ``pusher:error`` answers a client event (else it is not the batch's fault)."""
    if code == 4301:
        return True
    text = message.lower()
    return (code is None or 4300 <= code < 4400) and any(w in text for w in _CLIENT_EVENT_WORDS)


def classify_server_errors(
    errors: list[tuple[int | None, str]], keys: list[Hashable]
) -> SendOutcome:
    """The outcome for written ``keys`` when the server answered them with ``pusher:error``s."""
    code, message = errors[0]
    text = message.lower()
    error = f'pusher:error {code}: {message}'
    if any(word in text for word in ('less than', 'too large', 'too long', 'too big', 'size')):
        return SendOutcome(retry=keys, error=error, too_large=True)
    if 'rate limit' in text or 'quota' in text or 'too many' in text:
        return SendOutcome(retry=keys, error=error)
    return SendOutcome(
        retry=keys, config_error=True,
        error=(
            f'{error} - client events refused by the server: enable client events '
            '(Reverb accept_client_events_from / Soketi ENABLE_CLIENT_MESSAGES) or use '
            'transport api'
        ),
    )


class ClientEventTransport:
    """Writes client events within the rate limit, then reads the server's answers to them."""

    def __init__(self, connection: ClientEventConnection, *, rate: float = 10.0,
                 confirm_timeout_s: float = 5.0, max_message_bytes: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.connection = connection
        self.bucket = TokenBucket(rate, clock=clock)
        self.confirm_timeout_s = confirm_timeout_s
        self.max_message_bytes = max_message_bytes
        self.counters = {
            'written': 0, 'accepted': 0, 'refused': 0, 'unanswered': 0, 'rate_limited': 0,
            'too_large': 0, 'unrelated_errors': 0}

    def send(self, events: list[WireEvent]) -> SendOutcome:
        """Write as many of ``events`` (in order) as the bucket allows, then read the answers."""
        answers = self.connection.server_answers()
        mark = answers.mark()
        written: list[Hashable] = []
        largest = 0
        failed = SendOutcome()
        for ev in events:
            try:
                data = json.loads(ev.data)
            except ValueError:
                data = ev.data
            size = (
                len(dumps({'event': ev.event, 'channel': ev.channel, 'data': data}).encode())
                + WS_FRAME_HEADER
            )
            if size > self.max_message_bytes:
                self.counters['too_large'] += 1
                failed = SendOutcome(
                    retry=[ev.key], too_large=True, largest=size,
                    error=(
                        f'frame of {size} bytes is over max_message_bytes={self.max_message_bytes}'
                    ),
                )
                break
            if not self.bucket.take():
                self.counters['rate_limited'] += 1
                break
            if not self.connection.send_client_event(ev.channel, ev.event, data):
                failed = SendOutcome(
                    retry=[ev.key],
                    error=(
                        'client event not written (socket not connected or channel not subscribed)'
                    ),
                )
                break
            written.append(ev.key)
            largest = max(largest, size)
            self.counters['written'] += 1
        if not written:
            return failed
        outcome = self._answers(written, answers, mark)
        if outcome.too_large:
            outcome.largest = largest
        if failed.retry:
            outcome.retry += failed.retry
            outcome.error = outcome.error or failed.error
            outcome.too_large = outcome.too_large or failed.too_large
            outcome.largest = max(outcome.largest, failed.largest)
        return outcome

    def _answers(self, written: list[Hashable], answers: Any, mark: Any) -> SendOutcome:
        pong = self.connection.confirm(self.confirm_timeout_s)
        errors, closes = answers.since(mark)
        unrelated = [e for e in errors if not about_client_events(*e)]
        if unrelated:   # e.g. a subscription's or the connection's error: not the batch's fault
            self.counters['unrelated_errors'] += len(unrelated)
            LOG.warning('server errors during a client-event batch, not about client events'
                        ' (not blamed on it): %s', unrelated)
            errors = [e for e in errors if e not in unrelated]
        if errors:
            self.counters['refused'] += len(written)
            return classify_server_errors(errors, written)
        if not pong:
            self.counters['unanswered'] += len(written)
            if 1009 in closes:
                return SendOutcome(retry=written, too_large=True,
                                   error='server closed the socket with 1009 (message too big)')
            return SendOutcome(
                retry=written, error='no pong after the client events (connection lost?)')
        self.counters['accepted'] += len(written)
        return SendOutcome(accepted=written)
