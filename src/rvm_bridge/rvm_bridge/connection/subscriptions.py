"""Channels a Pusher connection keeps subscribed, and their authorization off the socket thread.

:class:`ChannelSubscriptions` remembers every wanted channel across reconnects.  On
each new socket (:meth:`~ChannelSubscriptions.connected`) public channels are
subscribed at once; private/presence channels are signed by a worker thread at
the auth endpoint with the socket's NEW id, so a slow or dead endpoint never
delays ping handling.  A refusal (401/403, missing token, ``subscription_error``)
is retried slowly (``auth_retry_s`` -> ``auth_retry_max_s``, kept across
reconnects: no tight loop); an unreachable endpoint is retried with the normal
backoff.  Channel states: pending, authorizing, auth_wait, subscribing, subscribed.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any, Callable

from rvm_bridge.protocol import pusher_protocol as proto
from rvm_bridge.connection.channel_auth import (
    AuthConfigError, AuthError, AuthRejected, ChannelAuth)
from rvm_bridge.connection.settings import ConnectionSettings
from rvm_bridge.connection.state import Timeline
from rvm_bridge.thread_supervisor import ThreadSupervisor
from rvm_common.backoff import Backoff

LOG = logging.getLogger(__name__)

Authorize = Callable[[str, str], ChannelAuth]


class _Channel:
    """One wanted channel and where it stands on the current socket."""

    __slots__ = ('name', 'state', 'retry_at', 'slow', 'quick', 'last_error', 'since')

    def __init__(self, name: str, settings: ConnectionSettings) -> None:
        self.name = name
        self.state = 'pending'
        self.retry_at = 0.0
        self.slow = Backoff(settings.auth_retry_s, settings.auth_retry_max_s)        # refusals
        # endpoint down
        self.quick = Backoff(settings.reconnect_min_s, settings.reconnect_max_s)
        self.last_error = ''
        self.since = 0.0          # when the subscribe frame went out (state subscribing)


class ChannelSubscriptions:
    """Wanted channels, (re)subscription per socket, and the auth worker thread.

    ``send(frames)`` writes on the current socket (False when there is none);
    ``lock`` is the connection's lock, held while the socket generation changes.
    """

    def __init__(
        self, settings: ConnectionSettings, authorize: Authorize,
        send: Callable[[list[str]], bool], *, lock: threading.RLock, timeline: Timeline,
        clock: Callable[[], float], report_error: Callable[[str], None] = lambda message: None,
        supervisor: ThreadSupervisor | None = None,
    ) -> None:
        self.settings = settings
        self._authorize = authorize
        self._send = send
        self._lock = lock
        self._timeline = timeline
        self._clock = clock
        self._report_error = report_error
        self._channels: dict[str, _Channel] = {}
        self._jobs: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._supervisor = supervisor or ThreadSupervisor()
        self._halt = threading.Event()
        self._generation: int | None = None       # socket generation while connected, else None
        self._socket_id: str | None = None

    # -- lifecycle
    # ---------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the auth worker thread."""
        if self._thread is None:
            self._halt.clear()
            self._thread = self._supervisor.start('rvm-pusher-auth', self._auth_loop, self._halt)

    def stop(self, timeout: float = 5.0) -> None:
        """End the auth worker (an auth request in flight finishes within its HTTP timeout)."""
        self._halt.set()
        self._jobs.put(None)
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    # -- wanted channels
    # ---------------------------------------------------------------------------
    def add(self, channel: str) -> None:
        """Want ``channel``; subscribe at once when connected."""
        with self._lock:
            if channel in self._channels:
                return
            entry = self._channels[channel] = _Channel(channel, self.settings)
            if self._generation is not None:
                self._start(entry, self._clock())

    def remove(self, channel: str) -> bool:
        """Stop wanting ``channel``; True when it was wanted (caller sends the unsubscribe)."""
        with self._lock:
            return self._channels.pop(channel, None) is not None

    def states(self) -> dict[str, str]:
        """Channel -> state."""
        with self._lock:
            return {name: entry.state for name, entry in self._channels.items()}

    def is_subscribed(self, channel: str) -> bool:
        """True when the server confirmed ``channel`` on the current socket."""
        with self._lock:
            entry = self._channels.get(channel)
            return entry is not None and entry.state == 'subscribed'

    # -- socket events (called by the connection, under its lock where it matters)
    # -------------------
    def connected(self, generation: int, socket_id: str) -> None:
        """New socket established: subscribe all again (re-authorized with ``socket_id``)."""
        with self._lock:
            self._generation, self._socket_id = generation, socket_id
            now = self._clock()
            for entry in self._channels.values():
                self._start(entry, now)

    def disconnected(self) -> None:
        """The socket is gone: nothing is subscribed any more (slow retries keep their time)."""
        with self._lock:
            self._generation = self._socket_id = None
            for entry in self._channels.values():
                if entry.state != 'auth_wait':
                    entry.state = 'pending'

    def succeeded(self, channel: str) -> None:
        """``pusher_internal:subscription_succeeded``."""
        with self._lock:
            entry = self._channels.get(channel)
            if entry is not None:
                entry.state = 'subscribed'
                entry.slow.reset()
                entry.quick.reset()
        self._timeline.record('subscribed', channel=channel)

    def failed(self, event: proto.SubscriptionFailed) -> None:
        """``pusher:subscription_error``: the server refused the signature - slow retry."""
        why = f'subscription to {event.channel} refused ({event.status}): {event.error}'
        self._report_error(why)
        LOG.error(why)
        with self._lock:
            entry = self._channels.get(event.channel or '')
            if entry is not None:
                self._wait(entry, entry.slow.next_delay(), why)
        self._timeline.record(
            'auth', channel=event.channel, outcome='subscription_error', status=event.status)

    def poll(self, now: float) -> None:
        """Queue the authorizations whose retry time has come (called from the socket thread)."""
        with self._lock:
            if self._generation is None:
                return
            for entry in self._channels.values():
                if (entry.state == 'subscribing'
                        and now - entry.since > self.settings.subscribe_timeout_s):
                    self._no_answer(entry)
                elif entry.state == 'auth_wait' and entry.retry_at <= now:
                    self._start(entry, now)

    # -- internals
    # ---------------------------------------------------------------------------------
    def _start(self, entry: _Channel, now: float) -> None:
        if not proto.needs_auth(entry.name):
            entry.state, entry.since = 'subscribing', now
            self._send([proto.subscribe_frame(entry.name)])
        elif entry.retry_at > now:
            entry.state = 'auth_wait'
        else:
            entry.state = 'authorizing'
            self._jobs.put((entry.name, self._generation))

    def _no_answer(self, entry: _Channel) -> None:
        """No subscription_succeeded nor error in time: subscribe again after a backoff."""
        why = (f'subscription to {entry.name}: no answer within'
               f' {self.settings.subscribe_timeout_s:g} s')
        delay = entry.quick.next_delay()
        self._wait(entry, delay, why)
        self._report_error(why)
        LOG.warning('%s; subscribing again in %.1f s', why, delay)
        self._timeline.record('auth', channel=entry.name, outcome='subscribe_timeout',
                              retry_in_s=round(delay, 1))

    def _wait(self, entry: _Channel, delay: float, why: str) -> None:
        entry.state = 'auth_wait'
        entry.retry_at = self._clock() + delay
        entry.last_error = why

    def _auth_loop(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            channel, generation = job
            with self._lock:
                entry = self._channels.get(channel)
                socket_id = self._socket_id
                if entry is None or generation != self._generation or socket_id is None:
                    # reconnected or unsubscribed meanwhile; connected() queued a new job
                    continue
            try:
                signed = self._authorize(socket_id, channel)
            # a custom authorizer's bug must not end the thread
            except Exception as exc:  # noqa: BLE001
                if not isinstance(exc, AuthError):
                    LOG.exception('channel authorizer failed')
                self._auth_failed(entry, exc)
                continue
            with self._lock:
                # held while sending: the socket cannot change under the signature
                if generation != self._generation or self._channels.get(channel) is not entry:
                    continue
                entry.state, entry.since = 'subscribing', self._clock()
                self._send([proto.subscribe_frame(channel, signed.auth, signed.channel_data)])
            self._timeline.record('auth', channel=channel, outcome='ok')

    def _auth_failed(self, entry: _Channel, exc: Exception) -> None:
        slow = isinstance(exc, (AuthRejected, AuthConfigError))
        with self._lock:
            delay = entry.slow.next_delay() if slow else entry.quick.next_delay()
            self._wait(entry, delay, str(exc))
        self._report_error(f'auth {entry.name}: {exc}')
        (LOG.error if slow else LOG.warning)('channel auth failed for %s: %s; retry in %.0f s',
                                             entry.name, exc, delay)
        self._timeline.record('auth', channel=entry.name, outcome=type(exc).__name__,
                              status=getattr(exc, 'status', None), retry_in_s=round(delay, 1))

    def summary(self) -> dict[str, Any]:
        """Channel -> {state, last_error} for stats."""
        with self._lock:
            return {
                name: {'state': e.state, 'last_error': e.last_error}
                for name, e in self._channels.items()
            }
