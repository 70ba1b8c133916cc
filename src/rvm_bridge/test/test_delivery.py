"""Sender: in-order durable delivery, stored acks, pauses and sizes.

No server answer turns a row into a dead letter.
"""

import json
import threading

from rvm_bridge.delivery.sender import Sender
from rvm_bridge.outbox.outbox import Outbox
from rvm_bridge.delivery.send_outcome import SendOutcome, WireEvent
from rvm_bridge.transports.client_event import TokenBucket


class FakeTransport:
    """Records what it is asked to send; ``down`` makes each send a retry; ``answer`` overrides."""

    def __init__(self):
        self.down = False
        self.reject = set()
        self.answer = None           # callable(batch) -> SendOutcome | None
        self.delivered = []
        self.calls = []
        self.lock = threading.Lock()

    def send(self, events):
        batch = events[:10]
        with self.lock:
            self.calls.append([e.key for e in batch])
            if self.answer is not None:
                out = self.answer(batch)
                if out is not None:
                    return out
            if self.down:
                return SendOutcome(retry=[e.key for e in batch], error='down')
            out = SendOutcome()
            for e in batch:
                data = json.loads(e.data)
                if data.get('n') in self.reject:
                    out.rejected.append((e.key, 'HTTP 400'))
                else:
                    self.delivered.append((e.channel, e.event, data))
                    out.accepted.append(e.key)
            return out


def _sender(tmp_path, transport, kind='http', **kw):
    box = Outbox(tmp_path / 'o.db')
    kw.setdefault('retry_min_s', 0.01)
    kw.setdefault('retry_max_s', 0.05)
    sender = Sender(box, {kind: transport}, **kw)
    return box, sender


def _wait(predicate, timeout=10.0):
    done = threading.Event()
    for _ in range(int(timeout / 0.01)):
        if predicate():
            return True
        done.wait(0.01)
    return predicate()


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
    assert sender.counters['accepted_fanout'] == 50 and sender.counters['stored'] == 0


def test_a_rejected_durable_event_is_kept_and_retried_never_dead_lettered(tmp_path):
    fake = FakeTransport()
    fake.reject = {3}
    box, sender = _sender(tmp_path, fake)
    sender.start()
    for i in range(6):
        box.append('c', 'e', 'http', {'event_id': f'e{i}', 'n': i})
    sender.wake()
    assert _wait(lambda: sender.counters['server_rejected'] >= 2)
    assert box.depth() == 1 and box.peek(1)[0].event_id == 'e3' and box.dead_letters() == []
    fake.reject = set()
    assert sender.flush(5.0)
    sender.stop()
    assert [d['n'] for _, _, d in fake.delivered] == [0, 1, 2, 4, 5, 3]


def test_client_events_wait_for_the_stored_ack_and_are_resent_after_the_timeout(tmp_path):
    now = [100.0]
    fake = FakeTransport()
    box, sender = _sender(
        tmp_path, fake, kind='client-event', ack_timeout_s=30.0, clock=lambda: now[0])
    for i in range(3):
        box.append(
            'private-rvm.a', 'client-detection-completed', 'client-event',
            {'event_id': f'e{i}', 'n': i})
    sender.start()
    try:
        sender.wake()
        assert _wait(lambda: sender.stats()['awaiting_ack'] == 3)
        # accepted is not stored: rows stay
        assert box.depth() == 3 and len(fake.calls) == 1
        # inside the ack window: no re-send
        assert not sender.flush(0.2) and len(fake.calls) == 1
        assert sender.acknowledge(['e0', 'e2', 'unknown']) == 2
        assert [e.event_id for e in box.peek(10)] == ['e1'] and sender.counters[
            'acks_unknown'] == 1
        # no ack for e1 within ack_timeout_s
        now[0] += 31.0
        sender.wake()
        assert _wait(lambda: len(fake.calls) == 2)
        # same event, same id
        assert fake.calls[1] == [2] and fake.delivered[-1][2]['event_id'] == 'e1'
        assert sender.acks.counters['resent'] == 1
        assert sender.acknowledge(['e1']) == 1 and sender.flush(1.0)
        assert sender.counters['stored'] == 3 and box.dead_letters() == []
    finally:
        sender.stop()


def test_reconnect_resends_what_waits_for_an_ack(tmp_path):
    fake = FakeTransport()
    box, sender = _sender(tmp_path, fake, kind='client-event', ack_timeout_s=3600.0)
    box.append('private-rvm.a', 'client-x', 'client-event', {'event_id': 'e0', 'n': 0})
    sender.start()
    try:
        sender.wake()
        assert _wait(lambda: sender.stats()['awaiting_ack'] == 1)
        sender.retry_now()                     # acks published while the socket was down are lost
        assert _wait(lambda: len(fake.calls) == 2)
        assert box.depth() == 1
    finally:
        sender.stop()


