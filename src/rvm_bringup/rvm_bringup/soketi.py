"""Run a local Soketi server (a real Pusher protocol v7 server) as a subprocess.

Soketi plays Laravel Reverb in tests and in the demo stack.  It comes from npm
(root ``package.json``, installed by ``scripts/setup``).  One :class:`SoketiServer`
owns one process: it picks free loopback ports (WebSocket/HTTP API and Soketi's
always-on metrics listener), starts the server with a single app, waits until
``GET /`` answers, and can stop, SIGKILL and restart it on the *same* port so
clients can reconnect to the address they know.  On Linux the server gets SIGTERM
when the process that started it dies, even by SIGKILL (``PR_SET_PDEATHSIG``), so
no Soketi outlives a killed demo or test run.
"""
from __future__ import annotations

import ctypes
import logging
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import weakref
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
LOG = logging.getLogger(__name__)
PR_SET_PDEATHSIG = 1   # <linux/prctl.h>


class SoketiNotInstalled(RuntimeError):
    """The npm packages (Soketi) are missing: run ``scripts/setup``."""


class SoketiStartError(RuntimeError):
    """Soketi did not become ready; the message carries the tail of its log."""


def free_port(host: str = '127.0.0.1') -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def find_soketi(root: Path | None = None) -> list[str]:
    """The command that starts Soketi from ``<root>/node_modules``.

    ``root`` defaults to ``$RVM_ROOT``, then this source checkout, then the cwd.
    """
    candidates = [Path(root)] if root else [
        Path(p) for p in (os.environ.get('RVM_ROOT'), REPO_ROOT, Path.cwd()) if p]
    rel = Path('node_modules') / '@soketi' / 'soketi' / 'bin' / 'server.js'
    script = next((c / rel for c in candidates if (c / rel).is_file()), None)
    if script is None:
        raise SoketiNotInstalled(
            f'Soketi is not installed ({rel} not found under {", ".join(map(str, candidates))}):'
            ' run scripts/setup (npm ci) in the repository root, or set RVM_ROOT')
    node = shutil.which('node')
    if node is None:
        raise SoketiNotInstalled('node is not on the PATH: run scripts/setup')
    return [node, str(script), 'start']


