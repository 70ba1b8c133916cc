"""Client-event transport: every server answer is read; a pong never confirms by itself."""

import json
import re

from rvm_bridge.connection.stats import ConnectionStats
from rvm_bridge.connection.state import Timeline
from rvm_bridge.protocol import pusher_protocol as proto
from rvm_bridge.delivery.send_outcome import WireEvent
from rvm_bridge.protocol.stored_ack import StoredAckError, parse_events_stored
from rvm_bridge.transports.client_event import ClientEventTransport

import pytest


class FakeConnection:
    """Writes succeed; ``answer`` is what the server says to each client event (None: nothing)."""

    def __init__(self, answer=None, pong=True):
        self.sent, self.pong, self.answer = [], pong, answer
        self.stats = ConnectionStats(Timeline(10))

    def send_client_event(self, channel, event, data):
        self.sent.append((channel, event, data))
        if self.answer is not None:
            self.stats.server_error(proto.ServerError(4301, self.answer, proto.CloseAction.REPORT))
        return True

    def confirm(self, timeout):
        return self.pong

    def server_answers(self):
        return self.stats


def _events(n, pad=0):
    return [
        WireEvent(i, 'private-rvm.a', 'client-x', json.dumps({'n': i, 'pad': 'x' * pad}), f'e{i}')
        for i in range(n)
    ]


def test_pong_without_errors_means_accepted_only_and_rate_limit_holds():
    now = [0.0]
    conn = FakeConnection()
    transport = ClientEventTransport(conn, rate=10.0, clock=lambda: now[0])
    out = transport.send(_events(25))
    assert out.accepted == list(range(10)) and not out.stored and not out.retry
    assert conn.sent[0] == ('private-rvm.a', 'client-x', {'n': 0, 'pad': ''})
    # no tokens left at the same instant
    assert transport.send(_events(25)[10:]).done() == []


def test_client_events_disabled_is_a_configuration_error_never_confirmed():
    conn = FakeConnection(answer='The app does not have client messaging enabled.')
    out = ClientEventTransport(conn).send(_events(3))
    assert out.retry == [0, 1, 2] and not out.done() and out.config_error and '4301' in out.error


def test_rate_limit_error_is_retryable_and_too_large_error_is_too_large():
    out = ClientEventTransport(
        FakeConnection(answer='The rate limit for sending client events exceeded the quota.')
    ).send(_events(2))
    assert out.retry == [0, 1] and not out.config_error and not out.too_large
    out = ClientEventTransport(
        FakeConnection(answer='The event data should be less than 10 KB.')).send(_events(1))
    assert out.retry == [0] and out.too_large


def test_no_pong_means_retry():
    out = ClientEventTransport(FakeConnection(pong=False)).send(_events(2))
    assert out.retry == [0, 1] and not out.done()


def test_a_frame_over_max_message_bytes_is_not_written_and_does_not_block_the_ones_before():
    conn = FakeConnection()
    events = _events(2)
    events.append(WireEvent(2, 'private-rvm.a', 'client-x', json.dumps({'pad': 'x' * 2000}), 'e2'))
    out = ClientEventTransport(conn, max_message_bytes=1000).send(events)
    assert out.accepted == [0, 1] and out.retry == [2] and out.too_large and out.largest > 2000
    assert len(conn.sent) == 2


def test_events_stored_payload():
    ids = ['0b8f6f0e-3c9a-4d7e-9a54-6d3f1f2b9c11', '5c1f0d7e-0a8e-4f35-9d8e-0c5f3b8c9a10']
    ok = {'type': 'events-stored', 'version': 1, 'rvm_id': 'r1', 'event_ids': ids}
    assert parse_events_stored(ok, 'r1') == ids
    assert parse_events_stored(json.dumps(ok), 'r1') == ids
    assert parse_events_stored({k: v for k, v in ok.items() if k != 'rvm_id'}, 'r1') == ids
    broken = {
        'other machine': ({**ok, 'rvm_id': 'r2'}, "rvm_id 'r2'"),
        'ids not a list': ({**ok, 'event_ids': ids[0]}, '/event_ids'),
        'id not a string': ({**ok, 'event_ids': [1]}, '/event_ids/0'),
        'too many ids': ({**ok, 'event_ids': ids * 501}, '/event_ids'),
        'no type': ({k: v for k, v in ok.items() if k != 'type'}, "'type' is a required property"),
        'a list': ('[1]', 'events-stored: /:'), 'not JSON': ('nope', 'not JSON')}
    for case, (bad, message) in broken.items():
        with pytest.raises(StoredAckError, match=re.escape(message)):
            parse_events_stored(bad, 'r1')
