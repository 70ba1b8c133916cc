"""A dashboard opened after `rvm-edge run --dashboard --no-wait` has started catches up.

The run's first status, health and timezone were already sent to nobody; the page shows the
machine's state, health and timezone from the heartbeats; when the run ends and the heartbeats
stop, its figures grey out and the machine shows "offline since …". Heartbeats are set to 2 s in
the params file so the test is quick. Saves the screenshots docs use.
"""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from .conftest import ARTIFACTS

REPO_ROOT = Path(__file__).resolve().parents[2]
SHIPPED_PARAMS = REPO_ROOT / 'config' / 'rvm_edge.params.yaml'
HEARTBEAT_S = 2.0
RVM = 'rvm-demo'
pytestmark = pytest.mark.slow


def write_params(tmp_path: Path, log: Path) -> Path:
    params = yaml.safe_load(SHIPPED_PARAMS.read_text())
    params['/**/health']['ros__parameters'].update({'status_heartbeat_s': HEARTBEAT_S,
                                                    'health_rate': 1.0 / HEARTBEAT_S})
    params['/**/bridge']['ros__parameters'].update(
        {'timezone_heartbeat_s': HEARTBEAT_S, 'outbox_log': str(log), 'timezone': 'Asia/Jakarta'})
    path = tmp_path / 'params.yaml'
    path.write_text(yaml.safe_dump(params))
    return path


def published(log: Path) -> list[dict]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def wait_until(predicate, timeout: float, proc, output: list[str], what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert (
            proc.poll() is None
        ), f'rvm-edge run exited {proc.returncode} before {what}:\n' + ''.join(output[-30:])
        assert time.monotonic() < deadline, f'{what}: not within {timeout} s:\n' + ''.join(
            output[-30:])
        time.sleep(0.2)


def test_late_joiner_sees_state_health_timezone_then_stale_and_offline(browser, tmp_path):
    log = tmp_path / 'published.jsonl'
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable, '-m', 'rvm_bringup.runner', 'run', '--source', 'sample', '--dashboard',
        '--no-wait', '--params', str(write_params(tmp_path, log)), '--max-frames', '300',
        '--linger', '120', '--outbox', str(tmp_path / 'outbox.sqlite3')]
    proc = subprocess.Popen(
        cmd, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    output: list[str] = []
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in proc.stdout:
            output.append(line)
            lines.put(line)
    threading.Thread(target=read, daemon=True).start()
    try:
        wait_until(
            lambda: any(x.startswith('dashboard: ') for x in output), 90, proc, output, 'the URL')
        url = next(x for x in output if x.startswith('dashboard: ')).split(' ', 1)[1].strip()
        # the first status, health and timezone go out before anyone watches
        kinds = {'status-updated', 'health-updated', 'timezone-synced'}
        wait_until(lambda: kinds <= {r['event'] for r in published(log)}, 120, proc, output,
                   'the first status, health and timezone')
        first = {
            kind: next(r['data'] for r in published(log) if r['event'] == kind) for kind in kinds}
        assert first['timezone-synced']['trigger'] == 'startup'

        browser.call('open', url=url)                                   # the late joiner
        browser.wait("document.getElementById('conn-state').textContent === 'connected'")
        browser.wait(f"document.getElementById('state-{RVM}') !== null", timeout=6 * HEARTBEAT_S)
        browser.wait(
            f"document.getElementById('health-age-{RVM}') !== null", timeout=6 * HEARTBEAT_S)
        browser.wait(
            "document.getElementById('tz-name').textContent === 'Asia/Jakarta'",
            timeout=6 * HEARTBEAT_S)
        seen = browser.call('eval', expression='window.rvmDashboard.received.map(r => r.data)')
        timezones = [d for d in seen if d['type'] == 'timezone-synced']
        # the start-up sync went out before the page opened: the page has it from the server's
        # state endpoint (catch-up: the newest the server stored) or from a later heartbeat
        browser.wait("window.rvmDashboard.catchUp?.state === 'done'")
        caught = browser.call('eval', expression='window.rvmDashboard.catchUp')
        # what the stand-in held when the page asked (the timezone may still have been on its way)
        assert caught['total'] >= 1, caught
        assert (timezones[0]['event_id'] == first['timezone-synced']['event_id']
                or timezones[0]['heartbeat'] is True)
        browser.wait(
            "window.rvmDashboard.received.some(r => r.event === 'status-updated' &&"
            " r.data.heartbeat)",
            timeout=6 * HEARTBEAT_S,
        )
        assert 'every 2 s' in browser.call('text', selector=f'#status-age-{RVM}')
        assert not browser.call('eval', expression="document.querySelector('.stale') !== null")
        browser.wait("document.querySelectorAll('#verdicts .verdict').length >= 3", timeout=240)
        browser.call('screenshot', path=str(ARTIFACTS / 'late_joiner_live.png'), full_page=False)

        # the run ends (the bridge stops, heartbeats stop) and the page keeps being served
        wait_until(
            lambda: any(x.startswith('serving the dashboard') for x in output), 300, proc, output,
            'the end of the run')
        browser.wait(
            f"document.getElementById('state-{RVM}').textContent === 'offline'", timeout=30)
        browser.wait(
            "document.querySelector('#health"
            f" .health[data-rvm=\"{RVM}\"]').classList.contains('stale')",
            timeout=10 * HEARTBEAT_S,
        )
        offline = f"#machines .machine[data-rvm=\"{RVM}\"] .offline"
        browser.wait(f"!document.querySelector('{offline}').hidden", timeout=10 * HEARTBEAT_S)
        assert browser.call('text', selector=offline).startswith('offline since ')
        assert 'stale' in browser.call('text', selector='#tz-age')
        browser.call('screenshot', path=str(ARTIFACTS / 'late_joiner_stale.png'), full_page=False)

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 128 + signal.SIGTERM
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        print('--- rvm-edge run --dashboard output ---\n' + ''.join(output[-60:]))
