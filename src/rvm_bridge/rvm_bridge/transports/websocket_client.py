"""The WebSocket transport of the Pusher connection (the only module importing websocket-client).

It only moves text: :meth:`WebSocketTransport.connect`, :meth:`~WebSocketTransport.send`,
:meth:`~WebSocketTransport.recv` with a timeout (``None`` = nothing arrived) and close.
A close frame or a dead socket raises :class:`TransportClosed` carrying the close code
(``None`` when the socket died without one).  Connection failures raise
:class:`TransportUnavailable` (retry with backoff) or :class:`TransportConfigError`
(an unusable URL: no point retrying unchanged).  TLS verification is always on;
``ca_bundle`` replaces the system CA store.
"""
from __future__ import annotations

import select
import socket
import ssl
import struct
import threading
from typing import Protocol

import websocket


class TransportUnavailable(ConnectionError):
    """The server could not be reached or the WebSocket handshake failed."""


class TransportConfigError(ValueError):
    """The URL or TLS settings cannot work (unsupported scheme, unreadable CA bundle)."""


class TransportClosed(ConnectionError):
    """The WebSocket is closed; ``code`` is the close code (None: lost without a close frame)."""

    def __init__(self, code: int | None, reason: str = '') -> None:
        super().__init__(
            'closed'
            f' ({code if code is not None else "no close code"}){": " + reason if reason else ""}'
        )
        self.code = code
        self.reason = reason


class Transport(Protocol):
    """What :class:`~rvm_bridge.connection.pusher_connection.PusherConnection` needs."""

    def connect(self, url: str) -> None: ...

    def send(self, text: str) -> None: ...

    def recv(self, timeout: float) -> str | None: ...

    def close(self, code: int = 1000) -> None: ...


class WebSocketTransport:
    """A websocket-client ``WebSocket`` with poll-based receive timeouts."""

    def __init__(self, *, origin: str = '', ca_bundle: str = '', connect_timeout_s: float = 10.0,
                 io_timeout_s: float = 30.0, max_message_bytes: int = 1 << 20) -> None:
        self.origin = origin
        self.ca_bundle = ca_bundle
        self.connect_timeout_s = connect_timeout_s
        self.io_timeout_s = io_timeout_s
        self.max_message_bytes = max_message_bytes
        self._ws: websocket.WebSocket | None = None
        self._send_lock = threading.Lock()

    def connect(self, url: str) -> None:
        """Open the WebSocket (TCP, TLS, HTTP upgrade) within ``connect_timeout_s``."""
        if not url.startswith(('ws://', 'wss://')):
            raise TransportConfigError(
                f'unsupported WebSocket URL scheme: {url.split(":", 1)[0]!r}')
        sslopt: dict = {'cert_reqs': ssl.CERT_REQUIRED, 'check_hostname': True}
        if self.ca_bundle:
            sslopt['ca_certs'] = self.ca_bundle
        ws = websocket.WebSocket(
            sslopt=sslopt, enable_multithread=True, skip_utf8_validation=False)
        kwargs = {'timeout': self.connect_timeout_s, 'suppress_origin': not self.origin}
        if self.origin:
            kwargs['origin'] = self.origin
        try:
            ws.connect(url, **kwargs)
        except ssl.SSLCertVerificationError as exc:
            raise TransportUnavailable(
                f'TLS certificate verification failed: {exc.verify_message}') from exc
        except (FileNotFoundError, IsADirectoryError) as exc:
            raise TransportConfigError(f'CA bundle {self.ca_bundle!r} cannot be read') from exc
        except websocket.WebSocketBadStatusException as exc:
            raise TransportUnavailable(
                f'WebSocket handshake refused: HTTP {exc.status_code}') from exc
        except (websocket.WebSocketException, OSError, ssl.SSLError) as exc:
            raise TransportUnavailable(f'cannot connect: {type(exc).__name__}: {exc}') from exc
        ws.settimeout(self.io_timeout_s)
        self._ws = ws

    def send(self, text: str) -> None:
        """Send one text message; :class:`TransportClosed` when the socket is gone."""
        ws = self._ws
        if ws is None:
            raise TransportClosed(None, 'not connected')
        try:
            with self._send_lock:
                ws.send(text)
        except (websocket.WebSocketException, OSError) as exc:
            raise TransportClosed(None, f'send failed: {type(exc).__name__}') from exc

    def recv(self, timeout: float) -> str | None:
        """One text message, or None when nothing arrived within ``timeout`` seconds."""
        ws = self._ws
        if ws is None or ws.sock is None:
            raise TransportClosed(None, 'not connected')
        sock = ws.sock
        pending = isinstance(sock, ssl.SSLSocket) and sock.pending() > 0
        if not pending:
            try:
                poller = select.poll()             # poll, not select: no FD_SETSIZE limit
                poller.register(sock, select.POLLIN | select.POLLPRI)
                ready = poller.poll(max(0.0, timeout) * 1000.0)
            except (OSError, ValueError) as exc:
                raise TransportClosed(None, 'socket closed') from exc
            if not ready:
                return None
        try:
            opcode, frame = ws.recv_data_frame(control_frame=False)
        except websocket.WebSocketTimeoutException as exc:
            raise TransportClosed(None, 'stalled in the middle of a message') from exc
        except (websocket.WebSocketException, OSError, ValueError) as exc:
            raise TransportClosed(None, f'{type(exc).__name__}: {exc}') from exc
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            code, reason = _close_details(frame.data)
            raise TransportClosed(code, reason)
        data = frame.data if frame is not None else b''
        if len(data) > self.max_message_bytes:
            return data[:200].decode('utf-8', 'replace')   # treated as malformed by the protocol
        if isinstance(data, bytes):
            return data.decode('utf-8', 'replace')
        return data

    def close(self, code: int = 1000) -> None:
        """Send a close frame (best effort) and close the socket."""
        ws, self._ws = self._ws, None
        if ws is None:
            return
        try:
            ws.close(status=code, timeout=1.0)
        except Exception:  # noqa: BLE001 - closing a broken socket must not raise
            pass
        try:
            if ws.sock is not None:
                ws.sock.close()
        except OSError:
            pass

    def abort(self) -> None:
        """Close the socket without a handshake (used from other threads to unblock the reader)."""
        ws = self._ws
        if ws is not None and ws.sock is not None:
            try:
                ws.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _close_details(data: bytes | str | None) -> tuple[int | None, str]:
    if isinstance(data, str):
        data = data.encode('utf-8', 'replace')
    if not data or len(data) < 2:
        return None, ''
    code = struct.unpack('!H', data[:2])[0]
    return code, data[2:].decode('utf-8', 'replace')


def websocket_transport(settings) -> 'WebSocketTransport':
    """A :class:`WebSocketTransport` for a connection's settings (origin, CA, timeouts)."""
    return WebSocketTransport(
        origin=settings.origin, ca_bundle=settings.ca_bundle,
        connect_timeout_s=settings.connect_timeout_s, io_timeout_s=settings.pong_timeout_s)
