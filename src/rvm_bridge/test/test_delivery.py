"""Sender: in-order durable delivery with retries, dead letters, latest coalescing, token bucket."""
import json
import threading

from rvm_bridge.delivery import RetryDelay, Sender
from rvm_bridge.outbox import Outbox
from rvm_bridge.transport_client import ClientEventTransport, TokenBucket
from rvm_bridge.transport_http import SendOutcome, WireEvent


class FakeTransport:
    """Records what it was asked to send; ``down`` makes every send a retry."""

    def __init__(self):
        self.down = False
        self.reject = set()
        self.delivered = []
        self.lock = threading.Lock()

    def send(self, events):
        batch = events[:10]
        with self.lock:
            if self.down:
                return SendOutcome(retry=[e.key for e in batch], error='down')
            out = SendOutcome()
            for e in batch:
                data = json.loads(e.data)
                if data.get('n') in self.reject:
                    out.rejected.append((e.key, 'HTTP 400'))
                else:
                    self.delivered.append((e.channel, e.event, data))
                    out.confirmed.append(e.key)
            return out


def _sender(tmp_path, transport):
    box = Outbox(tmp_path / 'o.db')
    sender = Sender(box, {'http': transport}, retry_min_s=0.01, retry_max_s=0.05)
    return box, sender


def test_durable_in_order_across_an_outage(tmp_path):
    fake = FakeTransport()
    box, sender = _sender(tmp_path, fake)
    fake.down = True
    sender.start()
    for i in range(50):
        box.append('c', 'e', 'http', {'event_id': f'e{i}', 'n': i})
        sender.wake()
    assert not sender.flush(0.3) and box.depth() == 50
    assert box.peek(1)[0].attempts >= 1
    fake.down = False
    assert sender.flush(5.0)
    sender.stop()
    assert [d['n'] for _, _, d in fake.delivered] == list(range(50))
    assert [d['seq'] for _, _, d in fake.delivered] == list(range(1, 51))
    assert sender.counters['send_errors'] >= 1 and 'down' in sender.last_error


def test_rejected_events_are_dead_lettered_not_lost(tmp_path):
    fake = FakeTransport()
    fake.reject = {3}
    box, sender = _sender(tmp_path, fake)
    sender.start()
    for i in range(6):
        box.append('c', 'e', 'http', {'event_id': f'e{i}', 'n': i})
    sender.wake()
    assert sender.flush(5.0)
    sender.stop()
    assert [d['n'] for _, _, d in fake.delivered] == [0, 1, 2, 4, 5]
    assert [(d['event_id'], d['reason']) for d in box.dead_letters()] == [('e3', 'HTTP 400')]


def test_latest_coalesces_during_an_outage(tmp_path):
    fake = FakeTransport()
    box, sender = _sender(tmp_path, fake)
    fake.down = True
    sender.start()
    for i in range(20):
        sender.put_latest('http', WireEvent(None, 'rvm-status', 'health-updated', json.dumps({'n': i})))
        sender.put_latest('http', WireEvent(None, 'rvm-status', 'status-updated', json.dumps({'n': 100 + i})))
    assert sender.latest_pending() == 2
    fake.down = False
    assert sender.flush(5.0)
    sender.stop()
    assert sorted(d['n'] for _, _, d in fake.delivered) == [19, 119]
    assert sender.counters['latest_coalesced'] == 38


def test_retry_delay_is_capped_exponential_with_jitter():
    import random
    delay = RetryDelay(1.0, 30.0, random.Random(1))
    values = [delay.next() for _ in range(10)]
    assert 0.5 <= values[0] <= 1.0
    assert all(v <= 30.0 for v in values) and values[-1] >= 15.0
    delay.reset()
    assert delay.next() <= 1.0


def test_token_bucket():
    now = [0.0]
    bucket = TokenBucket(10.0, clock=lambda: now[0])
    assert sum(bucket.take() for _ in range(15)) == 10
    assert bucket.wait_time() == 0.1
    now[0] = 0.5
    assert bucket.available() == 5


class FakeConnection:
    def __init__(self, pong=True):
        self.sent, self.pong, self.confirms = [], pong, 0

    def send_client_event(self, channel, event, data):
        self.sent.append((channel, event, data))
        return True

    def confirm(self, timeout):
        self.confirms += 1
        return self.pong


def test_client_transport_rate_limit_and_ping_confirm():
    now = [0.0]
    conn = FakeConnection()
    transport = ClientEventTransport(conn, rate=10.0, clock=lambda: now[0])
    events = [WireEvent(i, 'private-rvm.a', 'client-x', json.dumps({'n': i})) for i in range(25)]
    out = transport.send(events)
    assert out.confirmed == list(range(10)) and conn.confirms == 1
    assert conn.sent[0] == ('private-rvm.a', 'client-x', {'n': 0})
    assert transport.send(events[10:]).confirmed == []       # no tokens left at the same instant
    now[0] = 1.0
    conn.pong = False
    out = transport.send(events[10:])
    assert out.retry[:10] == list(range(10, 20)) and not out.confirmed


def test_retry_now_skips_the_remaining_backoff_once_the_server_is_back(tmp_path):
    transport = FakeTransport()
    transport.down = True
    box = Outbox(tmp_path / 'o.db')
    sender = Sender(box, {'http': transport}, retry_min_s=30.0, retry_max_s=30.0)
    sender.start()
    try:
        box.append('detection-results', 'detection-completed', 'http', {'event_id': 'e1', 'n': 1})
        sender.wake()
        deadline = threading.Event()
        while sender.counters['send_errors'] == 0 and not deadline.wait(0.01):
            pass
        transport.down = False                 # the server is back, 30 s of backoff remain
        assert not sender.flush(0.3)           # still waiting out the backoff
        sender.retry_now()                     # the socket reconnected
        assert sender.flush(2.0)
        assert [d['n'] for _, _, d in transport.delivered] == [1]
    finally:
        sender.stop()
