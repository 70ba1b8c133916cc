"""One closing line on every exit path: a run stopped before its pipeline started (waiting for a
dashboard viewer), during the model load, or mid-run still ends with one `done:` line."""
from __future__ import annotations

import signal

import pytest
from support.runner_process import read_to_end, read_until, start_runner

pytestmark = pytest.mark.slow


def start(tmp_path, *extra):
    return start_runner(tmp_path, 'run', '--source', 'sample',
                        '--outbox', str(tmp_path / 'outbox.sqlite3'), *extra)


def finish(proc, lines, seen: list[str]) -> list[str]:
    code = proc.wait(60)
    read_to_end(lines, seen)
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
