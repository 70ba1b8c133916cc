"""Debian's ``redis-server`` as a subprocess on a loopback port: the Soketi cluster's pub/sub bus.

No persistence (``--save ''``, no AOF), bound to 127.0.0.1, protected mode on.  The
process gets SIGTERM when the process that started it dies (as Soketi does, see
:func:`rvm_bringup.soketi.die_with_parent`), so no Redis outlives a killed test.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
import weakref
from pathlib import Path

from rvm_bringup.soketi import die_with_parent, free_port


class RedisNotInstalled(RuntimeError):
    """``redis-server`` is not on the PATH: run ``scripts/setup`` (apt package redis-server)."""


class RedisStartError(RuntimeError):
    """redis-server did not answer PING; the message carries the tail of its log."""


def find_redis() -> str:
    """The path of ``redis-server``; :class:`RedisNotInstalled` when missing."""
    path = shutil.which('redis-server') or (
        '/usr/bin/redis-server' if Path('/usr/bin/redis-server').is_file() else None)
    if path is None:
        raise RedisNotInstalled('redis-server is not installed: run scripts/setup '
                                '(or apt-get install redis-server)')
    return path


class RedisServer:
    """One ``redis-server`` process on ``host:port`` (a free port when not given)."""

    def __init__(self, *, host: str = '127.0.0.1', port: int | None = None,
                 log_path: str | Path | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        self._binary = find_redis()
        self._workdir = tempfile.mkdtemp(prefix='redis-')
        self.log_path = Path(log_path) if log_path else Path(self._workdir) / 'redis.log'
        self._process: subprocess.Popen | None = None

    @property
    def pid(self) -> int | None:
        """The process id, or None when not started."""
        return self._process.pid if self._process else None

    @property
    def running(self) -> bool:
        """True while the process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 20.0) -> 'RedisServer':
        """Start and wait until it answers PING."""
        if self.running:
            return self
        cmd = [
            self._binary, '--bind', self.host, '--port', str(self.port), '--save', '',
            '--appendonly', 'no', '--daemonize', 'no', '--dir', self._workdir, '--logfile',
            str(self.log_path)]
        self._process = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL, start_new_session=True,
                                         preexec_fn=die_with_parent())
        weakref.finalize(self, _kill_if_running, self._process)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RedisStartError(
                    f'redis-server exited with {self._process.returncode}:\n{self.log_tail()}')
            if self.ping():
                return self
            time.sleep(0.05)
        self.stop()
        raise RedisStartError(
            f'redis-server not answering on port {self.port} within {timeout} s:\n'
            f'{self.log_tail()}'
        )

    def ping(self) -> bool:
        """True when the server answers ``PING`` with ``+PONG``."""
        try:
            with socket.create_connection((self.host, self.port), timeout=0.5) as sock:
                sock.sendall(b'PING\r\n')
                return sock.recv(16).startswith(b'+PONG')
        except OSError:
            return False

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL if it hangs."""
        if self._process is None or self._process.poll() is not None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(5)

    def log_tail(self, n_bytes: int = 3000) -> str:
        """The end of the server's log (for error messages)."""
        try:
            return self.log_path.read_bytes()[-n_bytes:].decode('utf-8', errors='replace')
        except OSError:
            return ''

    def __enter__(self) -> 'RedisServer':
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _kill_if_running(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
        process.wait(5)
