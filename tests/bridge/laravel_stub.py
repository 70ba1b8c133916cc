"""The MyRVM API side the bridge talks to over HTTP, as Laravel answers it (not a Pusher server).

* ``POST /api/v2/broadcasting/auth`` (form ``socket_id``, ``channel_name``) with
  ``Authorization: Bearer <token>`` -> ``{"auth": "<key>:<hmac>"}`` signed by the
  official ``pusher`` SDK; a wrong token -> 403.
* every request's response carries a ``Date`` header (the server time source).
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pusher


class LaravelStub:
    """A loopback HTTP server; ``url`` is its API base; ``auth_requests`` counts auth calls."""

    def __init__(self, *, app_id: str, key: str, secret: str, token: str) -> None:
        self.client = pusher.Pusher(app_id=app_id, key=key, secret=secret)
        self.token = token
        self.auth_requests = 0
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, code: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                if self.command != 'HEAD':
                    self.wfile.write(data)

            def do_HEAD(self):
                self._reply(200, {})

            do_GET = do_HEAD

            def do_POST(self):
                length = int(self.headers.get('Content-Length') or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if self.path != '/api/v2/broadcasting/auth':
                    return self._reply(404, {'message': 'Not Found'})
                stub.auth_requests += 1
                if self.headers.get('Authorization') != f'Bearer {stub.token}':
                    return self._reply(403, {'message': 'This action is unauthorized.'})
                auth = stub.client.authenticate(channel=form['channel_name'], socket_id=form['socket_id'])
                self._reply(200, auth)

            def log_message(self, *args):
                pass

        self._httpd = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.url = f'http://127.0.0.1:{self._httpd.server_address[1]}'
        self.auth_url = self.url + '/api/v2/broadcasting/auth'
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def start(self) -> 'LaravelStub':
        self._thread.start()
        return self

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
