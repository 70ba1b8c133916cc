"""ConnectionStats: counters, last-seen facts over sockets, pong/error timeline, log throttling."""

import logging

from rvm_bridge.protocol import pusher_protocol as proto
from rvm_bridge.connection.state import Timeline
from rvm_bridge.connection.stats import COUNTER_NAMES, ConnectionStats


class _Session:
    def __init__(self, pings, pongs):
        self.pings_sent, self.pongs_received = pings, pongs


def test_every_counter_starts_at_zero_and_the_snapshot_has_the_last_seen_facts():
    snap = ConnectionStats(Timeline()).snapshot(None)
    assert {name: snap[name] for name in COUNTER_NAMES} == dict.fromkeys(COUNTER_NAMES, 0)
    assert (snap['last_error'], snap['last_close_code'], snap['last_pong_latency_ms']) == (
        '', None, None)


def test_reconnects_are_the_connects_after_the_first():
    stats = ConnectionStats(Timeline())
    for _ in range(3):
        stats.established()
    assert (stats.counters['connects'], stats.counters['reconnects']) == (3, 2)


def test_ping_totals_add_closed_sockets_to_the_live_one():
    stats = ConnectionStats(Timeline())
    stats.socket_closed(_Session(4, 3))
    stats.socket_closed(None)
    snap = stats.snapshot(_Session(2, 2))
    assert (snap['pings_sent'], snap['pongs_received']) == (6, 5)


def test_pongs_reach_the_timeline_every_30_s_or_when_slow():
    timeline = Timeline()
    stats = ConnectionStats(timeline)
    stats.pong(proto.PongReceived(0.0123, 1), now=100.0)
    stats.pong(proto.PongReceived(0.01, 2), now=110.0)          # too soon, fast: latency only
    stats.pong(proto.PongReceived(1.5, 3), now=115.0)           # slow: always recorded
    stats.pong(proto.PongReceived(None, 4), now=200.0)          # unsolicited: ignored
    assert [e['latency_ms'] for e in timeline.entries('pong')] == [12.3, 1500.0]
    assert stats.last_pong_latency_ms == 1500.0


def test_server_error_is_counted_described_and_on_the_timeline():
    timeline = Timeline()
    stats = ConnectionStats(timeline)
    text = stats.server_error(
        proto.ServerError(4201, 'Pong reply not received', proto.CloseAction.RECONNECT_NOW))
    assert text == 'pusher:error 4201: Pong reply not received' == stats.last_error
    assert stats.counters['server_errors'] == 1
    assert timeline.entries('error')[-1]['code'] == 4201


def test_a_flood_of_malformed_frames_logs_the_first_ten_then_every_hundredth(caplog):
    stats = ConnectionStats(Timeline())
    with caplog.at_level(logging.WARNING, logger='rvm_bridge.connection.stats'):
        for _ in range(250):
            stats.malformed(proto.Malformed('not json', '{oops'))
    assert stats.counters['malformed'] == 250
    assert len(caplog.records) == 12
