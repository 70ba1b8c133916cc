"""Pusher protocol v7 without I/O: frames, handshake, errors, ping/pong timers.

In the style of h11 and pusher-js ``protocol.ts``: a :class:`PusherSession` is fed
received text plus ``now`` and returns protocol events; frames it wants sent are
collected (:meth:`PusherSession.take_outgoing`) and :meth:`PusherSession.next_deadline`
tells the caller when to call :meth:`PusherSession.poll` again.  No sockets, no
threads, no clock of its own - so every timer is testable with a fake clock.

Close codes and ``pusher:error`` codes map to a :class:`CloseAction`
(:func:`classify_close`, :func:`classify_error`), per the Pusher protocol:
4000-4099 refused (do not reconnect unchanged), 4100-4199 back off,
4200-4299 reconnect now (after a random 0..``reconnect_spread_s``, see
``connection``); a ``pusher:error`` after the handshake (Reverb's 4200
"invalid message", 4301 "rate limit") is reported, not reconnected.
"""
from __future__ import annotations

import enum
import json
import re
from collections import deque
from dataclasses import dataclass
from typing import Any, Union

PROTOCOL_VERSION = 7
SOCKET_ID_RE = re.compile(r'^\d+\.\d+$')


class ProtocolError(ValueError):
    """A frame that is not valid Pusher protocol."""


class CloseAction(enum.Enum):
    """What the connection does after a close code or a ``pusher:error``."""

    RECONNECT_NOW = 'reconnect_now'
    BACKOFF = 'backoff'
    REFUSED = 'refused'      # configuration/refusal: FAILED, do not reconnect unchanged
    REPORT = 'report'        # record and count; the connection stays up


def classify_close(code: int | None) -> CloseAction:
    """Action for a WebSocket close code (None = connection lost without a close frame)."""
    if code is None:
        return CloseAction.BACKOFF
    if 4000 <= code <= 4099:
        return CloseAction.REFUSED
    if 4200 <= code <= 4299:
        return CloseAction.RECONNECT_NOW
    # 4100-4199, 1002-1004, 1006, 1011, 1000/1001 (server going away) ...
    return CloseAction.BACKOFF


def classify_error(code: int | None, *, connected: bool) -> CloseAction:
    """Action for a ``pusher:error``: during the handshake like a close code, afterwards REPORT."""
    if connected:
        return CloseAction.REPORT
    return classify_close(code)


# -- frames --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Frame:
    """One decoded Pusher message; ``data`` as received (JSON string or object)."""

    event: str
    data: Any = None
    channel: str | None = None
    user_id: str | None = None

    def payload(self) -> Any:
        """``data`` decoded if it is a JSON string; objects (and non-JSON strings) as they are."""
        return decode_data(self.data)


def decode_data(data: Any) -> Any:
    """A frame's ``data``: a JSON string is decoded, anything else returned unchanged."""
    if isinstance(data, str):
        try:
            return json.loads(data)
        except ValueError:
            return data
    return data


def decode_frame(text: str | bytes) -> Frame:
    """Parse one WebSocket text message; :class:`ProtocolError` when it is not a Pusher frame."""
    if isinstance(text, bytes):
        try:
            text = text.decode('utf-8')
        except UnicodeDecodeError as exc:
            raise ProtocolError('frame is not UTF-8') from exc
    try:
        obj = json.loads(text)
    except ValueError as exc:
        raise ProtocolError(f'frame is not JSON: {exc}') from exc
    if not isinstance(obj, dict):
        raise ProtocolError('frame is not a JSON object')
    event = obj.get('event')
    if not isinstance(event, str) or not event:
        raise ProtocolError('frame has no "event" name')
    channel = obj.get('channel')
    if channel is not None and not isinstance(channel, str):
        raise ProtocolError('frame "channel" is not a string')
    user_id = obj.get('user_id')
    return Frame(event=event, data=obj.get('data'), channel=channel,
                 user_id=str(user_id) if user_id is not None else None)


def encode_frame(event: str, data: Any = None, channel: str | None = None) -> str:
    """Serialise a frame; ``data`` as given (object for ``pusher:*``, as-is for client events)."""
    obj: dict[str, Any] = {'event': event, 'data': {} if data is None else data}
    if channel is not None:
        obj['channel'] = channel
    return json.dumps(obj, separators=(',', ':'), ensure_ascii=False, allow_nan=False)


