"""Phase 2: the dashboard in headless chromium while the standalone pipeline streams to Soketi.

The pipeline (`rvm-edge run`) runs on the bundled sample and streams through the real bridge to
Soketi; every event it emits matches its schema.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from rvm_bridge.routing.channel_map import FANOUT_MAP
from rvm_common import events
from support.schemas import errors

from .test_dashboard_live import open_dashboard

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE = REPO_ROOT / 'data' / 'sample' / 'rvm_sample.mp4'
SHIPPED_PARAMS = REPO_ROOT / 'config' / 'rvm_edge.params.yaml'
# the sample's first 6 items (300 of its 484 frames, 25 s at its 12 fps; see
# data/sample/rvm_sample.json): enough for the crash mid-run; what the outage queued is drained
# at the end (--drain-timeout, bounded by the outbox emptying)
MAX_FRAMES = 300
DRAIN_TIMEOUT_S = 120
# node -> parameter overrides (for trying other models by hand)
EXTRA_PARAMS: dict[str, dict] = {}
EXTRA_ARGS: list[str] = []
pytestmark = pytest.mark.slow


class Runner:
    """`rvm-edge run` as a subprocess pointed at the demo stack; its output is collected."""

    def __init__(self, demo, tmp_path: Path, port: int) -> None:
        ep = demo.endpoints
        params = yaml.safe_load(SHIPPED_PARAMS.read_text()) if SHIPPED_PARAMS.exists() else {}
        bridge = params.setdefault('/**/bridge', {}).setdefault('ros__parameters', {})
        bridge.update({k: v for k, v in ep.bridge_settings().items() if k not in ('host', 'port')})
        # as `rvm-edge run --dashboard`: no MyRVM here to store and acknowledge, so every route
        # goes out on the HTTP events API for fan-out (the stored-ack path is tested in
        # tests/bridge)
        bridge['channel_map_file'] = str(FANOUT_MAP)
        self.outbox_log = tmp_path / 'published.jsonl'
        bridge.update({'outbox_log': str(self.outbox_log), 'timezone': 'Asia/Jakarta'})
        for node, values in EXTRA_PARAMS.items():
            params.setdefault(f'/**/{node}', {}).setdefault('ros__parameters', {}).update(values)
        (tmp_path / 'params.yaml').write_text(yaml.safe_dump(params))
        cmd = [
            sys.executable, '-m', 'rvm_bringup.runner', 'run', '--source', str(SAMPLE), '--params',
            str(tmp_path / 'params.yaml'), '--bridge-host', ep.host, '--bridge-port', str(port),
            '--app-key', ep.key, '--app-id', ep.app_id, '--rvm-id', ep.rvm_id, '--outbox',
            str(tmp_path / 'outbox.sqlite3'), '--max-frames', str(MAX_FRAMES), '--realtime',
            '--drain-timeout', str(DRAIN_TIMEOUT_S), *EXTRA_ARGS]
        env = {**os.environ, **ep.secret_env()}
        self.lines: list[str] = []
        self.proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, bufsize=1)
        threading.Thread(target=lambda: self.lines.extend(self.proc.stdout), daemon=True).start()

    def wait(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            raise AssertionError(
                'rvm-edge run did not finish:\n' + ''.join(self.lines[-40:])) from None

    def wait_page(self, browser, expression: str, timeout: float) -> None:
        """Wait for ``expression`` in the page; fail at once (with its output) if the run dies."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                browser.wait(expression, timeout=2)
                return
            except AssertionError:
                if self.proc.poll() not in (None, 0):
                    raise AssertionError(f'rvm-edge run exited {self.proc.returncode}:\n'
                                         + ''.join(self.lines[-30:])) from None
                if time.monotonic() > deadline:
                    raise

    def published(self) -> list[dict]:
        return [
            json.loads(line) for line in self.outbox_log.read_text().splitlines() if line.strip()]

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def runner(demo, tmp_path):
    """Factory: ``runner(port)`` starts `rvm-edge run` bridging to ``port`` (Soketi or a proxy)."""
    holder: list[Runner] = []
    yield lambda port: holder.append(Runner(demo, tmp_path, port)) or holder[-1]
    for r in holder:
        r.close()
        # shown when the test fails
        print('--- rvm-edge run output (tail) ---\n' + ''.join(r.lines[-80:]))


