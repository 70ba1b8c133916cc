"""ConnectionStats: cumulative counters and last-seen facts of a Pusher connection, across sockets.

:class:`~rvm_bridge.connection.pusher_connection.PusherConnection` feeds it protocol events (pongs,
server errors, malformed frames, connects, closed sockets); ``snapshot()`` gives the JSON-able part
of the connection's ``stats()`` for ``bridge/status`` and ``/diagnostics``.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import Any

from rvm_bridge.protocol import pusher_protocol as proto
from rvm_bridge.connection.state import Timeline

LOG = logging.getLogger(__name__)

COUNTER_NAMES = ('connects', 'reconnects', 'frames_in', 'frames_out', 'malformed', 'server_errors',
                 'client_events', 'callback_errors', 'pong_timeouts')
PONG_TIMELINE_INTERVAL_S = 30.0   # confirm() pings often: one pong on the timeline per 30 s ...
SLOW_PONG_S = 1.0                 # ... plus every slow one
MALFORMED_LOG_FIRST = 10          # a flood of malformed frames must not flood the log too


class ConnectionStats:
    """Counters (connects, frames, errors ...), last error/close code/pong latency, ping totals."""

    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline
        self.counters = dict.fromkeys(COUNTER_NAMES, 0)
        self.last_error = ''
        self.last_close_code: int | None = None
        self.last_pong_latency_ms: float | None = None
        self._last_pong_recorded = float('-inf')
        # of earlier sockets (the totals are cumulative)
        self._closed_pings = self._closed_pongs = 0
        self._errors: deque[tuple[int, int | None, str]] = deque(maxlen=256)   # (n, code, message)
        self._closes: deque[tuple[int, int | None]] = deque(maxlen=64)         # (n, close code)
        self._n_closes = 0

    def count(self, name: str, n: int = 1) -> int:
        """Add ``n`` to counter ``name``; returns the new value."""
        self.counters[name] += n
        return self.counters[name]

    def established(self) -> None:
        """A socket reached CONNECTED: every one after the first is a reconnect."""
        if self.count('connects') > 1:
            self.count('reconnects')

    def pong(self, event: proto.PongReceived, now: float) -> None:
        """Record a pong's latency (and put it on the timeline when due or slow)."""
        if event.latency_s is None:
            return
        self.last_pong_latency_ms = round(event.latency_s * 1000.0, 2)
        if (
            now - self._last_pong_recorded >= PONG_TIMELINE_INTERVAL_S
            or event.latency_s >= SLOW_PONG_S
        ):
            self._last_pong_recorded = now
            self.timeline.record('pong', latency_ms=self.last_pong_latency_ms)

    def server_error(self, event: proto.ServerError) -> str:
        """Record a ``pusher:error``; returns its one-line description."""
        n = self.count('server_errors')
        self._errors.append((n, event.code, event.message))
        self.last_error = f'pusher:error {event.code}: {event.message}'
        self.timeline.record(
            'error', code=event.code, message=event.message, action=event.action.value)
        return self.last_error

    def closed(self, code: int | None) -> None:
        """A socket closed with ``code`` (None: lost without a close frame)."""
        self._n_closes += 1
        self._closes.append((self._n_closes, code))
        self.last_close_code = code

    def mark(self) -> tuple[int, int]:
        """A point in the stream of server answers, for :meth:`since`."""
        return self.counters['server_errors'], self._n_closes

    def since(
        self, mark: tuple[int, int]
    ) -> tuple[list[tuple[int | None, str]], list[int | None]]:
        """``pusher:error`` (code, message) and close codes received after ``mark``."""
        errors = [(code, message) for n, code, message in list(self._errors) if n > mark[0]]
        closes = [code for n, code in list(self._closes) if n > mark[1]]
        return errors, closes

    def malformed(self, event: proto.Malformed) -> None:
        """Count an ignored malformed frame; log the first few and then every 100th."""
        count = self.count('malformed')
        if count <= MALFORMED_LOG_FIRST or count % 100 == 0:
            LOG.warning('ignored malformed frame #%d (%s): %s', count, event.reason, event.excerpt)

    def socket_closed(self, session: proto.PusherSession | None) -> None:
        """Keep the ping/pong totals of a socket that is gone."""
        if session is not None:
            self._closed_pings += session.pings_sent
            self._closed_pongs += session.pongs_received

    def snapshot(self, session: proto.PusherSession | None) -> dict[str, Any]:
        """Counters, ping/pong totals (``session``: the live socket's, if any), last-seen facts."""
        return {
            **self.counters,
            'pings_sent': self._closed_pings + (session.pings_sent if session else 0),
            'pongs_received': self._closed_pongs + (session.pongs_received if session else 0),
            'last_pong_latency_ms': self.last_pong_latency_ms,
            'last_error': self.last_error,
            'last_close_code': self.last_close_code,
        }
