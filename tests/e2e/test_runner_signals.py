"""`rvm-edge run` stopped by Ctrl-C (SIGINT) or SIGTERM ends like a normal run: the session ends,
the same closing summary is printed, and the exit status says which signal stopped it."""
from __future__ import annotations

import json
import signal

import pytest
from support.runner_process import read_to_end, read_until, start_runner

pytestmark = pytest.mark.slow


@pytest.mark.parametrize('stop_signal', [signal.SIGINT, signal.SIGTERM])
def test_a_signal_prints_the_normal_summary(tmp_path, stop_signal):
    (tmp_path / 'params.yaml').write_text('/**:\n  ros__parameters: {}\n')   # the defaults
    proc, lines = start_runner(
        tmp_path, 'run', '--source', 'sample', '--realtime',
        '--params', str(tmp_path / 'params.yaml'), '--outbox', str(tmp_path / 'outbox.sqlite3'))
    seen: list[str] = []
    try:
        read_until(proc, lines, seen, lambda s: s.startswith('rvm state:'))
        proc.send_signal(stop_signal)
        assert proc.wait(60) == 128 + stop_signal
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    # every line it printed (a fixed pause here could miss the last ones on a loaded machine)
    read_to_end(lines, seen)
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
