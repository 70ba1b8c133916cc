"""Walking skeleton end to end: `rvm-edge run` on the bundled sample -> real Soketi -> pusher-js.

The runner is a subprocess (as a user starts it); Soketi and the pusher-js subscriber are the real
peers started by the fixtures in tests/conftest.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rvm_common import events
from support.schemas import errors

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / 'data' / 'sample' / 'rvm_sample.mp4'
MAX_FRAMES = 120          # the sample's first 2 items (data/sample/rvm_sample.json lists them)
pytestmark = pytest.mark.slow

VERDICT_FIELDS = {'item_id', 'session_id', 'category', 'class_name', 'confidence', 'accepted',
                  'reason', 'bbox', 'mask', 'frame', 'capture_time', 'timings_ms'}


def run_pipeline(
    tmp_path: Path, *extra: str, env: dict | None = None
) -> subprocess.CompletedProcess:
    cmd = [
        sys.executable, '-m', 'rvm_bringup.runner', 'run', '--source', str(SAMPLE),
        '--no-realtime', '--max-frames', str(MAX_FRAMES), '--outbox',
        str(tmp_path / 'outbox.sqlite3'), *extra]
    return subprocess.run(cmd, cwd=tmp_path, env={**os.environ, **(env or {})}, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)


def wire(record: dict) -> dict:
    data = record['data']
    return json.loads(data) if isinstance(data, str) else data


@pytest.fixture
def myrvm(tmp_path):
    """Soketi + the stored-ack receiver playing MyRVM.

    The receiver stores verdicts, acks them and re-broadcasts them to dashboards."""
    from bridge.bridge_support import start_stored_ack_stack
    receiver, soketi = start_stored_ack_stack(tmp_path)
    yield receiver, soketi
    soketi.stop()
    receiver.close()


def test_sample_reaches_a_pusher_js_subscriber_through_soketi(tmp_path, myrvm, pusher_listener):
    from bridge.bridge_support import TOKEN
    receiver, soketi = myrvm
    listener = pusher_listener(soketi, [events.CHANNEL_DETECTIONS, events.CHANNEL_STATUS])
    listener.wait_subscribed(events.CHANNEL_DETECTIONS)
    listener.wait_subscribed(events.CHANNEL_STATUS)
    result = run_pipeline(
        tmp_path, '--bridge-host', soketi.host, '--bridge-port', str(soketi.port), '--bridge-tls',
        'false', '--app-key', soketi.key, '--app-id', soketi.app_id, '--rvm-id', 'rvm-e2e',
        '--api-base', receiver.api_base,
        env={'RVM_BRIDGE_APP_SECRET': soketi.secret, 'RVM_BRIDGE_TOKEN': TOKEN})
    # verdicts and session: stored and acknowledged; the final offline status, durable since
    # issue 26 (the last word of a stopping machine), goes over the HTTP events API (fan-out)
    assert (
        'every durable event accepted by the server' in result.stdout
        and '1 accepted for fan-out by the HTTP events API' in result.stdout
    ), result.stdout[-3000:]
    assert result.returncode == 0, result.stdout[-3000:]
    printed = [line for line in result.stdout.splitlines() if line.startswith('item ')]
    assert printed, 'no item summary printed:\n' + result.stdout[-3000:]

    verdicts = listener.wait_count(
        lambda r: r.get('channel') == events.CHANNEL_DETECTIONS
        and r.get('event') == events.EVENT_DETECTION_COMPLETED, len(printed), timeout=30)
    for record in verdicts:
        payload = wire(record)
        assert VERDICT_FIELDS <= set(payload), sorted(VERDICT_FIELDS - set(payload))
        assert payload['rvm_id'] == 'rvm-e2e' and isinstance(payload['seq'], int)
        assert errors(payload) == []
    status = listener.wait_event(events.CHANNEL_STATUS, events.EVENT_STATUS_UPDATED, timeout=30)
    assert wire(status)['state'] in events.RVM_STATES
    assert errors(wire(status)) == []
    # durable verdicts: each stored once by MyRVM, one seq each (the re-broadcast order is MyRVM's)
    seqs = [wire(r)['seq'] for r in verdicts]
    assert len(set(seqs)) == len(seqs) and {p['seq'] for p in receiver.stored()} >= set(seqs)


def test_without_a_server_the_run_completes_and_events_land_in_the_outbox_log(tmp_path):
    log = tmp_path / 'events.jsonl'
    params = tmp_path / 'params.yaml'
    params.write_text(f'bridge:\n  ros__parameters:\n    outbox_log: "{log}"\n')
    result = run_pipeline(tmp_path, '--params', str(params))
    assert result.returncode == 0, result.stdout[-3000:]
    assert 'done:' in result.stdout
    logged = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    kinds = {entry['event'] for entry in logged}
    assert events.EVENT_DETECTION_COMPLETED in kinds and events.EVENT_STATUS_UPDATED in kinds
    items = sum(1 for line in result.stdout.splitlines() if line.startswith('item '))
    assert items == sum(1 for e in logged if e['event'] == events.EVENT_DETECTION_COMPLETED)
