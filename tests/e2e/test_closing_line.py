"""One closing line on every exit path: a run stopped before its pipeline started (waiting for a
dashboard viewer), during the model load, or mid-run still ends with one `done:` line."""
from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
import time

import pytest

pytestmark = pytest.mark.slow


def start(tmp_path, *extra):
    cmd = [sys.executable, '-m', 'rvm_bringup.runner', 'run', '--source', 'sample',
           '--outbox', str(tmp_path / 'outbox.sqlite3'), *extra]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, bufsize=1)
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)                                   # the end of its output
    threading.Thread(target=read, daemon=True).start()
    return proc, lines


def read_until(proc, lines, seen: list[str], predicate, timeout: float = 240) -> None:
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


def finish(proc, lines, seen: list[str]) -> list[str]:
    code = proc.wait(60)
    while (line := lines.get(timeout=30)) is not None:    # until the end of its output
        seen.append(line)
    return [code, [s.rstrip('\n') for s in seen]]


@pytest.mark.parametrize('moment', ['waiting for a viewer', 'loading the model'])
def test_a_run_stopped_before_it_processed_a_frame_still_has_one_closing_line(tmp_path, moment):
    extra = ['--dashboard'] if moment == 'waiting for a viewer' else ['--realtime']
    proc, lines = start(tmp_path, *extra)
    seen: list[str] = []
    try:
        marker = 'waiting for the first dashboard viewer' if extra == ['--dashboard'] else \
            'rvm-edge: model     loading'
        read_until(proc, lines, seen, lambda s: s.startswith(marker))
        proc.send_signal(signal.SIGTERM)
        code, out = finish(proc, lines, seen)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 128 + signal.SIGTERM
    closing = [s for s in out if s.startswith('done:')]
    assert len(closing) == 1 and out[-1] == closing[0], '\n'.join(out)
    assert closing[0].startswith('done: 0 frames in ')       # the pipeline ends at once