def subscribe_frame(channel: str, auth: str | None = None, channel_data: str | None = None) -> str:
    """``pusher:subscribe``; private/presence: ``auth``/``channel_data`` from the auth endpoint."""
    data: dict[str, Any] = {'channel': channel}
    if auth is not None:
        data['auth'] = auth
    if channel_data is not None:
        data['channel_data'] = channel_data
    return encode_frame('pusher:subscribe', data)


def unsubscribe_frame(channel: str) -> str:
    """``pusher:unsubscribe``."""
    return encode_frame('pusher:unsubscribe', {'channel': channel})


def client_event_frame(channel: str, event: str, data: Any) -> str:
    """A ``client-`` event on a private/presence channel."""
    if not event.startswith('client-'):
        raise ProtocolError(f'client event names start with "client-": {event!r}')
    if not needs_auth(channel):
        raise ProtocolError(f'client events need a private or presence channel: {channel!r}')
    return encode_frame(event, data, channel)


PING = encode_frame('pusher:ping')
PONG = encode_frame('pusher:pong')


def needs_auth(channel: str) -> bool:
    """True for private- and presence- channels (signed subscription)."""
    return channel.startswith(('private-', 'presence-'))


def parse_connection_established(frame: Frame) -> tuple[str, float | None]:
    """``(socket_id, activity_timeout_s)`` of a ``pusher:connection_established``."""
    data = frame.payload()
    if not isinstance(data, dict):
        raise ProtocolError('connection_established data is not an object')
    socket_id = data.get('socket_id')
    if not isinstance(socket_id, str) or not SOCKET_ID_RE.match(socket_id):
        raise ProtocolError(f'connection_established has an invalid socket_id: {socket_id!r}')
    timeout = data.get('activity_timeout')
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        timeout = None
    return socket_id, (float(timeout) if timeout is not None else None)


def parse_error(frame: Frame) -> tuple[int | None, str]:
    """``(code, message)`` of a ``pusher:error`` (tolerant of missing fields)."""
    data = frame.payload()
    if not isinstance(data, dict):
        return None, str(data)
    code = data.get('code')
    try:
        code = int(code) if code is not None else None
    except (TypeError, ValueError):
        code = None
    return code, str(data.get('message', ''))


# -- protocol events -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Established:
    """Handshake done: the server's socket id and the activity timeout now in force."""
    socket_id: str
    activity_timeout_s: float


@dataclass(frozen=True)
class ChannelEvent:
    """An application event on a subscribed channel (``data`` decoded when JSON)."""
    channel: str
    event: str
    data: Any
    user_id: str | None = None


@dataclass(frozen=True)
class SubscriptionSucceeded:
    """The server confirmed a subscription."""
    channel: str
    data: Any = None


@dataclass(frozen=True)
class SubscriptionFailed:
    """``pusher:subscription_error`` (bad signature, over limits ...)."""
    channel: str | None
    status: int | None
    error: str


@dataclass(frozen=True)
class ServerError:
    """``pusher:error`` and the action it calls for."""
    code: int | None
    message: str
    action: CloseAction


@dataclass(frozen=True)
class PongReceived:
    """A ``pusher:pong``; ``latency_s`` from the oldest unanswered ping (None if unsolicited)."""
    latency_s: float | None
    count: int


@dataclass(frozen=True)
class Malformed:
    """A received message that is not valid protocol (ignored, counted)."""
    reason: str
    excerpt: str


@dataclass(frozen=True)
class TimedOut:
    """``handshake`` (no connection_established in time) or ``pong`` (no answer to a ping)."""
    kind: str


ProtocolEvent = Union[
    Established, ChannelEvent, SubscriptionSucceeded, SubscriptionFailed, ServerError,
    PongReceived, Malformed, TimedOut]


