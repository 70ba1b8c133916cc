"""Where a fleet connects: the local two-node cluster (with its stand-ins) or a remote deployment.

Local: Redis + Soketi nodes A and B (:class:`~rvm_fleet.cluster.SoketiCluster`), the Laravel
stand-in triggering through node B, and the pusher-js dashboard on node B; machines use A.
Remote (``--server ws://host:port``): the machines and the dashboard connect where told; MyRVM
(``--api-base``) authorizes channels, stores and acknowledges; nothing can be restarted.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlparse

from rvm_bridge.connection.channel_auth import DEFAULT_AUTH_PATH as AUTH_PATH
from rvm_bringup.soketi import free_port
from rvm_fleet.cluster import SoketiCluster
from rvm_fleet.standins import TOKEN, LaravelStandin, dashboard_listener

Progress = Callable[[str], None]


class FleetTarget:
    """The servers of a run (see module doc); subclasses fill in start/close."""

    host = '127.0.0.1'
    port = 0
    app_id = '1001'
    key = 'rvm-key'
    secret = ''
    token = ''
    api_base = ''
    dashboard_host = '127.0.0.1'
    dashboard_port = 0

    def start(self, progress: Progress) -> None:
        raise NotImplementedError

    def dashboard(self, channels: list[str]):
        """A pusher-js client on the dashboard's node, subscribed to ``channels`` (waits for it).

        Private channels are signed at MyRVM's auth endpoint (``api_base``) with the token.
        """
        auth = {'auth_endpoint': self.api_base.rstrip('/') + AUTH_PATH, 'token': self.token} \
            if any(c.startswith('private-') for c in channels) else {}
        listener = dashboard_listener(
            self.dashboard_host, self.dashboard_port, self.key, channels, **auth)
        self._listeners.append(listener)
        for channel in channels:
            listener.wait_subscribed(channel, 60.0 + 0.2 * len(channels))
        return listener

    def node_a(self) -> Any:
        raise RuntimeError('this target has no node that can be restarted from here')

    def pids(self) -> dict[str, int]:
        return {}

    def stored_ids(self) -> set[str] | None:
        """Event ids the listener stored (None: not observable from here)."""
        return None

    def close(self) -> dict[str, Any]:
        for listener in self._listeners:
            listener.close()
        return {}

    def __init__(self) -> None:
        self._listeners: list[Any] = []


class LocalTarget(FleetTarget):
    """Redis + two Soketi nodes + the Laravel stand-in, all on loopback; logs in ``work/logs``."""

    def __init__(self, work: Path) -> None:
        super().__init__()
        self.secret = os.urandom(12).hex()
        self.token = TOKEN
        ports = [free_port(), free_port()]
        # MyRVM's database runs on its own server: keep the stand-in's SQLite commits (fsync) off
        # this host's disk, where they would queue behind the fleet's outboxes and skew the latency
        shm = Path('/dev/shm')
        self._db_dir = Path(
            tempfile.mkdtemp(prefix='rvm-fleet-db-', dir=shm if shm.is_dir() else work))
        self.standin = LaravelStandin(
            db_path=self._db_dir / 'laravel.sqlite3', app_id=self.app_id, key=self.key,
            secret=self.secret)
        self._ports = ports
        self._work = work
        self.cluster: SoketiCluster | None = None
        self.report: dict[str, Any] = {}

    def start(self, progress: Progress) -> None:
        self.standin.start('127.0.0.1', self._ports[1])
        self.api_base = self.standin.api_base
        self.cluster = SoketiCluster(
            app_id=self.app_id, key=self.key, secret=self.secret, log_dir=self._work / 'logs',
            extra_env=self.standin.soketi_env(), ports=self._ports).start(60.0)
        a, b = self.cluster.node(0), self.cluster.node(1)
        self.host, self.port = a.host, a.port
        self.dashboard_host, self.dashboard_port = b.host, b.port
        progress(
            f'cluster up: redis :{self.cluster.redis.port}, node A :{a.port}, node B :{b.port}, '
            f'Laravel stand-in {self.api_base}'
        )

    def node_a(self):
        return self.cluster.node(0)

    def pids(self) -> dict[str, int]:
        found = self.cluster.pids() if self.cluster else {}
        if self.standin.pid:
            found['laravel-standin'] = self.standin.pid
        return found

    def stored_ids(self) -> set[str] | None:
        return self.standin.stored_ids()

    def close(self) -> dict[str, Any]:
        super().close()
        self.report = self.standin.close()
        if self.cluster is not None:
            self.cluster.stop()
        shutil.rmtree(self._db_dir, ignore_errors=True)
        return self.report


class RemoteTarget(FleetTarget):
    """A running deployment: ``server``/``dashboard_server`` as ``ws://host:port``.

    The secrets come from the environment: ``$RVM_BRIDGE_APP_SECRET``, ``$RVM_BRIDGE_TOKEN``.
    """

    def __init__(self, options: Any) -> None:
        super().__init__()
        self.host, self.port = _host_port(options.server)
        self.dashboard_host, self.dashboard_port = _host_port(
            options.dashboard_server or options.server)
        self.app_id, self.key, self.api_base = options.app_id, options.app_key, options.api_base
        self.secret = os.environ.get('RVM_BRIDGE_APP_SECRET', '')
        self.token = os.environ.get('RVM_BRIDGE_TOKEN', '')
        if not (self.api_base and self.token and self.secret):
            raise ValueError(
                '--server URL needs --api-base (MyRVM: channel auth, storing listener) and the '
                'secrets in $RVM_BRIDGE_APP_SECRET and $RVM_BRIDGE_TOKEN'
            )

    def start(self, progress: Progress) -> None:
        progress(f'remote: machines on {self.host}:{self.port}, dashboard on '
                 f'{self.dashboard_host}:{self.dashboard_port}, MyRVM {self.api_base}')


def _host_port(url: str) -> tuple[str, int]:
    parsed = urlparse(url if '://' in url else f'ws://{url}')
    if parsed.scheme not in ('ws', 'http') or not parsed.hostname or not parsed.port:
        raise ValueError(
            f'--server {url!r}: expected ws://host:port (plain ws; TLS is not simulated)')
    return parsed.hostname, parsed.port


def local_target(work: Path) -> LocalTarget:
    return LocalTarget(work)


def remote_target(options: Any) -> RemoteTarget:
    return RemoteTarget(options)
