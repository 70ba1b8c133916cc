"""The `--dashboard` demo: a local Soketi, the static dashboard and the Laravel-side endpoints.

:class:`DemoStack` plays the MyRVM server on one machine so a new user sees items appear in
a browser: it starts Soketi (in place of Laravel Reverb), serves ``dashboard/`` over HTTP and
answers the two calls Laravel would answer:

* ``POST /api/v2/broadcasting/auth`` - private/presence channel authorization, like
  ``Broadcast::routes(['prefix' => 'api/v2', 'middleware' => ['auth:sanctum']])``: a Bearer
  token is required (401 otherwise), only ``private-rvm.{rvm_id}`` of the demo machine is
  allowed (403 otherwise), the signature is made with the official ``pusher`` SDK;
* ``POST /demo/manual-sync`` - what an operator's "sync now" does on the server: trigger
  ``manual-sync`` on ``timezone-updates`` through the Pusher HTTP API (Bearer token required);
* ``GET /api/v2/rvm/{rvm_id}/state`` - the catch-up read of an operator (Bearer token): last
  status, health, timezone and the last 50 verdicts with their crops, from
  :class:`~rvm_bringup.demo_state.ServerState`, which the runner feeds with what it hands the
  bridge (``stack.state.record``), as Laravel stores what it receives.

``DemoStack(root).start()`` returns :class:`DemoEndpoints` with the dashboard URL and the
settings the bridge must use; ``stop()`` ends everything (also on SIGTERM/SIGHUP when no other
handler is installed; Soketi ends with this process even when it is killed, see ``soketi``).
Loopback by default; ``host``/``http_port``/``soketi_port`` fix the addresses (e.g. for an SSH
tunnel).  :meth:`DemoStack.wait_for_viewer` waits until a dashboard has subscribed.
"""
from __future__ import annotations

import argparse
import json
import logging
import mimetypes
import os
import re
import secrets
import signal
import socket
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from rvm_bridge.routing.channel_map import FANOUT_MAP
from rvm_common.events import CHANNEL_STATUS, CHANNEL_TIMEZONE, EVENT_MANUAL_SYNC

from .demo_state import ServerState
from .soketi import SoketiServer

LOG = logging.getLogger(__name__)
AUTH_PATH = '/api/v2/broadcasting/auth'
MANUAL_SYNC_PATH = '/demo/manual-sync'
STATE_PATH_RE = re.compile(r'/api/v2/rvm/([^/]+)/state')
PUSHER_JS = Path('node_modules') / 'pusher-js' / 'dist' / 'web' / 'pusher.min.js'
MAX_BODY = 16 * 1024
MANUAL_SYNC_FIELDS = ('timezone', 'requested_by', 'request_id')
WILDCARD_HOSTS = ('', '0.0.0.0', '::')
#: a public channel every dashboard subscribes to and the bridge never does: "a viewer is here"
VIEWER_CHANNEL = CHANNEL_STATUS
EXIT_SIGNALS = tuple(getattr(signal, n) for n in ('SIGTERM', 'SIGHUP') if hasattr(signal, n))


class DemoStackError(RuntimeError):
    """The demo stack cannot start (missing dashboard, pusher-js or Soketi)."""