class PusherSession:
    """Protocol state of one WebSocket: handshake, activity/ping/pong timers, frame parsing."""

    def __init__(self, *, activity_timeout_s: float = 120.0, pong_timeout_s: float = 30.0,
                 handshake_timeout_s: float = 10.0) -> None:
        self.own_activity_timeout_s = float(activity_timeout_s)
        self.activity_timeout_s = float(activity_timeout_s)
        self.pong_timeout_s = float(pong_timeout_s)
        self.handshake_timeout_s = float(handshake_timeout_s)
        self.socket_id: str | None = None
        self.pings_sent = 0
        self.pongs_received = 0
        self.malformed = 0
        self._outgoing: list[str] = []
        self._ping_times: deque[float] = deque(maxlen=64)
        self._handshake_deadline: float | None = None
        self._activity_deadline: float | None = None
        self._pong_deadline: float | None = None
        self._closed = False

    @property
    def connected(self) -> bool:
        """True after ``pusher:connection_established``."""
        return self.socket_id is not None

    def opened(self, now: float) -> None:
        """The WebSocket opened: the handshake timer starts."""
        self._handshake_deadline = now + self.handshake_timeout_s

    def take_outgoing(self) -> list[str]:
        """Frames to send now (in order), emptied by this call."""
        out, self._outgoing = self._outgoing, []
        return out

    def next_deadline(self) -> float | None:
        """When :meth:`poll` must be called next (None: no timer running)."""
        if self._closed:
            return None
        times = [
            t
            for t in (self._handshake_deadline, self._activity_deadline, self._pong_deadline)
            if t is not None
        ]
        return min(times) if times else None

    def ping(self, now: float) -> int:
        """Queue a ``pusher:ping``; returns its number (its pong sets ``pongs_received`` to it)."""
        self._outgoing.append(PING)
        self.pings_sent += 1
        self._ping_times.append(now)
        if self._pong_deadline is None:
            self._pong_deadline = now + self.pong_timeout_s
        return self.pings_sent

    def poll(self, now: float) -> list[ProtocolEvent]:
        """Run the timers: queue an activity ping, or report a handshake/pong timeout."""
        if self._closed:
            return []
        if self._handshake_deadline is not None and now >= self._handshake_deadline:
            self._closed = True
            return [TimedOut('handshake')]
        if self._pong_deadline is not None and now >= self._pong_deadline:
            self._closed = True
            return [TimedOut('pong')]
        if self._activity_deadline is not None and now >= self._activity_deadline:
            self._activity_deadline = None
            self.ping(now)
        return []

    def _activity(self, now: float) -> None:
        """Any message proves the link alive: restart the activity timer, stop the pong timer."""
        if self.connected:
            self._activity_deadline = now + self.activity_timeout_s
            self._pong_deadline = None

    def receive(self, text: str | bytes, now: float) -> list[ProtocolEvent]:
        """Feed one received WebSocket message; returns the protocol events it carries."""
        try:
            frame = decode_frame(text)
        except ProtocolError as exc:
            self.malformed += 1
            self._activity(now)
            return [Malformed(str(exc), _excerpt(text))]
        self._activity(now)
        event = frame.event
        if event == 'pusher:connection_established':
            try:
                socket_id, server_timeout = parse_connection_established(frame)
            except ProtocolError as exc:
                self.malformed += 1
                return [Malformed(str(exc), _excerpt(text))]
            self.socket_id = socket_id
            if server_timeout is not None:
                self.activity_timeout_s = min(self.own_activity_timeout_s, server_timeout)
            self._handshake_deadline = None
            self._activity(now)
            return [Established(socket_id, self.activity_timeout_s)]
        if event == 'pusher:ping':
            self._outgoing.append(PONG)
            return []
        if event == 'pusher:pong':
            self.pongs_received += 1
            latency = now - self._ping_times.popleft() if self._ping_times else None
            return [PongReceived(latency, self.pongs_received)]
        if event == 'pusher:error':
            code, message = parse_error(frame)
            return [ServerError(code, message, classify_error(code, connected=self.connected))]
        if event == 'pusher_internal:subscription_succeeded':
            if not frame.channel:
                self.malformed += 1
                return [Malformed('subscription_succeeded without a channel', _excerpt(text))]
            return [SubscriptionSucceeded(frame.channel, frame.payload())]
        if event == 'pusher:subscription_error':
            data = frame.payload()
            status = data.get('status') if isinstance(data, dict) else None
            error = (
                (data.get('error') or data.get('type') or '')
                if isinstance(data, dict)
                else str(data)
            )
            return [
                SubscriptionFailed(
                    frame.channel, status if isinstance(status, int) else None, str(error))
            ]
        if frame.channel is None:
            if event.startswith(('pusher:', 'pusher_internal:')):
                return []   # other protocol messages (e.g. signin_success) are not ours to handle
            self.malformed += 1
            return [Malformed(f'event {event!r} without a channel', _excerpt(text))]
        return [ChannelEvent(frame.channel, event, frame.payload(), frame.user_id)]


def _excerpt(text: str | bytes, limit: int = 120) -> str:
    if isinstance(text, bytes):
        text = text.decode('utf-8', 'replace')
    return text if len(text) <= limit else text[:limit] + '...'