class SoketiServer:
    """One Soketi process with a single app (id/key/secret), on a fixed loopback port.

    ``app_id`` must be numeric: the Python ``pusher`` SDK rejects other ids.
    ``max_payload_kb`` is Soketi's per-event payload limit (Reverb's default is
    10,000 bytes, so 10 KB is close).  ``ssl_cert``/``ssl_key`` (PEM) serve wss/https.
    ``extra_env`` adds/overrides SOKETI_* vars.
    """

    def __init__(self, *, app_id: str = '1001', key: str = 'rvm-key', secret: str = 'rvm-secret',
                 host: str = '127.0.0.1', port: int | None = None,
                 client_messages: bool = True, max_payload_kb: float = 10.0,
                 log_path: str | Path | None = None, root: Path | None = None,
                 ssl_cert: str | Path | None = None, ssl_key: str | Path | None = None,
                 extra_env: dict[str, str] | None = None) -> None:
        if not str(app_id).isdigit():
            raise ValueError(f'app_id must be numeric (the pusher SDK rejects others): {app_id!r}')
        self.app_id = str(app_id)
        self.key = key
        self.secret = secret
        self.host = host
        self.port = port or free_port(host)
        self.metrics_port = free_port(host)
        self.client_messages = client_messages
        self.max_payload_kb = max_payload_kb
        self.ssl_cert = str(ssl_cert) if ssl_cert else ''
        self.ssl_key = str(ssl_key) if ssl_key else ''
        if bool(self.ssl_cert) != bool(self.ssl_key):
            raise ValueError('TLS needs both ssl_cert and ssl_key')
        self._command = find_soketi(root)
        self._workdir = tempfile.mkdtemp(prefix='soketi-')   # Soketi reads .env from its cwd
        self.log_path = Path(log_path) if log_path else Path(self._workdir) / 'soketi.log'
        self._extra_env = dict(extra_env or {})
        self._process: subprocess.Popen | None = None
        self._log_file = None

    # -- addresses ---------------------------------------------------------------------------
    @property
    def tls(self) -> bool:
        """True when serving wss/https."""
        return bool(self.ssl_cert)

    @property
    def ws_url(self) -> str:
        """The WebSocket URL of the app, as a Pusher client builds it."""
        scheme = 'wss' if self.tls else 'ws'
        return (
            f'{scheme}://{self.host}:{self.port}/app/{self.key}?protocol=7&client=test&version=1')

    @property
    def http_url(self) -> str:
        """Base URL of the HTTP API (``/apps/{id}/events``)."""
        return f'{"https" if self.tls else "http"}://{self.host}:{self.port}'

    def pusher_client(self):
        """An official ``pusher.Pusher`` SDK client for this server."""
        import pusher
        client = pusher.Pusher(app_id=self.app_id, key=self.key, secret=self.secret,
                               host=self.host, port=self.port, ssl=self.tls, timeout=5)
        if self.tls:
            # the SDK pins its bundled CA file; trust this server's own certificate instead
            client._pusher_client.http.options['verify'] = self.ssl_cert
        return client

    # -- lifecycle ---------------------------------------------------------------------------
    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith('SOKETI_')}
        env.update(
            {
                'SOKETI_DEFAULT_APP_ID': self.app_id, 'SOKETI_DEFAULT_APP_KEY': self.key,
                'SOKETI_DEFAULT_APP_SECRET': self.secret,
                'SOKETI_DEFAULT_APP_ENABLE_CLIENT_MESSAGES': (
                    'true' if self.client_messages else 'false'),
                'SOKETI_HOST': self.host, 'SOKETI_PORT': str(self.port),
                'SOKETI_METRICS_ENABLED': 'false', 'SOKETI_METRICS_HOST': self.host,
                'SOKETI_METRICS_SERVER_PORT': str(self.metrics_port),
                'SOKETI_EVENT_MAX_SIZE_IN_KB': str(self.max_payload_kb),
                'SOKETI_SHUTDOWN_GRACE_PERIOD': '200', 'SOKETI_DEBUG': 'false',
                'SOKETI_SSL_CERT': self.ssl_cert, 'SOKETI_SSL_KEY': self.ssl_key,
                'NODE_NO_WARNINGS': '1'}
        )
        env.update(self._extra_env)
        return env

    @property
    def running(self) -> bool:
        """True while the process is alive."""
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        """The process id, or None when not started."""
        return self._process.pid if self._process else None

    def start(self, timeout: float = 20.0) -> 'SoketiServer':
        """Start the process and wait until its HTTP API answers."""
        if self.running:
            return self
        self._log_file = open(self.log_path, 'ab')
        self._process = subprocess.Popen(
            self._command, cwd=self._workdir, env=self._env(), stdin=subprocess.DEVNULL,
            stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=die_with_parent())
        # no stray server if a test crashes
        weakref.finalize(self, _kill_if_running, self._process)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise SoketiStartError(
                    f'Soketi exited with {self._process.returncode}:\n{self.log_tail()}')
            if self._healthy():
                return self
            time.sleep(0.05)
        self.kill()
        raise SoketiStartError(
            f'Soketi not ready on port {self.port} within {timeout} s:\n{self.log_tail()}')

    def _healthy(self) -> bool:
        context = ssl.create_default_context(cafile=self.ssl_cert) if self.tls else None
        try:
            with urllib.request.urlopen(f'{self.http_url}/', timeout=0.5, context=context) as resp:
                return resp.status == 200
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def stop(self, timeout: float = 10.0) -> None:
        """Graceful stop (SIGTERM: Soketi closes client sockets first); SIGKILL if it hangs."""
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(5)
        self._close_log()

    def kill(self) -> None:
        """SIGKILL: the server vanishes without closing its sockets (a crash)."""
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait(5)
        self._close_log()

    def restart(self, *, graceful: bool = False, timeout: float = 20.0) -> 'SoketiServer':
        """Kill (or stop) and start again on the same port."""
        if graceful:
            self.stop()
        else:
            self.kill()
        deadline = time.monotonic() + 5.0
        while not _port_free(self.host, self.port) and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.start(timeout)

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def log_tail(self, n_bytes: int = 4000) -> str:
        """The end of Soketi's log (for error messages)."""
        try:
            data = self.log_path.read_bytes()
        except OSError:
            return ''
        return data[-n_bytes:].decode('utf-8', errors='replace')

    def __enter__(self) -> 'SoketiServer':
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def die_with_parent():
    """A ``preexec_fn``: SIGTERM to the child when this process dies (Linux ``PR_SET_PDEATHSIG``).

    The kernel ties the signal to the *thread* that forks, so it is only armed when called from
    the main thread (which lives as long as the process); None elsewhere and on other systems.
    """
    if (
        not sys.platform.startswith('linux')
        or threading.current_thread() is not threading.main_thread()
    ):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl    # resolved before the fork
    except (OSError, AttributeError) as exc:
        LOG.debug('prctl unavailable (%s): Soketi will not end with its parent', exc)
        return None
    parent = os.getpid()

    def arm() -> None:                                       # runs in the child, before exec
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:
            # the parent died before prctl took effect
            os._exit(1)
    return arm


def _kill_if_running(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
        process.wait(5)


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True