@dataclass(frozen=True)
class DemoEndpoints:
    """Where the running demo lives, and what the bridge must be configured with."""

    # open in a browser: settings in the query, token included
    dashboard_url: str = field(repr=False)
    http_base: str              # http://127.0.0.1:<port> serving dashboard/ and the endpoints
    auth_endpoint: str          # Laravel-like channel authorization (Bearer token)
    manual_sync_url: str        # POST here to trigger manual-sync through the Pusher HTTP API
    host: str                   # Soketi (plays Reverb)
    port: int
    app_id: str
    key: str
    secret: str = field(repr=False)
    token: str = field(repr=False)   # Bearer token accepted by the demo endpoints
    rvm_id: str = 'rvm-demo'

    def bridge_settings(self) -> dict[str, Any]:
        """BridgeConfig fields for this stack (plain HTTP/WS on loopback), without secrets."""
        return {
            'host': self.host, 'port': self.port, 'tls': False, 'app_id': self.app_id,
            'app_key': self.key, 'api_base': self.http_base, 'auth_endpoint': self.auth_endpoint,
            'rvm_id': self.rvm_id}

    def secret_env(self, secret_env: str = 'RVM_BRIDGE_APP_SECRET',
                   token_env: str = 'RVM_BRIDGE_TOKEN') -> dict[str, str]:
        """The environment variables the bridge reads its app secret and Bearer token from."""
        return {secret_env: self.secret, token_env: self.token}

    def apply_to_args(self, args: argparse.Namespace, *, secret_env: str = 'RVM_BRIDGE_APP_SECRET',
                      token_env: str = 'RVM_BRIDGE_TOKEN') -> argparse.Namespace:
        """A copy of the runner's CLI ``args`` pointing the bridge at this stack.

        Sets bridge_host/bridge_port/app_key/app_id/rvm_id and bridge_tls/api_base/auth_endpoint,
        and puts the app secret and token into this process's environment (``secret_env()``).
        """
        out = argparse.Namespace(**vars(args))
        if getattr(args, 'rvm_id', None) not in (None, self.rvm_id):
            LOG.warning('--rvm-id %s replaced by the demo machine id %s', args.rvm_id,
                        self.rvm_id)
        settings = self.bridge_settings()
        out.bridge_host, out.bridge_port = settings['host'], settings['port']
        out.app_key, out.app_id, out.rvm_id = (
            settings['app_key'], settings['app_id'], settings['rvm_id'])
        out.bridge_tls, out.api_base, out.auth_endpoint = (
            False, settings['api_base'], settings['auth_endpoint'])
        # no MyRVM here to store and acknowledge: HTTP fan-out
        out.channel_map = str(FANOUT_MAP)
        if getattr(args, 'outbox', None) is None:   # never the machine's real outbox (~/.rvm_edge)
            out.outbox = (
                Path(os.environ.get('RVM_ROOT') or '.')
                / 'var'
                / 'demo'
                / 'dashboard_outbox.sqlite3'
            )
        os.environ.update(self.secret_env(secret_env, token_env))
        return out


class DemoStack:
    """Soketi + dashboard + Laravel-like endpoints for a local demo (see the module doc)."""

    def __init__(self, root: Path, http_port: int = 0, *, rvm_id: str = 'rvm-demo',
                 token: str | None = None, host: str = '127.0.0.1',
                 soketi: SoketiServer | None = None, soketi_port: int | None = None) -> None:
        self.root = Path(root)
        self.dashboard_dir = self.root / 'dashboard'
        self.http_port = http_port
        self.host = host
        self.soketi_port = soketi_port or None
        # what a browser (dashboard URL) and the local bridge use to reach a wildcard-bound server
        self.public_host = socket.getfqdn() if host in WILDCARD_HOSTS else host
        self.local_host = '127.0.0.1' if host in WILDCARD_HOSTS else host
        self.rvm_id = rvm_id
        self.token = token or secrets.token_urlsafe(24)
        self.soketi = soketi
        self._own_soketi = soketi is None
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._previous_handlers: dict[int, Any] = {}
        self.endpoints: DemoEndpoints | None = None
        self.state = ServerState()      # the stand-in's database (catch-up endpoint)

    def pusher_js_path(self) -> Path:
        """The vendored pusher-js (dashboard/vendor/), else the one in node_modules."""
        for path in (self.dashboard_dir / 'vendor' / 'pusher.min.js', self.root / PUSHER_JS):
            if path.is_file():
                return path
        raise DemoStackError(
            f'pusher-js not found (dashboard/vendor/pusher.min.js or {PUSHER_JS}): '
            'run scripts/setup'
        )

    def start(self) -> DemoEndpoints:
        """Start Soketi and the HTTP server; idempotent."""
        if self.endpoints is not None:
            return self.endpoints
        if not (self.dashboard_dir / 'index.html').is_file():
            raise DemoStackError(f'no dashboard at {self.dashboard_dir}')
        self.pusher_js_path()
        self._exit_cleanly_on_sigterm()
        if self.soketi is None:
            self.soketi = SoketiServer(
                host=self.host or '0.0.0.0', port=self.soketi_port, client_messages=True,
                root=self.root)
        if not self.soketi.running:
            self.soketi.start()
        try:
            self._server = ThreadingHTTPServer((self.host, self.http_port), _handler_class(self))
        except OSError:
            self.stop()
            raise
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name='demo-http', daemon=True)
        self._thread.start()
        base = f'http://{self.public_host}:{self._server.server_address[1]}'
        soketi_host = self.public_host if self._own_soketi else self.soketi.host
        query = urlencode({'host': soketi_host, 'port': self.soketi.port, 'key': self.soketi.key,
                           'tls': 0, 'auth': base + AUTH_PATH, 'sync': base + MANUAL_SYNC_PATH,
                           'rvm': self.rvm_id, 'token': self.token})
        self.endpoints = DemoEndpoints(
            dashboard_url=f'{base}/?{query}', http_base=base, auth_endpoint=base + AUTH_PATH,
            manual_sync_url=base + MANUAL_SYNC_PATH,
            host=self.local_host if self._own_soketi else self.soketi.host, port=self.soketi.port,
            app_id=self.soketi.app_id, key=self.soketi.key, secret=self.soketi.secret,
            token=self.token, rvm_id=self.rvm_id)
        LOG.info('dashboard at %s/ (Soketi on %s:%d)', base, self.soketi.host, self.soketi.port)
        return self.endpoints

    def stop(self) -> None:
        """Stop the HTTP server and (when this stack started it) Soketi."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        if self.soketi is not None and self._own_soketi:
            self.soketi.stop()
        for signum, previous in self._previous_handlers.items():
            signal.signal(signum, previous)
        self._previous_handlers = {}
        self.endpoints = None

    def _exit_cleanly_on_sigterm(self) -> None:
        """SIGTERM/SIGHUP (a closed terminal) -> SystemExit (while running, main thread, default
        handlers only), so the caller's ``finally: stop()`` runs and no Soketi is left behind."""
        if not self._own_soketi or threading.current_thread() is not threading.main_thread():
            return
        for signum in EXIT_SIGNALS:
            if signal.getsignal(signum) is signal.SIG_DFL:
                self._previous_handlers[signum] = signal.signal(signum, _raise_system_exit)

    def viewers(self) -> int:
        """Connections subscribed to the dashboard's status channel now (Soketi's HTTP API)."""
        info = self.soketi.pusher_client().channel_info(VIEWER_CHANNEL, ['subscription_count'])
        return int(info.get('subscription_count') or (1 if info.get('occupied') else 0))

    def wait_for_viewer(self, keep_waiting=lambda: True, poll_s: float = 0.5,
                        timeout_s: float | None = None) -> bool:
        """Block until a dashboard has subscribed (True), ``keep_waiting()`` turns false or
        ``timeout_s`` passes (False)."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while keep_waiting() and (deadline is None or time.monotonic() < deadline):
            try:
                if self.viewers() > 0:
                    return True
            except Exception as exc:   # Soketi restarting: keep waiting, say why at debug level
                LOG.debug('viewer check failed: %s', exc)
            time.sleep(poll_s)
        return False

    def __enter__(self) -> DemoEndpoints:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- the Laravel side ----------------------------------------------------------------------
    def private_channel(self) -> str:
        """The per-machine private channel the demo token may subscribe to."""
        return f'private-rvm.{self.rvm_id}'

    def token_ok(self, header: str | None) -> bool:
        """True when ``header`` is ``Bearer <the demo token>``."""
        scheme, _, value = (header or '').partition(' ')
        return scheme.lower() == 'bearer' and secrets.compare_digest(value.strip(), self.token)

    def authorize(self, channel: str, socket_id: str) -> tuple[int, dict[str, Any]]:
        """(HTTP status, JSON body) of a channel authorization, as Laravel answers it."""
        if not channel or not socket_id:
            return HTTPStatus.UNPROCESSABLE_ENTITY, {
                'message': 'socket_id and channel_name are required.'}
        if channel != self.private_channel() and channel != f'presence-rvm.{self.rvm_id}':
            return HTTPStatus.FORBIDDEN, {'message': 'This action is unauthorized.'}
        custom = {'user_id': 'demo-operator', 'user_info': {'name': 'Demo operator'}} \
            if channel.startswith('presence-') else None
        try:
            return HTTPStatus.OK, self.soketi.pusher_client().authenticate(
                channel, socket_id, custom)
        except ValueError as exc:      # the SDK rejects malformed socket ids / channel names
            return HTTPStatus.UNPROCESSABLE_ENTITY, {'message': str(exc)}

    def machine_state(self, rvm_id: str) -> tuple[int, dict[str, Any]]:
        """(HTTP status, JSON body) of ``GET /api/v2/rvm/{rvm_id}/state``."""
        snapshot = self.state.snapshot(rvm_id)
        if snapshot is None and rvm_id == self.rvm_id:       # known machine, nothing heard yet
            snapshot = {'rvm_id': rvm_id, 'status': None, 'health': None, 'timezone': None,
                        'verdicts': [], 'sessions': []}
        if snapshot is None:
            return HTTPStatus.NOT_FOUND, {'message': f'No machine {rvm_id}.'}
        return HTTPStatus.OK, snapshot

    def manual_sync(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Trigger ``manual-sync`` on ``timezone-updates`` through the Pusher HTTP API."""
        data = {k: body[k] for k in MANUAL_SYNC_FIELDS if isinstance(body.get(k), str) and body[k]}
        try:
            self.soketi.pusher_client().trigger(CHANNEL_TIMEZONE, EVENT_MANUAL_SYNC, data)
        except Exception as exc:       # server down, refused: tell the caller, keep serving
            LOG.warning('manual-sync trigger failed: %s', exc)
            return HTTPStatus.BAD_GATEWAY, {'message': f'trigger failed: {exc}'}
        return HTTPStatus.ACCEPTED, {
            'channel': CHANNEL_TIMEZONE, 'event': EVENT_MANUAL_SYNC, 'data': data}


