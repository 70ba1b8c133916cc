"""The two stand-ins of a local fleet run, taken from the source checkout's ``tests/support``.

* MyRVM's Laravel side (:class:`LaravelStandin`): the stored-ack receiver
  (``tests/support/stored_ack_receiver.py``) in its own Python process, as Laravel is not in
  the edge's process: Soketi's ``client_event`` webhook -> store by ``event_id`` (SQLite
  file) -> ``events-stored`` to the machine + re-broadcast on ``detection-results``, and the
  channel-auth endpoint.
* The dashboard: the official pusher-js client (``tests/support/pusher_listener.mjs``
  through ``support.peers.PusherListener``) connected to the *other* node.

Neither is edge code; the checkout is found through ``$RVM_ROOT`` or this file's location.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

TOKEN = 'fleet-edge-token'


class StandinMissing(RuntimeError):
    """The checkout's tests/support is not there (an installed package without its checkout)."""


def support_root() -> Path:
    """``<checkout>/tests`` (with ``support/``); added to ``sys.path`` so ``support.*`` imports."""
    candidates = [Path(p) for p in (os.environ.get('RVM_ROOT'),) if p] + [
        Path(__file__).resolve().parents[3]]
    for root in candidates:
        tests = root / 'tests'
        if (tests / 'support' / 'stored_ack_receiver.py').is_file():
            if str(tests) not in sys.path:
                sys.path.insert(0, str(tests))
            return tests
    raise StandinMissing(
        'the local fleet cluster needs the rvm-edge source checkout (tests/support not found '
        f'under {", ".join(map(str, candidates))}): set RVM_ROOT, or use --server URL'
    )


def dashboard_listener(host: str, port: int, key: str, channels: list[str], **kwargs: Any):
    """A pusher-js client (``support.peers.PusherListener``) subscribed to ``channels``."""
    support_root()
    from support.peers import PusherListener
    return PusherListener(host, port, key, channels, **kwargs)


class LaravelStandin:
    """The stored-ack receiver in a child process (``python -m rvm_fleet.laravel_proc``).

    ``start()`` returns once it listens (``api_base`` known); it triggers acks and
    re-broadcasts through ``trigger_host:trigger_port``; ``close()`` returns its report
    (``received``: receipts, ``duplicates``: receipts beyond the first, ``errors``).
    Stored rows are read from the SQLite file ``db_path``.
    """

    def __init__(
        self, *, db_path: str | Path, app_id: str, key: str, secret: str, token: str = TOKEN
    ) -> None:
        self.db_path = str(db_path)
        self.app_id, self.key, self.secret, self.token = app_id, key, secret, token
        self.api_base = ''
        self.pid: int | None = None
        self._proc: subprocess.Popen | None = None

    def start(
        self, trigger_host: str, trigger_port: int, timeout: float = 20.0
    ) -> 'LaravelStandin':
        tests = support_root()
        cmd = [
            sys.executable, '-m', 'rvm_fleet.laravel_proc', '--db', self.db_path, '--host',
            trigger_host, '--port', str(trigger_port), '--app-id', self.app_id, '--key', self.key,
            '--token', self.token]
        env = {**os.environ, 'RVM_FLEET_SECRET': self.secret, 'PYTHONPATH': os.pathsep.join(
            [str(tests)] + [p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p])}
        self._proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        self.pid = self._proc.pid
        line = self._proc.stdout.readline()            # {"api_base": ...} once listening
        if not line:
            raise RuntimeError(
                f'the Laravel stand-in exited with {self._proc.wait(timeout)} before listening')
        self.api_base = json.loads(line)['api_base']
        return self

    def soketi_env(self) -> dict[str, str]:
        """Soketi settings sending ``client_event`` webhooks here unbatched (as the receiver's)."""
        hooks = [{'url': self.api_base + '/webhook', 'event_types': ['client_event']}]
        return {
            'SOKETI_DEFAULT_APP_WEBHOOKS': json.dumps(hooks), 'SOKETI_WEBHOOKS_BATCHING': 'false'}

    def stored_ids(self) -> set[str]:
        """Event ids stored so far (read from the SQLite file)."""
        import sqlite3
        with sqlite3.connect(self.db_path, timeout=10) as db:
            return {r[0] for r in db.execute('SELECT event_id FROM events')}

    def close(self, timeout: float = 10.0) -> dict[str, Any]:
        """End the process (stdin closed); its final report."""
        if self._proc is None:
            return {}
        try:
            self._proc.stdin.close()
        except OSError:
            pass
        try:
            out = self._proc.stdout.read()
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(5)
            return {}
        lines = [x for x in out.splitlines() if x.strip()]
        return json.loads(lines[-1]) if lines else {}
