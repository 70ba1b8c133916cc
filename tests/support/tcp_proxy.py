"""A loopback TCP proxy for fault injection in front of a real server.

``TcpProxy(target_port).start()`` listens on a free port and forwards every
connection to ``target``.  Faults:

* :meth:`pause` - keep connections open but forward nothing (a silent network:
  pings go unanswered); :meth:`resume` continues.
* :meth:`drop_all` - abort every open connection (RST), new ones still accepted.
* :meth:`refuse` - accept-and-close new connections until :meth:`accept` is called.
"""
from __future__ import annotations

import select
import socket
import struct
import threading


class TcpProxy:
    """Threaded loopback TCP proxy with pause / drop / refuse faults."""

    def __init__(
        self, target_port: int, target_host: str = '127.0.0.1', host: str = '127.0.0.1'
    ) -> None:
        self.target = (target_host, target_port)
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((host, 0))
        self.host = host
        self.port = self._listener.getsockname()[1]
        self._paused = threading.Event()
        self._refusing = threading.Event()
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._threads: list[threading.Thread] = []
        self.accepted = 0

    def start(self) -> 'TcpProxy':
        """Begin accepting connections."""
        self._listener.listen(64)
        self._listener.settimeout(0.1)
        t = threading.Thread(target=self._accept_loop, name='tcp-proxy-accept', daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.accepted += 1
            if self._refusing.is_set():
                _abort(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=2.0)
            except OSError:
                _abort(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                self._pairs.append((client, upstream))
            t = threading.Thread(target=self._pump, args=(client, upstream), daemon=True)
            t.start()
            self._threads.append(t)

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        peers = {client: upstream, upstream: client}
        try:
            while not self._stopped.is_set():
                if self._paused.is_set():
                    self._stopped.wait(0.02)
                    continue
                readable, _, _ = select.select(list(peers), [], [], 0.05)
                for sock in readable:
                    if self._paused.is_set():
                        break
                    data = sock.recv(65536)
                    if not data:
                        return
                    peers[sock].sendall(data)
        except (OSError, ValueError):     # ValueError: select() on a socket drop_all() closed
            return
        finally:
            with self._lock:
                if (client, upstream) in self._pairs:
                    self._pairs.remove((client, upstream))
            _abort(client)
            _abort(upstream)

    # -- faults ------------------------------------------------------------------------------
    def pause(self) -> None:
        """Stop forwarding in both directions; connections stay open."""
        self._paused.set()

    def resume(self) -> None:
        """Forward again."""
        self._paused.clear()

    def drop_all(self) -> int:
        """Abort every open connection; returns how many were dropped."""
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for client, upstream in pairs:
            _abort(client)
            _abort(upstream)
        return len(pairs)

    def refuse(self) -> None:
        """Close new connections immediately (server unreachable)."""
        self._refusing.set()

    def accept(self) -> None:
        """Forward new connections again."""
        self._refusing.clear()

    @property
    def open_connections(self) -> int:
        """Connections currently forwarded."""
        with self._lock:
            return len(self._pairs)

    def close(self) -> None:
        """Stop the proxy and drop everything."""
        self._stopped.set()
        try:
            self._listener.close()
        except OSError:
            pass
        self.drop_all()
        for t in self._threads:
            t.join(1.0)

    def __enter__(self) -> 'TcpProxy':
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()


def _abort(sock: socket.socket) -> None:
    """Close with RST (SO_LINGER 0) so the peer sees a reset, not a clean FIN."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass
