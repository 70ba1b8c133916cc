"""Run external tools off the caller's thread: a line stream and a periodic command.

Both keep only the latest result under a lock, so ``latest()`` never blocks on
the tool.  Used by the tegrastats and nvidia-smi collectors; the health core's
``update`` therefore never waits on a subprocess.
"""
from __future__ import annotations

import subprocess
import threading
import time
from typing import Callable, Sequence


class LineStream:
    """Starts ``argv`` and keeps its most recent stdout line (e.g. ``tegrastats --interval``)."""

    def __init__(self, argv: Sequence[str], clock: Callable[[], float] = time.monotonic) -> None:
        self.argv = list(argv)
        self.clock = clock
        self._lock = threading.Lock()
        self._line: str | None = None
        self._line_at: float | None = None
        self._error = ''
        self._proc: subprocess.Popen | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False

    def start(self) -> None:
        """Start the process and the reader thread (idempotent, non-blocking)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._run, name=f'linestream-{self.argv[0]}', daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._proc = subprocess.Popen(
                self.argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1,
                errors='replace')
        except OSError as exc:
            with self._lock:
                self._error = f'cannot start {self.argv[0]}: {exc.strerror or exc}'
            return
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            with self._lock:
                self._line, self._line_at = line.rstrip('\n'), self.clock()
        code = self._proc.wait()
        if not self._stopping:
            err = (self._proc.stderr.read() if self._proc.stderr else '').strip().splitlines()
            with self._lock:
                self._error = f'{self.argv[0]} exited with code {code}' + (
                    f': {err[-1]}' if err else '')

    def latest(self) -> tuple[str | None, float | None, str]:
        """(last line, when it arrived, error text or '')."""
        with self._lock:
            return self._line, self._line_at, self._error

    def stop(self, timeout: float = 2.0) -> None:
        """Terminate the process and join the reader."""
        self._stopping = True
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
        if self._thread is not None:
            self._thread.join(timeout)


class PeriodicCommand:
    """Runs ``argv`` every ``period`` seconds in a daemon thread; keeps the latest stdout."""

    def __init__(self, argv: Sequence[str], period: float, timeout: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.argv = list(argv)
        self.period = max(0.1, period)
        self.timeout = timeout
        self.clock = clock
        self._lock = threading.Lock()
        self._out: str | None = None
        self._out_at: float | None = None
        self._error = ''
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name=f'periodic-{self.argv[0]}', daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                done = subprocess.run(
                    self.argv, capture_output=True, text=True, timeout=self.timeout,
                    errors='replace')
                error = '' if done.returncode == 0 else (
                    f'{self.argv[0]} exited with code {done.returncode}: '
                    + (done.stderr.strip().splitlines() or [''])[-1])
                out = done.stdout if done.returncode == 0 else None
            except subprocess.TimeoutExpired:
                out, error = None, f'{self.argv[0]} timed out after {self.timeout:g} s'
            except OSError as exc:
                out, error = None, f'cannot run {self.argv[0]}: {exc.strerror or exc}'
            with self._lock:
                self._error = error
                if out is not None:
                    self._out, self._out_at = out, self.clock()
            self._stop.wait(self.period)

    def latest(self) -> tuple[str | None, float | None, str]:
        with self._lock:
            return self._out, self._out_at, self._error

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
