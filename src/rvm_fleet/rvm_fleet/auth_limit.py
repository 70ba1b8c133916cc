"""Edge-side rate limit of channel-auth requests (a token bucket around the authorize call).

The bridge signs each private channel once per socket; a machine whose socket flaps, or
a fleet coming back from a server restart, would otherwise fire auth requests at
MyRVM's ``/broadcasting/auth`` as fast as it reconnects.  :class:`RateLimitedAuth` wraps
any ``authorize(socket_id, channel)`` callable: each call takes a token, waiting for
one when the bucket is empty (it runs on the connection's auth thread, never on the
socket thread, so waiting delays nothing else).  Every request is time-stamped for the
fleet report (auth requests per second at the endpoint).
"""
from __future__ import annotations

import threading
import time
from typing import Any, Callable


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` saved up; thread-safe; clock injectable."""

    def __init__(
        self, rate: float, burst: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError(f'token bucket needs rate > 0 and burst >= 1 (got {rate}, {burst})')
        self.rate = float(rate)
        self.burst = float(burst)
        self._clock = clock
        self._tokens = float(burst)
        self._stamp = clock()
        self._lock = threading.Lock()

    def _refill(self, now: float) -> None:
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def try_take(self) -> float:
        """Take a token: 0.0 when taken, else seconds until one is available (nothing taken)."""
        with self._lock:
            self._refill(self._clock())
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return 0.0
            return (1.0 - self._tokens) / self.rate


class RateLimitedAuth:
    """``authorize(socket_id, channel)`` through a :class:`TokenBucket`; counts waits and requests.

    ``sleep`` is injectable (tests); ``on_request(channel, when)`` is called before each request.
    """

    def __init__(self, authorize: Callable[[str, str], Any], bucket: TokenBucket, *,
                 sleep: Callable[[float], None] = time.sleep,
                 on_request: Callable[[str, float], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._authorize = authorize
        self.bucket = bucket
        self._sleep = sleep
        self._on_request = on_request
        self._clock = clock
        self.requests = 0
        self.throttled = 0          # requests that had to wait for a token
        self.waited_s = 0.0

    def __call__(self, socket_id: str, channel: str) -> Any:
        waited = False
        while (delay := self.bucket.try_take()) > 0:
            waited = True
            self.waited_s += delay
            self._sleep(delay)
        if waited:
            self.throttled += 1
        self.requests += 1
        if self._on_request is not None:
            self._on_request(channel, self._clock())
        return self._authorize(socket_id, channel)
