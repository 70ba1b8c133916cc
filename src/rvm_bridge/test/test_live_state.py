"""Live state for late-joining dashboards: the manual-sync request_id is echoed, timezone-synced is
repeated as a heartbeat, and the newest status/health/timezone are sent again after a reconnect."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rvm_bridge.bridge_core import BridgeConfig, BridgeCore
from rvm_bridge.timezone_sync import TimezoneSync
from rvm_common import events

DATE = 'Thu, 15 Jan 2026 12:00:00 GMT'
MAP = (
    'outbound:\n  - {topic: status, channel: rvm-status, event: status-updated, delivery:'
    ' latest}\n  - {topic: health, channel: rvm-status, event: health-updated, delivery: latest}\n'
    '  - {topic: timezone/synced, channel: timezone-updates, event: timezone-synced, delivery:'
    ' latest}\ninbound:\n  - {channel: timezone-updates, events: [manual-sync]}\n'
)


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, 'condition not met in time'
        time.sleep(0.01)


class FakeClock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def offline_core(tmp_path, emitted, clock, heartbeat_s=30.0):
    sync = TimezoneSync(
        url='http://api.local/', timezone_name='Asia/Jakarta', fetch=lambda u, t: DATE,
        monotonic=clock, heartbeat_s=heartbeat_s, rvm_id='rvm-1')
    cfg = BridgeConfig(outbox_path=str(tmp_path / 'o.db'), outbox_log=str(tmp_path / 'log.jsonl'),
                       status_period_s=0, rvm_id='rvm-1')
    return BridgeCore(cfg, on_inbound=lambda t, p: emitted.append((t, p)), timezone_sync=sync)


def logged(tmp_path):
    path = tmp_path / 'log.jsonl'
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def test_manual_sync_answer_carries_the_request_id(tmp_path):
    emitted = []
    core = offline_core(tmp_path, emitted, FakeClock())
    core.start()
    try:
        # the startup sync
        wait_for(lambda: any(t == events.TOPIC_TIMEZONE for t, _ in emitted))
        assert core.inbound.dispatch(
            'timezone-updates', 'manual-sync',
            json.dumps({'request_id': 'req-7', 'requested_by': 'dashboard'}))
        wait_for(lambda: len([1 for t, _ in emitted if t == events.TOPIC_TIMEZONE]) == 2)
    finally:
        core.stop()
    answers = [p for t, p in emitted if t == events.TOPIC_TIMEZONE]
    assert 'request_id' not in answers[0] and answers[0]['trigger'] == 'startup'
    assert answers[1]['request_id'] == 'req-7' and answers[1]['trigger'] == 'manual'
    published = [r['data'] for r in logged(tmp_path) if r['event'] == 'timezone-synced']
    assert published[1]['request_id'] == 'req-7'                   # what the dashboard receives


def test_timezone_synced_is_repeated_each_heartbeat_period(tmp_path):
    emitted, clock = [], FakeClock()
    core = offline_core(tmp_path, emitted, clock, heartbeat_s=30.0)
    core.start()
    try:
        wait_for(lambda: len(logged(tmp_path)) == 1)
        # > one job-loop turn: not due yet
        time.sleep(1.2)
        assert len(logged(tmp_path)) == 1
        clock.t += 30.0
        wait_for(lambda: len(logged(tmp_path)) == 2)
    finally:
        core.stop()
    first, beat = [r['data'] for r in logged(tmp_path)]
    assert (
        beat['heartbeat'] is True
        and beat['heartbeat_s'] == 30.0
        and beat['event_id'] != first['event_id']
    )
    # heartbeats go out, not into the graph
    assert [t for t, _ in emitted] == [events.TOPIC_TIMEZONE]


@pytest.fixture
def capture_server():
    """A Pusher HTTP events API stand-in recording every event it accepts (unit level)."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
            if self.path.startswith('/apps/') and body:
                doc = json.loads(body)
                received.extend(doc.get('batch') or [doc])
            self.send_response(200)
            self.send_header('Date', DATE)
            self.send_header('Content-Length', '2')
            self.end_headers()
            self.wfile.write(b'{}')

        do_POST = do_GET = do_HEAD = _answer

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_address[1], received
    httpd.shutdown()


class FakeConnection:
    """Stands in for the Pusher socket: the test drives its state changes."""

    def __init__(self, config, on_event, on_state_change):
        self.on_state_change = on_state_change
        self.state = 'connecting'

    def start(self):
        pass

    def subscribe(self, channel):
        pass

    def stop(self):
        pass

    def stats(self):
        return {}

    def state_name(self):
        return self.state

    def set(self, state):
        previous, self.state = self.state, state
        self.on_state_change(previous, state)


def test_newest_live_state_is_sent_again_after_a_reconnect(tmp_path, capture_server, monkeypatch):
    port, received = capture_server
    monkeypatch.setenv('RVM_BRIDGE_APP_SECRET', 's3cret')
    (tmp_path / 'map.yaml').write_text(MAP)
    conns = []
    cfg = BridgeConfig(
        host='127.0.0.1', port=port, tls=False, rvm_id='rvm-1', app_key='k', app_id='7',
        outbox_path=str(tmp_path / 'o.db'), channel_map_file=str(tmp_path / 'map.yaml'),
        api_base=f'http://127.0.0.1:{port}', status_period_s=0, retry_min_s=0.05)
    core = BridgeCore(
        cfg, connection_factory=lambda *a: conns.append(FakeConnection(*a)) or conns[-1])
    core.start()
    try:
        conns[0].set('connected')
        status = [events.make_event(events.EVENT_STATUS_UPDATED, {'state': s}, rvm_id='rvm-1')
                  for s in ('online', 'idle')]
        health = events.make_event(events.EVENT_HEALTH_UPDATED, {'n': 1}, rvm_id='rvm-1')
        for payload in status:
            core.publish(events.TOPIC_RVM_STATUS, payload)
            assert core.flush(5.0)
        core.publish(events.TOPIC_HEALTH, health)
        assert core.flush(5.0)
        wait_for(lambda: any(r['name'] == 'timezone-synced' for r in received))
        before = len(received)
        conns[0].set('unavailable')
        conns[0].set('connected')                                    # a reconnect
        wait_for(lambda: len(received) == before + 3)
        time.sleep(0.2)
    finally:
        core.stop()
    again = {r['name']: json.loads(r['data']) for r in received[before:]}
    assert sorted(again) == ['health-updated', 'status-updated', 'timezone-synced']
    # the newest, unchanged
    assert again['status-updated']['event_id'] == status[-1]['event_id']
    assert again['health-updated']['event_id'] == health['event_id']
    assert len(received) == before + 3                               # once each, nothing else
