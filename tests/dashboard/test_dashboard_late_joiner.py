"""Pages opened late on one real `rvm-edge run --dashboard --no-wait` on the bundled sample.

A page opened after the run has started: the run's first status, health and timezone were
already sent to nobody; the page shows the machine's state, health and timezone from the
heartbeats; when the run ends and the heartbeats stop, its figures grey out and the machine shows
"offline since …". A second page opened once the run has ended shows every verdict with its crop
from the server's state endpoint. Both share the one run (module fixture; it is ~25 s of sample
at its frame rate); heartbeats are set to 2 s in the params file so the test is quick. Saves the
screenshots docs use.
"""

from __future__ import annotations

import json
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


class DashboardRun:
    """`rvm-edge run --dashboard --no-wait` on the sample: its output, outbox log and page URL."""

    def __init__(self, tmp_path: Path) -> None:
        self.log = tmp_path / 'published.jsonl'
        cmd = [
            sys.executable, '-m', 'rvm_bringup.runner', 'run', '--source', 'sample',
            '--dashboard', '--no-wait', '--params', str(write_params(tmp_path, self.log)),
            '--max-frames', '300', '--linger', '300', '--outbox', str(tmp_path / 'outbox.sqlite3')]
        self.proc = subprocess.Popen(
            cmd, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            bufsize=1)
        self.output: list[str] = []
        threading.Thread(target=lambda: self.output.extend(self.proc.stdout), daemon=True).start()

    def wait_until(self, predicate, timeout: float, what: str) -> None:
        wait_until(predicate, timeout, self.proc, self.output, what)

    def url(self) -> str:
        self.wait_until(lambda: any(x.startswith('dashboard: ') for x in self.output), 90,
                        'the URL')
        return next(x for x in self.output if x.startswith('dashboard: ')).split(' ', 1)[1].strip()

    def wait_ended(self) -> None:
        """Until the run has ended (the bridge stopped) and the page is still served."""
        self.wait_until(lambda: any(x.startswith('serving the dashboard') for x in self.output),
                        300, 'the end of the run')


@pytest.fixture(scope='module')
def dashboard_run(tmp_path_factory):
    """The one run the tests of this module open pages on; SIGTERM ends it with 128 + 15."""
    run = DashboardRun(tmp_path_factory.mktemp('dashboard-run'))
    try:
        yield run
        assert run.proc.poll() is None, 'the page stopped being served (--linger)'
        run.proc.send_signal(signal.SIGTERM)
        assert run.proc.wait(60) == 128 + signal.SIGTERM
    finally:
        if run.proc.poll() is None:
            run.proc.kill()
            run.proc.wait(10)
        print('--- rvm-edge run --dashboard output ---\n' + ''.join(run.output[-60:]))


def test_late_joiner_sees_state_health_timezone_then_stale_and_offline(browser, dashboard_run):
    run, log = dashboard_run, dashboard_run.log
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    url = run.url()
    # the first status, health and timezone go out before anyone watches
    kinds = {'status-updated', 'health-updated', 'timezone-synced'}
    run.wait_until(lambda: kinds <= {r['event'] for r in published(log)}, 120,
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
    run.wait_ended()
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


def test_a_real_run_opened_after_it_ended_shows_every_verdict_with_its_crop(
    browser, dashboard_run
):
    """The page opened once the run has ended (its first 6 items, nobody watching this page)
    shows every verdict with its crop from the server's state (docs screenshot)."""
    run = dashboard_run
    url = run.url()
    run.wait_ended()
    items = [x.split()[-1] for x in run.output if x.startswith('item ')]
    assert len(items) >= 5, ''.join(run.output)
    browser.call('open', url=url)
    browser.wait("window.rvmDashboard.catchUp?.state === 'done'", timeout=30)
    crops = "#verdicts .verdict canvas[data-picture=\"crop\"]"
    browser.wait(f"document.querySelectorAll('{crops}').length === {len(items)}", timeout=30)
    shown = browser.call('eval', expression="[...document.querySelectorAll('#verdicts "
                                            ".verdict')].map(li => li.dataset.itemId)")
    assert sorted(i[:8] for i in shown) == sorted(items)   # every item, each once
    assert browser.call('text', selector=f'#state-{RVM}') == 'offline'
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.call('screenshot', path=str(ARTIFACTS / 'after_run_caught_up.png'), full_page=False)
