"""BridgeCore without a server (offline) and against a local HTTP capture server (unit level)."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rvm_bridge.bridge_core import BridgeConfig, BridgeCore
from rvm_common import events
from rvm_common.params import ConfigError

DATE = 'Thu, 15 Jan 2026 12:00:00 GMT'


def _verdict(i, **extra):
    return events.make_event(
        events.EVENT_DETECTION_COMPLETED, {'item_id': f'i{i}', 'n': i, **extra}, rvm_id='rvm-1')


def test_offline_everything_goes_to_outbox_and_log(tmp_path):
    log = tmp_path / 'events.jsonl'
    emitted = []
    core = BridgeCore(BridgeConfig(outbox_path=str(tmp_path / 'o.db'), outbox_log=str(log),
                                   timezone_sync_on_start=False, status_period_s=0),
                      on_inbound=lambda t, p: emitted.append((t, p)))
    core.start()
    for i in range(3):
        core.publish(events.TOPIC_VERDICT, _verdict(i))
    core.publish(events.TOPIC_HEALTH, events.make_event('health-updated', {'cpu': {}}))
    core.publish('not/mapped', {'x': 1})
    core.publish(events.TOPIC_VERDICT, 'not a dict')
    assert core.flush(1.0)
    status = core.status()
    core.stop()
    assert status['state'] == 'offline' and status['outbox_depth'] == 3
    assert status['published']['unmapped'] == 1 and status['published']['rejected'] == 1
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    # a durable event's line is written once its row is committed (with its seq)
    durable = [r for r in lines if r['delivery'] == 'durable']
    assert [(r['channel'], r['event'], r['wire_event']) for r in durable] == [
        (f'private-rvm.{core.rvm_id}', 'detection-completed', 'client-detection-completed')] * 3
    assert [r['data']['seq'] for r in durable] == [1, 2, 3]
    assert [(r['channel'], r['event'], r['wire_event']) for r in lines if r not in durable] == [
        ('rvm-status', 'health-updated', 'health-updated')]


def test_missing_app_secret_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv('RVM_BRIDGE_APP_SECRET', raising=False)
    with pytest.raises(ConfigError, match='app secret'):
        BridgeCore(
            BridgeConfig(
                host='127.0.0.1', app_key='k', app_id='1', outbox_path=str(tmp_path / 'o.db'))
        )
    with pytest.raises(ConfigError, match='app_key'):
        BridgeCore(BridgeConfig(host='127.0.0.1', outbox_path=str(tmp_path / 'o.db')))


@pytest.fixture
def capture_server():
    received, lock = [], threading.Lock()
    state = {'status': 200}

    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            length = int(self.headers.get('Content-Length') or 0)
            body = self.rfile.read(length) if length else b''
            code = state['status'] if self.path.startswith('/apps/') else 200
            if code == 200 and body:
                doc = json.loads(body)
                with lock:
                    received.extend(doc.get('batch') or [doc])
            self.send_response(code)
            self.send_header('Date', DATE)
            self.send_header('Content-Length', '2')
            self.end_headers()
            self.wfile.write(b'{}')

        do_POST = do_GET = do_HEAD = _answer

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_address[1], received, state
    httpd.shutdown()
    httpd.server_close()


def test_http_delivery_in_order_with_outage_and_latest(tmp_path, capture_server, monkeypatch):
    port, received, state = capture_server
    monkeypatch.setenv('RVM_BRIDGE_APP_SECRET', 's3cret')
    cmap = tmp_path / 'map.yaml'
    cmap.write_text(
        'outbound:\n  - {topic: items/verdict, channel: detection-results, event:'
        ' detection-completed}\n  - {topic: health, channel: "rvm-status.{rvm_id}", event:'
        ' health-updated, delivery: latest}\n  - {topic: timezone/synced, channel:'
        ' timezone-updates, event: timezone-synced, delivery: latest}\n'
    )
    emitted = []
    cfg = BridgeConfig(
        host='127.0.0.1', port=port, tls=False, rvm_id='rvm-1', app_key='k', app_id='7',
        outbox_path=str(tmp_path / 'o.db'), channel_map_file=str(cmap), retry_min_s=0.05,
        retry_max_s=0.2, api_base=f'http://127.0.0.1:{port}', timezone='Asia/Jakarta',
        status_period_s=0)
    core = BridgeCore(cfg, on_inbound=lambda t, p: emitted.append((t, p)))
    state['status'] = 503
    core.start()
    for i in range(25):
        core.publish(events.TOPIC_VERDICT, _verdict(i))
        core.publish(events.TOPIC_HEALTH, events.make_event('health-updated', {'n': i}))
    deadline = time.monotonic() + 30.0             # bounded wait on the sender's first answer
    while time.monotonic() < deadline and '503' not in core.status()['last_error']:
        time.sleep(0.02)
    assert core.outbox.settle(5.0) and core.status()['outbox_depth'] == 25
    assert '503' in core.status()['last_error']
    state['status'] = 200
    assert core.flush(10.0)
    status = core.status()
    core.stop()
    verdicts = [json.loads(r['data']) for r in received if r['name'] == 'detection-completed']
    assert [v['n'] for v in verdicts] == list(range(25))
    assert [v['seq'] for v in verdicts] == list(range(1, 26))
    health = [json.loads(r['data'])['n'] for r in received if r['name'] == 'health-updated']
    assert health == [24]                                     # only the newest after the outage
    assert {r['channels'][0] if 'channels' in r else r['channel'] for r in received
            if r['name'] == 'health-updated'} == {'rvm-status.rvm-1'}
    tz = [p for t, p in emitted if t == events.TOPIC_TIMEZONE]
    assert tz and tz[0]['status'] == 'synced' and tz[0]['utc_offset'] == '+07:00'
    assert any(r['name'] == 'timezone-synced' for r in received)
    assert status['sent'] == 25 and status['latency_ms']['count'] >= 25


def test_timezone_sync_is_emitted_once_and_its_echo_is_not_sent_twice(tmp_path):
    from rvm_bridge.timezone_sync import TimezoneSync
    log = tmp_path / 'events.jsonl'
    emitted = []
    sync = TimezoneSync(
        url='http://api.local/', timezone_name='Asia/Jakarta', fetch=lambda u, t: DATE)
    core = BridgeCore(
        BridgeConfig(outbox_path=str(tmp_path / 'o.db'), outbox_log=str(log), status_period_s=0),
        on_inbound=lambda t, p: emitted.append((t, p)), timezone_sync=sync)
    core.start()                                   # timezone_sync_on_start: one 'startup' sync
    deadline = time.monotonic() + 5
    while not emitted and time.monotonic() < deadline:
        time.sleep(0.01)
    topic, payload = emitted[0]
    core.publish(topic, payload)                   # the graph feeds our own product back
    core.stop()
    assert topic == events.TOPIC_TIMEZONE and payload['trigger'] == 'startup'
    assert payload['utc_offset'] == '+07:00'
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [line['event'] for line in lines] == ['timezone-synced']
