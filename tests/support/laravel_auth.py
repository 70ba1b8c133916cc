"""A channel-auth endpoint answering like Laravel's ``/broadcasting/auth`` (for real-peer tests).

It is not a Pusher server: it only signs subscriptions with the official ``pusher``
SDK (``Pusher.authenticate``), after checking ``Authorization: Bearer <token>`` -
as MyRVM's ``/api/v2/broadcasting/auth`` does.  Any GET/HEAD answers 200 with the ``Date``
header, so the endpoint's base URL also serves as the bridge's server-time source.  Every
request is recorded (:attr:`LaravelAuthServer.requests`) so tests can count attempts and check
which socket id was signed.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pusher

AUTH_PATH = '/api/v2/broadcasting/auth'


@dataclass
class AuthRequest:
    """One request seen by the endpoint."""
    at: float
    socket_id: str
    channel: str
    authorization: str
    status: int


class LaravelAuthServer:
    """``http.server`` on a free loopback port signing private/presence subscriptions."""

    def __init__(self, app_id: str, key: str, secret: str, token: str, *,
                 denied_channels: tuple[str, ...] = (), user_id: str = 'rvm-1') -> None:
        self.client = pusher.Pusher(app_id=app_id, key=key, secret=secret)
        self.token = token
        self.denied_channels = set(denied_channels)
        self.user_id = user_id
        self.requests: list[AuthRequest] = []
        self.delay_s = 0.0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(('127.0.0.1', 0), self._handler())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.api_base = f'http://127.0.0.1:{self.port}'   # also the server-time source (HTTP Date)
        self.url = self.api_base + AUTH_PATH
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={'poll_interval': 0.05}, daemon=True)

    def start(self) -> 'LaravelAuthServer':
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(2)

    close = stop

    def __enter__(self) -> 'LaravelAuthServer':
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def attempts(self, channel: str | None = None) -> list[AuthRequest]:
        with self._lock:
            return [r for r in self.requests if channel is None or r.channel == channel]

    def _answer(self, headers, body: bytes) -> tuple[int, dict]:
        form = {k: v[0] for k, v in parse_qs(body.decode('utf-8', 'replace')).items()}
        socket_id, channel = form.get('socket_id', ''), form.get('channel_name', '')
        authorization = headers.get('Authorization', '')
        if authorization != f'Bearer {self.token}':
            status, answer = 401, {'message': 'Unauthenticated.'}
        elif channel in self.denied_channels:
            status, answer = 403, {'message': 'This action is unauthorized.'}
        elif not socket_id or not channel:
            status, answer = 422, {'message': 'socket_id and channel_name are required'}
        else:
            custom = (
                {'user_id': self.user_id, 'user_info': {'kind': 'rvm'}}
                if channel.startswith('presence-')
                else None
            )
            status, answer = 200, self.client.authenticate(channel, socket_id, custom)
        with self._lock:
            self.requests.append(
                AuthRequest(time.monotonic(), socket_id, channel, authorization, status))
        return status, answer

    def _handler(self):
        outer = self

        class Handler(BaseHTTPRequestHandler):

            # any path answers, with the Date header the bridge reads
            def do_HEAD(self):  # noqa: N802
                self.send_response(200)
                self.send_header('Content-Length', '0')
                self.end_headers()

            do_GET = do_HEAD

            def do_POST(self):  # noqa: N802 - http.server API
                if self.path.split('?')[0] != AUTH_PATH:
                    self.send_error(404)
                    return
                body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
                if outer.delay_s:
                    time.sleep(outer.delay_s)
                status, answer = outer._answer(self.headers, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):   # keep test output quiet
                pass

        return Handler
