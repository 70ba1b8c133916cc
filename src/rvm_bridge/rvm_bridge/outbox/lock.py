"""One owner per outbox file: an exclusive ``flock`` on a lock file beside it.

Two processes appending to one outbox each believed they owned the ``seq`` counter and one run's
rows replaced the other's.  :class:`OutboxLock` takes ``<outbox>.lock`` with ``LOCK_EX |
LOCK_NB`` before the file is opened and writes its pid into it; a second process gets
:class:`OutboxInUse`, a configuration error naming the file and the holder's pid.  The kernel
releases the lock when the holder exits, also after SIGKILL: no stale lock is left behind.
"""
from __future__ import annotations

import fcntl
import os
from pathlib import Path

from rvm_common.params import ConfigError


class OutboxInUse(ConfigError):
    """Another process (or another Outbox in this one) holds the outbox file."""


class OutboxLock:
    """Exclusive, non-blocking lock on ``<path>.lock``; :meth:`release` (or exit) frees it."""

    def __init__(self, path: str) -> None:
        self.path = f'{path}.lock'
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise ConfigError(
                f'outbox {path}: cannot create its lock file {self.path}: {exc.strerror}'
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode('ascii', 'replace').strip() or 'unknown'
            os.close(fd)
            raise OutboxInUse(
                f'outbox {path} is in use by another process (pid {holder}, lock file'
                f' {self.path}); give this one its own outbox file') from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode('ascii'))
        self._fd: int | None = fd

    def release(self) -> None:
        """Free the lock (idempotent); the lock file stays, empty of meaning."""
        if self._fd is not None:
            try:
                os.ftruncate(self._fd, 0)
            except OSError:
                pass
            os.close(self._fd)   # closing the descriptor releases the flock
            self._fd = None