def _raise_system_exit(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


def _handler_class(stack: DemoStack) -> type[BaseHTTPRequestHandler]:
    class Handler(_DemoHandler):
        """The demo HTTP handler bound to this stack."""
        demo = stack
    return Handler


class _DemoHandler(BaseHTTPRequestHandler):
    """Static files of dashboard/ plus the two POST endpoints of the demo."""

    demo: DemoStack
    server_version = 'rvm-edge-demo'

    def log_message(self, fmt: str, *args: Any) -> None:
        LOG.debug('%s %s', self.address_string(), fmt % args)

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(body)))
        self.send_header('Cache-Control', 'no-store')
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        self._send(status, json.dumps(payload).encode(), 'application/json')

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        path = urlsplit(self.path).path
        state = STATE_PATH_RE.fullmatch(path)
        if state or path.startswith('/api/'):
            if not self.demo.token_ok(self.headers.get('Authorization')):
                self._json(HTTPStatus.UNAUTHORIZED, {'message': 'Unauthenticated.'})
            elif state is None:
                self._json(HTTPStatus.NOT_FOUND, {'message': 'Not Found'})
            else:
                self._json(*self.demo.machine_state(unquote(state.group(1))))
            return
        if path == '/':
            path = '/index.html'
        if path == '/vendor/pusher.min.js':
            file = self.demo.pusher_js_path()
        else:
            base = self.demo.dashboard_dir.resolve()
            file = (base / path.lstrip('/')).resolve()
            if base not in file.parents or not file.is_file():
                self._json(HTTPStatus.NOT_FOUND, {'message': 'Not Found'})
                return
        ctype = mimetypes.guess_type(file.name)[0] or 'application/octet-stream'
        if ctype.startswith('text/') or ctype.endswith('javascript'):
            ctype += '; charset=utf-8'
        self._send(HTTPStatus.OK, file.read_bytes(), ctype)

    do_HEAD = do_GET

    def _body(self) -> dict[str, Any] | None:
        length = int(self.headers.get('Content-Length') or 0)
        if length > MAX_BODY:
            return None
        raw = self.rfile.read(length).decode('utf-8', errors='replace') if length else ''
        if 'json' in (self.headers.get('Content-Type') or ''):
            try:
                body = json.loads(raw or '{}')
            except ValueError:
                return None
            return body if isinstance(body, dict) else None
        return {k: v[-1] for k, v in parse_qs(raw).items()}

    def do_POST(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        if path not in (AUTH_PATH, MANUAL_SYNC_PATH):
            self._json(HTTPStatus.NOT_FOUND, {'message': 'Not Found'})
            return
        if not self.demo.token_ok(self.headers.get('Authorization')):
            self._json(HTTPStatus.UNAUTHORIZED, {'message': 'Unauthenticated.'})
            return
        body = self._body()
        if body is None:
            self._json(HTTPStatus.BAD_REQUEST, {'message': 'Malformed or oversized body.'})
            return
        if path == AUTH_PATH:
            status, payload = self.demo.authorize(str(body.get('channel_name', '')),
                                                  str(body.get('socket_id', '')))
        else:
            status, payload = self.demo.manual_sync(body)
        self._json(status, payload)
