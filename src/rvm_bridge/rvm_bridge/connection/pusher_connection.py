"""PusherConnection: a self-healing Pusher protocol v7 client (Laravel Reverb, Soketi, Pusher).

One reader thread owns the socket: it connects, feeds received text to the sans-I/O
:class:`~rvm_bridge.protocol.pusher_protocol.PusherSession`, runs its timers (activity ping, pong
timeout, handshake timeout) and reconnects by close-code class with capped, jittered backoff (from
the minimum again only once a connection has lasted ``healthy_after_s``: a server that accepts and
drops at once is not hammered).  A second thread signs private/presence subscriptions at the auth
endpoint (HTTP, with timeouts), so auth never blocks ping handling.  After every reconnect each
channel is subscribed again and re-authorized with the NEW socket id.  Callers on other threads may
``subscribe``, ``send_client_event`` and ``confirm`` (a ping/pong round trip: the server has read
everything written before it).

Callbacks: ``on_event(channel, event, data)`` for application events (``data`` decoded when it is
a JSON string) and ``on_state_change(previous, current, reason)`` with
:class:`~rvm_bridge.connection.state.ConnectionState` values.  Both run on the reader thread and
must not block.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

from rvm_bridge.protocol import pusher_protocol as proto
from rvm_bridge.connection.channel_auth import ChannelAuth, ChannelAuthorizer, token_provider
from rvm_bridge.connection.settings import ConnectionSettings
from rvm_bridge.connection.stats import ConnectionStats
from rvm_bridge.connection.state import ConnectionState, ConnectionStateMachine, Timeline
from rvm_bridge.protocol.pusher_protocol import CloseAction
from rvm_bridge.connection.reconnect_rules import Next, SocketEnd, next_step
from rvm_bridge.connection.reconnect_wait import CLOCK_SLICE_S, ReconnectWait
from rvm_bridge.connection.subscriptions import ChannelSubscriptions
from rvm_bridge.thread_supervisor import ThreadSupervisor
from rvm_bridge.transports.websocket_client import (
    TransportConfigError, TransportUnavailable, websocket_transport)
from rvm_common.backoff import Backoff

__all__ = ['PusherConnection', 'ConnectionSettings', 'ConnectionState']

LOG = logging.getLogger(__name__)
S = ConnectionState

EventCallback = Callable[[str, str, Any], None]
StateCallback = Callable[[ConnectionState, ConnectionState, str], None]
Authorize = Callable[[str, str], ChannelAuth]


class PusherConnection:
    """Pusher v7 client connection with reconnects, re-authorization and ping/pong confirmation."""

    def __init__(self, config: Any, on_event: EventCallback | None = None,
                 on_state_change: StateCallback | None = None, *, auth: Authorize | None = None,
                 transport_factory: Callable[[], Any] | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 supervisor: ThreadSupervisor | None = None) -> None:
        self.settings = (config if isinstance(config, ConnectionSettings)
                         else ConnectionSettings.from_config(config))
        self.settings.validate()
        self._on_event = on_event or (lambda channel, event, data: None)
        self._clock = clock
        self.timeline = Timeline(self.settings.timeline_size)
        self._machine = ConnectionStateMachine(self.timeline)
        if on_state_change is not None:
            self._machine.add_listener(on_state_change)
        self._authorizer: ChannelAuthorizer | None = None
        if auth is None:
            self._authorizer = ChannelAuthorizer(
                self.settings.auth_url,
                token_provider(self.settings.auth_token_env, self.settings.auth_token_file),
                timeout_s=self.settings.http_timeout_s, ca_bundle=self.settings.ca_bundle)
            auth = self._authorizer.authorize
        self._transport_factory = transport_factory or (lambda: websocket_transport(self.settings))
        self._lock = threading.RLock()
        self._pong_cond = threading.Condition(self._lock)
        self._stop = threading.Event()
        self.supervisor = supervisor or ThreadSupervisor()
        self._wait = ReconnectWait(clock, self._stop)
        self._threads: list[threading.Thread] = []
        self._transport: Any = None
        self._session: proto.PusherSession | None = None
        self._generation = 0
        self._subs = ChannelSubscriptions(
            self.settings, auth, self._send, lock=self._lock, timeline=self.timeline, clock=clock,
            report_error=self._report_error, supervisor=self.supervisor)
        self._backoff = Backoff(self.settings.reconnect_min_s, self.settings.reconnect_max_s,
                                healthy_after_s=self.settings.healthy_after_s)
        self._stats = ConnectionStats(self.timeline)

    # -- public API ------------------------------------------------------------------------------
    @property
    def state(self) -> ConnectionState:
        """The current :class:`ConnectionState`."""
        return self._machine.state

    def state_name(self) -> str:
        """The current state as a lower-case string (``'connected'`` ...)."""
        return self._machine.state.value

    @property
    def socket_id(self) -> str | None:
        """The server's socket id while connected."""
        session = self._session
        return session.socket_id if session is not None else None

    @property
    def url(self) -> str:
        """The WebSocket URL (no secrets in it: the app key is public)."""
        return self.settings.ws_url()

    def add_state_listener(self, listener: StateCallback) -> None:
        """Also call ``listener(previous, current, reason)`` on every state change."""
        self._machine.add_listener(listener)

    def start(self) -> None:
        """Start the reader and auth threads; returns at once (it connects in the background)."""
        if self._threads:
            return
        self._subs.start()
        self._threads.append(self.supervisor.start('rvm-pusher-socket', self._reader, self._stop))

    def stop(self, timeout: float = 5.0) -> None:
        """Close the socket and end the threads; state DISCONNECTED."""
        self._stop.set()
        self._wait.wake()
        for thread in self._threads:
            thread.join(min(timeout, 1.0))   # the reader notices within 0.25 s and closes cleanly
            if thread.is_alive():                       # blocked in a send: unblock it
                transport = self._transport
                if transport is not None and hasattr(transport, 'abort'):
                    transport.abort()
                thread.join(timeout)
        self._threads = []
        self._subs.stop(timeout)
        with self._pong_cond:
            self._pong_cond.notify_all()
        self._set_state(S.DISCONNECTED, 'stopped')
        if self._authorizer is not None:
            self._authorizer.close()

    def subscribe(self, channel: str) -> None:
        """Keep ``channel`` subscribed (now if connected, and after every reconnect)."""
        self._subs.add(channel)

    def unsubscribe(self, channel: str) -> None:
        """Stop receiving ``channel``."""
        if self._subs.remove(channel) and self._machine.state is S.CONNECTED:
            self._send([proto.unsubscribe_frame(channel)])

    def subscriptions(self) -> dict[str, str]:
        """Channel -> state (pending, authorizing, auth_wait, subscribing, subscribed)."""
        return self._subs.states()

    def send_client_event(self, channel: str, event: str, data: Any) -> bool:
        """Write a ``client-`` event on a subscribed private/presence channel; False if not now."""
        if self._machine.state is not S.CONNECTED or not self._subs.is_subscribed(channel):
            return False
        try:
            frame = proto.client_event_frame(channel, event, data)
        except (proto.ProtocolError, TypeError, ValueError) as exc:
            LOG.error('client event %s on %s not sent: %s', event, channel, exc)
            return False
        if self._send([frame]):
            self._stats.count('client_events')
            return True
        return False

    def confirm(self, timeout: float) -> bool:
        """Ping and wait for its pong: True when the server has read everything written before."""
        with self._lock:
            session = self._session
            if self._machine.state is not S.CONNECTED or session is None:
                return False
            generation = self._generation
            number = session.ping(self._clock())
            frames = session.take_outgoing()
        if not self._send(frames):
            return False
        deadline = self._clock() + timeout
        with self._pong_cond:
            while True:
                if self._generation != generation or self._stop.is_set():
                    return False
                if session.pongs_received >= number:
                    return True
                remaining = deadline - self._clock()
                if remaining <= 0:
                    return False
                self._pong_cond.wait(min(remaining, CLOCK_SLICE_S))

    def server_answers(self) -> ConnectionStats:
        """Server errors and close codes, to match them to what was sent (``mark``/``since``)."""
        return self._stats

    def reconnect(self, reason: str = 'requested') -> None:
        """Drop the current socket (or leave FAILED) and connect again now."""
        self.timeline.record('retry', reason=reason, delay_s=0.0)
        self._backoff.reset()
        self._wait.request()
        transport = self._transport
        if transport is not None and hasattr(transport, 'abort'):
            transport.abort()

    def stats(self) -> dict[str, Any]:
        """JSON-able counters, state and recent timeline (for bridge/status and /diagnostics)."""
        with self._lock:
            session = self._session
            return {
                'state': self._machine.state.value,
                'url': self.url,
                'socket_id': session.socket_id if session else None,
                'activity_timeout_s': (
                    session.activity_timeout_s if session and session.connected else None),
                **self._stats.snapshot(session),
                'subscriptions': self._subs.states(),
                'auth': dict(self._authorizer.counters) if self._authorizer else None,
                'timeline': self.timeline.entries(last=self.settings.timeline_in_stats),
            }

    # -- reader thread ---------------------------------------------------------------------------
    def _set_state(self, state: ConnectionState, reason: str = '') -> None:
        try:
            self._machine.set(state, reason)
        except Exception:  # noqa: BLE001 - InvalidTransition is a bug: log it, keep running
            LOG.exception('state change to %s failed', state.value)

    def _reader(self) -> None:   # supervised: an exception drops the socket, then restarts
        try:
            self._run()
        except Exception:
            transport = self._transport
            if transport is not None:
                self._drop_socket(transport)
            self._set_state(S.UNAVAILABLE, 'socket thread failed; restarting')
            raise

    def _run(self) -> None:
        """Connect, serve, and carry out :func:`~.reconnect_rules.next_step`."""
        reason = 'start'
        while not self._stop.is_set():
            self._set_state(S.CONNECTING, reason)
            transport = self._transport_factory()
            code = None
            try:
                transport.connect(self.url)
            except TransportConfigError as exc:
                action, why = CloseAction.REFUSED, f'configuration: {exc}'
            except (TransportUnavailable, OSError) as exc:
                action, why = CloseAction.BACKOFF, str(exc)
            else:
                action, why, code = self._serve(transport)
                self._drop_socket(transport)
                if self._stop.is_set():
                    break
                self._stats.closed(code)
                self.timeline.record('close', code=code, reason=why, action=action.value)
            reason = self._carry_out(next_step(SocketEnd(
                action, requested=self._wait.requested,
                fresh=self._backoff.attempts == 0 or self._backoff.healthy(self._clock()))),
                why, code)
        self._set_state(S.DISCONNECTED, 'stopped')

    def _carry_out(self, step: Next, why: str, code: int | None) -> str:
        """Do ``step`` (state, timeline, wait); returns the reason of the next connect."""
        if step is Next.CONNECT_AGAIN:
            self._wait.requested = False
            return 'reconnect requested'
        if step is Next.RECONNECT_SOON:
            self._backoff.reset()
            self._backoff.attempts = 1     # a second immediate failure backs off
            # a server restart's 4200: a random spread, no fleet-wide wave
            delay = (self._backoff.spread(self.settings.reconnect_spread_s)
                     if code is not None else 0.0)
            state, reason = S.CONNECTING, f'reconnect now: {why}'  # not `connected` meanwhile
            LOG.info('Pusher connection closed (%s); reconnecting in %.2f s', why, delay)
        elif step is Next.REFUSED:
            delay, state, reason = self.settings.refused_retry_s, S.FAILED, 'retry after refusal'
            LOG.error('Pusher connection refused (%s); not reconnecting unchanged', why)
        else:       # back to the minimum only after a healthy run
            delay, state, reason = self._backoff.next_delay(self._clock()), S.UNAVAILABLE, 'retry'
            LOG.warning('Pusher connection unavailable (%s); retrying in %.1f s', why, delay)
        if step is not Next.RECONNECT_SOON:
            self._stats.last_error = why
        self._set_state(state, why if state is not S.CONNECTING else f'reconnecting: {why}')
        refused_forever = step is Next.REFUSED and delay <= 0
        self.timeline.record('retry', reason=why,
                             delay_s=None if refused_forever else round(delay, 3))
        self._wait.sleep(float('inf') if refused_forever else delay)
        return reason

    def _serve(self, transport: Any) -> tuple[CloseAction, str, int | None]:
        """Run one socket until it closes; returns (action, reason, close code)."""
        from rvm_bridge.transports.websocket_client import TransportClosed
        s = self.settings
        session = proto.PusherSession(
            activity_timeout_s=s.activity_timeout_s, pong_timeout_s=s.pong_timeout_s,
            handshake_timeout_s=s.handshake_timeout_s)
        with self._lock:
            self._generation += 1
            self._transport = transport
            self._session = session
            session.opened(self._clock())
        while not self._stop.is_set():
            now = self._clock()
            self._subs.poll(now)
            deadline = session.next_deadline()
            wait = 0.25 if deadline is None else min(0.25, max(0.0, deadline - now))
            try:
                text = transport.recv(wait)
            except TransportClosed as exc:
                return proto.classify_close(exc.code), str(exc), exc.code
            with self._lock:
                events = []
                if text is not None:
                    self._stats.count('frames_in')
                    events = session.receive(text, self._clock())
                events += session.poll(self._clock())
                frames = session.take_outgoing()
            if frames and not self._send(frames):
                return CloseAction.BACKOFF, 'send failed', None
            for event in events:
                outcome = self._handle(event, session)
                if outcome is not None:
                    return outcome
        return CloseAction.BACKOFF, 'stopped', None

    def _handle(self, event: Any,
                session: proto.PusherSession) -> tuple[CloseAction, str, int | None] | None:
        if isinstance(event, proto.ChannelEvent):
            if not event.event.startswith(('pusher:', 'pusher_internal:')):
                try:
                    self._on_event(event.channel, event.event, event.data)
                except Exception:  # noqa: BLE001 - a handler must not break the socket thread
                    self._stats.count('callback_errors')
                    LOG.exception(
                        'on_event handler failed for %s on %s', event.event, event.channel)
        elif isinstance(event, proto.PongReceived):
            self._stats.pong(event, self._clock())
            with self._pong_cond:
                self._pong_cond.notify_all()
        elif isinstance(event, proto.Established):
            self._established(event)
        elif isinstance(event, proto.SubscriptionSucceeded):
            self._subs.succeeded(event.channel)
        elif isinstance(event, proto.SubscriptionFailed):
            self._subs.failed(event)
        elif isinstance(event, proto.ServerError):
            description = self._stats.server_error(event)
            if event.action is not CloseAction.REPORT:
                return event.action, description, event.code
            LOG.warning('server reported %s', description)
        elif isinstance(event, proto.Malformed):
            self._stats.malformed(event)
        elif isinstance(event, proto.TimedOut):
            if event.kind == 'pong':
                self._stats.count('pong_timeouts')
                return CloseAction.RECONNECT_NOW, 'no pong within the pong timeout', None
            return (CloseAction.BACKOFF, 'no connection_established within the handshake timeout',
                    None)
        return None

    def _established(self, event: proto.Established) -> None:
        self._stats.established()
        self._backoff.succeeded(self._clock())   # the delays reset once connected healthy_after_s
        LOG.info('Pusher connected, socket_id %s, activity timeout %.0f s', event.socket_id,
                 event.activity_timeout_s)
        self._set_state(S.CONNECTED, f'socket_id {event.socket_id}')
        with self._lock:
            self._subs.connected(self._generation, event.socket_id)

    def _drop_socket(self, transport: Any) -> None:
        try:
            transport.close()
        except Exception:  # noqa: BLE001
            pass
        with self._pong_cond:
            self._stats.socket_closed(self._session)
            self._transport = None
            self._session = None
            self._generation += 1
            self._subs.disconnected()
            self._pong_cond.notify_all()

    def _send(self, frames: list[str]) -> bool:
        transport = self._transport
        if transport is None:
            return False
        try:
            for frame in frames:
                transport.send(frame)
                self._stats.count('frames_out')
        except Exception as exc:  # noqa: BLE001 - TransportClosed or anything the socket raises
            LOG.warning('send failed: %s', exc)
            if hasattr(transport, 'abort'):
                transport.abort()
            return False
        return True

    def _report_error(self, message: str) -> None:
        self._stats.last_error = message
