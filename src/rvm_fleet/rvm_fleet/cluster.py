"""A horizontally scaled Pusher-protocol cluster on loopback: Soketi nodes sharing one Redis.

Like Reverb with ``REVERB_SCALING_ENABLED=true``, each Soketi node publishes what it must
fan out on Redis pub/sub (``SOKETI_ADAPTER_DRIVER=redis``), so an event written to node A
(a client event, or an HTTP API trigger) reaches subscribers connected to node B.  Every
node serves the same app (numeric id, key, secret) with the 10 KB limits of
:class:`rvm_bringup.soketi.SoketiServer`.  Nodes can be killed and restarted on their port.
"""
from __future__ import annotations

import uuid
from pathlib import Path

from rvm_bringup.soketi import SoketiServer
from rvm_fleet.redis_server import RedisServer


def redis_adapter_env(redis: RedisServer, prefix: str) -> dict[str, str]:
    """The SOKETI_* settings of the Redis adapter using ``redis`` (channels under ``prefix``)."""
    return {
        'SOKETI_ADAPTER_DRIVER': 'redis',
        'SOKETI_ADAPTER_REDIS_PREFIX': prefix,
        'SOKETI_DB_REDIS_HOST': redis.host,
        'SOKETI_DB_REDIS_PORT': str(redis.port),
        'SOKETI_DB_REDIS_DB': '0',
        'SOKETI_ADAPTER_REDIS_REQUESTS_TIMEOUT': '2000',
    }


class SoketiCluster:
    """``nodes`` Soketi processes + one redis-server; ``node(0)`` is A, ``node(1)`` is B.

    ``extra_env`` is added to every node (e.g. the stored-ack receiver's webhook settings);
    ``ports`` fixes the nodes' ports (free ones otherwise).
    """

    def __init__(self, *, nodes: int = 2, app_id: str = '1001', key: str = 'rvm-key',
                 secret: str = 'rvm-secret', log_dir: str | Path | None = None,
                 extra_env: dict[str, str] | None = None, ports: list[int] | None = None) -> None:
        if nodes < 1:
            raise ValueError(f'a cluster needs at least one node (got {nodes})')
        self.log_dir = Path(log_dir) if log_dir else None
        if self.log_dir:
            self.log_dir.mkdir(parents=True, exist_ok=True)
        self.redis = RedisServer(log_path=self._log('redis.log'))
        self.prefix = f'rvm-fleet-{uuid.uuid4().hex[:8]}'
        env = {**redis_adapter_env(self.redis, self.prefix), **(extra_env or {})}
        ports = list(ports or []) + [None] * nodes
        self.nodes = [
            SoketiServer(
                app_id=app_id, key=key, secret=secret, log_path=self._log(f'soketi-{i}.log'),
                port=ports[i], extra_env=env)
            for i in range(nodes)
        ]

    def _log(self, name: str) -> Path | None:
        return self.log_dir / name if self.log_dir else None

    @property
    def app_id(self) -> str:
        return self.nodes[0].app_id

    @property
    def key(self) -> str:
        return self.nodes[0].key

    @property
    def secret(self) -> str:
        return self.nodes[0].secret

    def node(self, index: int) -> SoketiServer:
        """Node ``index`` (0 = A, 1 = B)."""
        return self.nodes[index]

    def pids(self) -> dict[str, int]:
        """Name -> pid of every running server process (``redis``, ``node-0`` ...)."""
        found = {'redis': self.redis.pid} if self.redis.running else {}
        found.update({f'node-{i}': n.pid for i, n in enumerate(self.nodes) if n.running})
        return found

    def start(self, timeout: float = 30.0) -> 'SoketiCluster':
        """Start Redis, then every node (each answers its HTTP API before the next starts)."""
        try:
            self.redis.start(timeout)
            for node in self.nodes:
                node.start(timeout)
        except Exception:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every node, then Redis."""
        for node in self.nodes:
            node.stop()
        self.redis.stop()

    def __enter__(self) -> 'SoketiCluster':
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
