"""A ``rvm-edge run`` child process whose output is read line by line in a thread.

``lines`` gets every line and then ``None`` at the end of the output, so a test can wait for a
line (``read_until``) or for the end (``read_to_end``) instead of pausing for a fixed time.
"""
from __future__ import annotations

import queue
import subprocess
import sys
import threading
import time

RUNNER = [sys.executable, '-m', 'rvm_bringup.runner']


def start_runner(cwd, *args: str) -> tuple[subprocess.Popen, queue.Queue]:
    """Start ``rvm-edge <args>`` in ``cwd``; returns the process and its queue of output lines."""
    proc = subprocess.Popen([*RUNNER, *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, bufsize=1)
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)                                   # the end of its output
    threading.Thread(target=read, daemon=True).start()
    return proc, lines


def read_until(proc, lines, seen: list[str], predicate, timeout: float = 240) -> None:
    """Append lines to ``seen`` until one matches ``predicate``; fails if the run ends first."""
    deadline = time.monotonic() + timeout
    while not any(predicate(s) for s in seen):
        assert time.monotonic() < deadline, ''.join(seen)
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            assert proc.poll() is None, 'runner ended early:\n' + ''.join(seen)
            continue
        assert line is not None, 'runner ended early:\n' + ''.join(seen)
        seen.append(line)


def read_to_end(lines, seen: list[str], timeout: float = 30) -> None:
    """Append every remaining line to ``seen``, up to the end of the output."""
    while (line := lines.get(timeout=timeout)) is not None:
        seen.append(line)