def event_name(wire_event: str) -> str:
    return wire_event.removeprefix('client-')


def wire_data(record: dict) -> dict:
    data = record['data']
    return json.loads(data) if isinstance(data, str) else data


def test_pipeline_on_the_sample_streams_to_the_dashboard(
    demo, browser, pusher_listener, runner, tcp_proxy
):
    listener = pusher_listener(demo.soketi, [events.CHANNEL_STATUS, events.CHANNEL_DETECTIONS,
                                             events.CHANNEL_TIMEZONE])
    open_dashboard(browser, demo)
    # the bridge reaches Soketi through a proxy, so the test decides when it gets back after the
    # crash
    proxy = tcp_proxy(demo.soketi.port)
    run = runner(proxy.port)

    run.wait_page(browser, "document.querySelector('#verdicts .verdict') !== null", timeout=240)
    browser.wait("document.querySelector('#machines .state') !== null", timeout=30)
    browser.wait("document.getElementById('health').innerText.includes('%')", timeout=30)
    first = browser.call(
        'eval', expression="document.querySelector('#verdicts .verdict').dataset.category")
    assert first

    # manual sync: button -> demo endpoint -> manual-sync -> the bridge -> timezone-synced on the
    # page
    browser.call('click', selector='#manual-sync')
    browser.wait(
        "document.getElementById('tz-status').textContent.includes('(manual)')", timeout=30)
    assert browser.call('text', selector='#tz-name') == 'Asia/Jakarta'

    # Soketi crashes mid-run and comes back. Pusher keeps no history, so the bridge is let through
    # only once the page has re-subscribed; then every durable verdict queued meanwhile must
    # arrive.
    proxy.refuse()
    demo.soketi.kill()
    proxy.drop_all()
    browser.wait("document.getElementById('conn-state').textContent !== 'connected'")
    # the pipeline goes on; verdicts wait in the outbox
    time.sleep(3)
    demo.soketi.restart()
    browser.wait("document.getElementById('conn-state').textContent === 'connected'", timeout=60)
    assert browser.call('text', selector='#conn-reconnects') == '1'
    browser.wait(
        "(document.getElementById('log').innerText.match(/subscribed to detection-results/g) ||"
        " []).length >= 2"
    )
    proxy.accept()

    assert run.wait(timeout=400) == 0, ''.join(run.lines[-40:])
    published = run.published()
    verdict_ids = {p['data']['event_id'] for p in published
                   if event_name(p['event']) == events.EVENT_DETECTION_COMPLETED}
    assert verdict_ids, 'the pipeline emitted no verdict'
    # every verdict the pipeline emitted is on the page, once (re-sends are de-duplicated)
    browser.wait(f"window.rvmDashboard.verdicts.length >= {len(verdict_ids)}", timeout=60)
    shown = browser.call('eval', expression='window.rvmDashboard.verdicts.map(v => v.event_id)')
    assert sorted(shown) == sorted(verdict_ids)

    # every event the pipeline emitted, and every one that reached a subscriber, matches its schema
    # (checked against the schema of the event name it travelled under, so `type` must match it
    # too)
    problems = [e for p in published for e in errors(p['data'], event_name(p['event']))]
    received = [
        r
        for r in listener.records
        if r.get('kind') == 'event' and not r['event'].startswith('pusher')
    ]
    problems += [e for r in received for e in errors(wire_data(r), event_name(r['event']))]
    assert len(received) > len(verdict_ids)
    assert not problems, '\n'.join(sorted(set(problems)))
    kinds = {event_name(p['event']) for p in published}
    assert {
        events.EVENT_DETECTION_COMPLETED, events.EVENT_STATUS_UPDATED, events.EVENT_HEALTH_UPDATED,
        events.EVENT_TIMEZONE_SYNCED, events.EVENT_SESSION_COMPLETED} <= kinds
