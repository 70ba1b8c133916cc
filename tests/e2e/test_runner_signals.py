"""`rvm-edge run` stopped by Ctrl-C (SIGINT) or SIGTERM ends like a normal run: the session ends,
the same closing summary is printed, and the exit status says which signal stopped it."""
from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
import time

import pytest

pytestmark = pytest.mark.slow


@pytest.mark.parametrize('stop_signal', [signal.SIGINT, signal.SIGTERM])
def test_a_signal_prints_the_normal_summary(tmp_path, stop_signal):
    (tmp_path / 'params.yaml').write_text('/**:\n  ros__parameters: {}\n')   # the defaults
    cmd = [sys.executable, '-m', 'rvm_bringup.runner', 'run', '--source', 'sample', '--realtime',
           '--params', str(tmp_path / 'params.yaml'), '--outbox', str(tmp_path / 'outbox.sqlite3')]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, bufsize=1)
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)                                   # the end of its output
    threading.Thread(target=read, daemon=True).start()
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and not any(s.startswith('rvm state:') for s in seen):
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                assert proc.poll() is None, 'runner ended early:\n' + ''.join(seen)
                continue
            assert line is not None, 'runner ended early:\n' + ''.join(seen)
            seen.append(line)
        assert any(s.startswith('rvm state:') for s in seen), ''.join(seen)
        proc.send_signal(stop_signal)
        assert proc.wait(60) == 128 + stop_signal
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    # every line it printed (a fixed pause here could miss the last ones on a loaded machine)
    while (line := lines.get(timeout=30)) is not None:
        seen.append(line)
    text = ''.join(seen)
    assert f'{signal.Signals(stop_signal).name} received: stopping' in text
    assert 'rvm-edge: server    offline: outbox only' in text and 'rvm-edge: model ' in text
    done = [s for s in seen if s.startswith('done: ')]
    assert len(done) == 1 and 'durable events kept in the outbox' in done[0], text
    assert 'Traceback' not in text and 'KeyboardInterrupt' not in text
    # the last words are durable: the session summary and the final offline status are queued
    from rvm_bridge.outbox.outbox import Outbox
    box = Outbox(tmp_path / 'outbox.sqlite3')
    try:
        kinds = [(p.get('type'), p.get('state'), p.get('reason'))
                 for p in (json.loads(e.payload) for e in box.peek(1000))]
    finally:
        box.close()
    assert ('status-updated', 'offline', None) in kinds, kinds
    if ' 0 verdicts' not in done[0]:        # a session with items was open: its summary too
        assert ('session-completed', None, 'shutdown') in kinds, kinds