def test_configuration_error_pauses_the_route_and_keeps_every_row(tmp_path):
    fake = FakeTransport()
    fake.answer = lambda batch: SendOutcome(retry=[e.key for e in batch], config_error=True,
                                            error='HTTP 404 (unknown app id)')
    box, sender = _sender(tmp_path, fake, config_retry_s=3600.0)
    for i in range(12):
        box.append('c', 'e', 'http', {'event_id': f'e{i}', 'n': i})
    sender.start()
    try:
        sender.wake()
        assert _wait(lambda: sender.paused)
        assert not sender.flush(0.2) and len(fake.calls) == 1            # paused: no tight loop
        assert box.depth() == 12 and box.dead_letters() == []
        assert 'unknown app id' in sender.stats()['paused']['http']
        fake.answer = None                                               # configuration fixed
        sender.retry_now()
        assert sender.flush(5.0) and not sender.paused
    finally:
        sender.stop()


def test_too_large_halves_the_batch_then_retrims_under_a_lowered_limit(tmp_path):
    fake = FakeTransport()
    refits = []

    def answer(batch):
        if len(batch) > 1 or json.loads(batch[0].data).get('big'):
            return SendOutcome(
                retry=[e.key for e in batch], too_large=True, largest=9000, error='HTTP 413')
        return None
    fake.answer = answer

    def refit(entry, limit):
        refits.append(limit)
        return json.dumps({**json.loads(entry.payload), 'big': False, 'truncated': True})
    box, sender = _sender(tmp_path, fake, refit=refit, limit=10_000)
    for i in range(4):
        box.append('c', 'e', 'http', {'event_id': f'e{i}', 'n': i, 'big': i == 0})
    sender.start()
    try:
        sender.wake()
        assert sender.flush(5.0)
    finally:
        sender.stop()
    assert [len(c) for c in fake.calls[:3]] == [4, 2, 1]
    assert refits == [8100] and sender.limit == 8100
    assert fake.delivered[0][2] == {
        'event_id': 'e0', 'n': 0, 'big': False, 'truncated': True, 'seq': 1,
        'outbox_id': box.outbox_id}
    assert [d['n'] for _, _, d in fake.delivered] == [0, 1, 2, 3] and box.dead_letters() == []


def test_latest_coalesces_during_an_outage(tmp_path):
    fake = FakeTransport()
    box, sender = _sender(tmp_path, fake)
    fake.down = True
    sender.start()
    for i in range(20):
        sender.put_latest(
            'http', WireEvent(None, 'rvm-status', 'health-updated', json.dumps({'n': i})))
        sender.put_latest(
            'http', WireEvent(None, 'rvm-status', 'status-updated', json.dumps({'n': 100 + i})))
    assert sender.latest_pending() == 2
    fake.down = False
    assert sender.flush(5.0)
    sender.stop()
    assert sorted(d['n'] for _, _, d in fake.delivered) == [19, 119]
    assert sender.counters['latest_coalesced'] == 38


def test_token_bucket():
    now = [0.0]
    bucket = TokenBucket(10.0, clock=lambda: now[0])
    assert sum(bucket.take() for _ in range(15)) == 10
    assert bucket.wait_time() == 0.1
    now[0] = 0.5
    assert bucket.available() == 5


def test_retry_now_skips_the_remaining_backoff_once_the_server_is_back(tmp_path):
    transport = FakeTransport()
    transport.down = True
    box = Outbox(tmp_path / 'o.db')
    sender = Sender(box, {'http': transport}, retry_min_s=30.0, retry_max_s=30.0)
    sender.start()
    try:
        box.append('detection-results', 'detection-completed', 'http', {'event_id': 'e1', 'n': 1})
        sender.wake()
        assert _wait(lambda: sender.counters['send_errors'] > 0)
        transport.down = False                 # the server is back, 30 s of backoff remain
        assert not sender.flush(0.3)           # still waiting out the backoff
        sender.retry_now()                     # the socket reconnected
        assert sender.flush(2.0)
        assert [d['n'] for _, _, d in transport.delivered] == [1]
    finally:
        sender.stop()


def test_an_ack_that_overtakes_the_send_leaves_nothing_awaiting(tmp_path):
    # the events-stored ack arrives on the socket thread before send() has returned (a loaded
    # machine): the stored row must not be counted as awaiting an ack afterwards
    fake = FakeTransport()
    box, sender = _sender(tmp_path, fake, kind='client-event', ack_timeout_s=3600.0)
    for i in range(3):
        box.append('private-rvm.a', 'client-x', 'client-event', {'event_id': f'e{i}', 'n': i})

    acked_inside = []       # asserted below, in the test's thread: the sender thread catches

    def ack_before_returning(batch):
        acked_inside.append(sender.acknowledge(['e0', 'e1']))
        return SendOutcome(accepted=[e.key for e in batch])

    fake.answer = ack_before_returning
    sender.start()
    try:
        sender.wake()
        assert _wait(lambda: len(fake.calls) == 1 and sender.stats()['awaiting_ack'] == 1)
        assert acked_inside == [2]
        assert sender.stats()['awaiting_seqs'] == [3] and box.depth() == 1
        fake.answer = None
        assert sender.acknowledge(['e2']) == 1 and sender.flush(1.0)
        assert sender.stats()['awaiting_ack'] == 0 and sender.acks.counters['acked'] == 3
    finally:
        sender.stop()
