"""Plays MyRVM's Laravel side for delivery tests: the listener that stores and acknowledges.

Soketi stays the real Pusher server.  This receiver only stands in for the user's Laravel app:

* ``POST /webhook`` - Soketi's ``client_event`` webhook (``SOKETI_DEFAULT_APP_WEBHOOKS``, see
  :meth:`StoredAckReceiver.soketi_env`), what Reverb's ``MessageReceived`` event is to Laravel.
  The body's signature (``X-Pusher-Signature``, HMAC-SHA256 with the app secret) is checked;
  every ``client-detection-completed`` / ``client-session-completed`` on ``private-rvm.{id}`` is
  stored idempotently by ``event_id`` (SQLite ``UNIQUE``), then ``events-stored`` is triggered on
  that channel and new rows are re-broadcast on ``detection-results`` - both through Soketi's HTTP
  API with the official ``pusher`` SDK, as Laravel's broadcaster would;
* ``POST /api/v2/edge/events`` - the ``api`` transport's endpoint (Bearer token), answering
  ``{"stored": [ids]}`` after storing;
* ``POST /api/v2/broadcasting/auth`` - channel authorization (Bearer token), like
  ``Broadcast::routes``; any GET/HEAD answers 200 with a ``Date`` header (server time).

Faults: ``auth_status`` (answer the auth endpoint with this status), ``ack`` (False: store but
never acknowledge).  Every receipt is counted so tests can report duplicates by ``event_id``.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pusher

AUTH_PATH = '/api/v2/broadcasting/auth'
EVENTS_PATH = '/api/v2/edge/events'
WEBHOOK_PATH = '/webhook'
REBROADCAST = {'client-detection-completed': 'detection-completed',
               'client-processing-updated': 'processing-updated',  # status failed only
               'client-session-completed': 'session-completed'}
PUBLIC_CHANNEL = 'detection-results'


class _Server(ThreadingHTTPServer):
    """A listen backlog for a fleet's parallel webhook and auth calls (Python's default is 5)."""

    request_queue_size = 1024


class StoredAckReceiver:
    """SQLite stand-in for MyRVM's storing listener, ack broadcaster and API (see module doc)."""

    def __init__(
        self, *, token: str, app_id: str = '1001', key: str = 'rvm-key',
        secret: str = 'rvm-secret', db_path: str = ':memory:',
    ) -> None:
        self.token = token
        self.app_id, self.key, self.secret = app_id, key, secret
        self.pusher: pusher.Pusher | None = None
        self.auth_status: int | None = None
        self.ack = True
        self.received: Counter[str] = Counter()      # event_id -> times received
        self.errors: list[str] = []
        self._lock = threading.Lock()
        # one webhook at a time, like a single queue worker
        self._listener_lock = threading.Lock()
        self._db = sqlite3.connect(db_path, check_same_thread=False)
        self._db.execute(
            'CREATE TABLE IF NOT EXISTS events (event_id TEXT PRIMARY KEY, rvm_id TEXT, '
            'outbox_id TEXT, seq INTEGER, type TEXT, payload TEXT)'
        )
        self._server = _Server(('127.0.0.1', 0), self._handler())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.api_base = f'http://127.0.0.1:{self.port}'
        self.auth_url = self.api_base + AUTH_PATH
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={'poll_interval': 0.05}, daemon=True)

    # -- wiring ---------------------------------------------------------------------------------
    def soketi_env(self) -> dict[str, str]:
        """``extra_env`` for a SoketiServer: send client_event webhooks here, unbatched."""
        hooks = [{'url': self.api_base + WEBHOOK_PATH, 'event_types': ['client_event']}]
        return {
            'SOKETI_DEFAULT_APP_WEBHOOKS': json.dumps(hooks), 'SOKETI_WEBHOOKS_BATCHING': 'false'}

    def attach(self, server: Any) -> 'StoredAckReceiver':
        """Trigger through ``server`` (a SoketiServer: host, port, app_id, key, secret)."""
        self.app_id, self.key, self.secret = server.app_id, server.key, server.secret
        self.pusher = pusher.Pusher(app_id=server.app_id, key=server.key, secret=server.secret,
                                    host=server.host, port=server.port, ssl=False, timeout=3)
        return self

    def start(self) -> 'StoredAckReceiver':
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(2)

    # -- storage --------------------------------------------------------------------------------
    def store(self, payload: dict[str, Any]) -> bool:
        """Store one envelope by event_id; True when it is new (False: already stored)."""
        event_id = str(payload.get('event_id', ''))
        with self._lock:
            self.received[event_id] += 1
            cur = self._db.execute(
                'INSERT OR IGNORE INTO events VALUES (?,?,?,?,?,?)',
                (
                    event_id, payload.get('rvm_id'), payload.get('outbox_id'), payload.get('seq'),
                    payload.get('type'), json.dumps(payload)),
            )
            self._db.commit()
            return cur.rowcount == 1

    def stored(self) -> list[dict[str, Any]]:
        """Every stored envelope, in storing order."""
        with self._lock:
            return [
                json.loads(r[0])
                for r in self._db.execute('SELECT payload FROM events ORDER BY rowid')
            ]

    def stored_ids(self) -> set[str]:
        with self._lock:
            return {r[0] for r in self._db.execute('SELECT event_id FROM events')}

    def duplicates(self) -> int:
        """Receipts beyond the first, over all event ids (re-sends the server absorbed)."""
        with self._lock:
            return sum(n - 1 for n in self.received.values() if n > 1)

    # -- the listener -----------------------------------------------------------------------------
    def on_client_events(self, events: list[dict[str, Any]]) -> None:
        """What the Laravel listener does with client events: store, acknowledge, re-broadcast."""
        with self._listener_lock:
            self._on_client_events(events)

    def _on_client_events(self, events: list[dict[str, Any]]) -> None:
        acks: dict[str, list[str]] = {}
        fresh: list[tuple[str, Any]] = []
        for ev in events:
            name, channel = ev.get('event'), str(ev.get('channel', ''))
            if (
                ev.get('name') != 'client_event'
                or name not in REBROADCAST
                or not channel.startswith('private-rvm.')
            ):
                continue
            data = ev.get('data')
            payload = json.loads(data) if isinstance(data, str) else data
            if not isinstance(payload, dict) or not payload.get('event_id'):
                continue
            if payload.get('rvm_id') != channel[len('private-rvm.'):]:
                continue                          # a machine may only store for itself
            if self.store(payload):
                fresh.append((REBROADCAST[name], payload))
            acks.setdefault(channel, []).append(str(payload['event_id']))
        self._publish(acks, fresh)

    def _publish(self, acks: dict[str, list[str]], fresh: list[tuple[str, Any]]) -> None:
        if self.pusher is None:
            return
        try:
            if self.ack:
                for channel, ids in acks.items():
                    self.pusher.trigger(
                        channel, 'events-stored',
                        {
                            'type': 'events-stored', 'version': 1,
                            'rvm_id': channel[len('private-rvm.'):], 'event_ids': ids},
                    )
            for event, payload in fresh:
                self.pusher.trigger(PUBLIC_CHANNEL, event, payload)
        # Soketi down: stored, not acknowledged (the edge re-sends)
        except Exception as exc:  # noqa: BLE001
            self.errors.append(f'trigger failed: {exc}')

    def _api(self, body: bytes) -> tuple[int, dict[str, Any]]:
        try:
            events = json.loads(body).get('events')
        except (ValueError, AttributeError):
            events = None
        if not isinstance(events, list):
            return 422, {'message': 'events must be a list'}
        ids = []
        for payload in events:
            if isinstance(payload, dict) and payload.get('event_id'):
                if self.store(payload) and self.pusher is not None:
                    try:
                        self.pusher.trigger(
                            PUBLIC_CHANNEL, payload.get('type', 'detection-completed'), payload)
                    except Exception as exc:  # noqa: BLE001
                        self.errors.append(f'trigger failed: {exc}')
                ids.append(str(payload['event_id']))
        return 200, {'stored': ids}

    def _auth(self, body: bytes) -> tuple[int, dict[str, Any]]:
        if self.auth_status is not None:
            return self.auth_status, {'message': f'forced {self.auth_status}'}
        form = {k: v[0] for k, v in parse_qs(body.decode('utf-8', 'replace')).items()}
        socket_id, channel = form.get('socket_id', ''), form.get('channel_name', '')
        if not socket_id or not channel:
            return 422, {'message': 'socket_id and channel_name are required'}
        client = pusher.Pusher(app_id=self.app_id, key=self.key, secret=self.secret)
        return 200, client.authenticate(channel, socket_id)

    def _handler(self):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_HEAD(self):  # noqa: N802 - any path answers, with the Date header (server time)
                self.send_response(200)
                self.send_header('Content-Length', '0')
                self.end_headers()

            do_GET = do_HEAD

            def do_POST(self):  # noqa: N802
                path = self.path.split('?')[0]
                body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
                if path == WEBHOOK_PATH:
                    expected = hmac.new(outer.secret.encode(), body, hashlib.sha256).hexdigest()
                    if not hmac.compare_digest(
                        expected, self.headers.get('X-Pusher-Signature', '')
                    ):
                        outer.errors.append('webhook with a bad signature')
                        return self._json(401, {'message': 'bad signature'})
                    outer.on_client_events(json.loads(body).get('events') or [])
                    return self._json(200, {})
                if self.headers.get('Authorization') != f'Bearer {outer.token}':
                    return self._json(401, {'message': 'Unauthenticated.'})
                if path == AUTH_PATH:
                    return self._json(*outer._auth(body))
                if path == EVENTS_PATH:
                    return self._json(*outer._api(body))
                return self._json(404, {'message': 'Not Found'})

            def _json(self, status, answer):
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        return Handler
