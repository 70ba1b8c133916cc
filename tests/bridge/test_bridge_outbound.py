"""Outbound delivery through a real Soketi to a real pusher-js subscriber."""
from __future__ import annotations

import json
import time

import pytest

from bridge.bridge_support import SECRET_ENV, TOKEN, bridge_config, outbound_only_map, verdict
from bridge.bridge_support import start_stored_ack_stack, stored_ack_config
from rvm_bridge.bridge_core import BridgeCore
from rvm_bridge.routing.channel_map import FANOUT_MAP, load_channel_map
from rvm_common import events


@pytest.fixture(autouse=True)
def app_secret(soketi, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, soketi.secret)


def _default_payloads():
    def mk(event_type, fields):
        return events.make_event(event_type, fields, rvm_id='rvm-test')   # the bridge's machine id
    return {
        events.TOPIC_RVM_STATUS: mk(
            events.EVENT_STATUS_UPDATED,
            {
                'state': 'idle', 'previous_state': 'online', 'reasons': [], 'alerts': [],
                'since': 'x'},
        ),
        events.TOPIC_HEALTH: mk(
            events.EVENT_HEALTH_UPDATED, {'cpu': {'percent': 12.5}, 'uptime_s': 3.0}),
        events.TOPIC_VERDICT: verdict(1),
        events.TOPIC_PROCESSING: mk(
            events.EVENT_PROCESSING_UPDATED,
            {'item_id': 'item-1', 'session_id': 's', 'status': 'completed', 'detail': ''}),
        # the durable copy of a `failed` update (an episode that ended with no verdict)
        events.TOPIC_ITEM_FAILED: mk(
            events.EVENT_PROCESSING_UPDATED,
            {'item_id': 'item-2', 'session_id': 's', 'status': 'failed', 'detail': 'left'}),
        events.TOPIC_SESSION: mk(
            events.EVENT_SESSION_COMPLETED,
            {
                'session_id': 's', 'counts': {'pet_bottle': 1}, 'accepted': 1, 'rejected': 0,
                'total': 1},
        ),
        events.TOPIC_TIMEZONE: mk(
            events.EVENT_TIMEZONE_SYNCED,
            {'timezone': 'Asia/Jakarta', 'utc_offset': '+07:00', 'status': 'synced'}),
    }


def test_every_default_mapping_arrives(pusher_listener, tmp_path, monkeypatch):
    # durable ones reach dashboards via MyRVM
    receiver, soketi = start_stored_ack_stack(tmp_path)
    monkeypatch.setenv(SECRET_ENV, soketi.secret)
    monkeypatch.setenv('RVM_BRIDGE_TOKEN', TOKEN)
    # where dashboards see each event
    public = load_channel_map(str(FANOUT_MAP), rvm_id='r').routes
    channels = sorted({route.channel for route in public.values()})
    listener = pusher_listener(soketi, channels)
    for channel in channels:
        listener.wait_subscribed(channel)
    core = BridgeCore(stored_ack_config(soketi, receiver, tmp_path))
    core.start()
    try:
        payloads = _default_payloads()
        for topic, payload in payloads.items():
            core.publish(topic, payload)
        assert core.flush(10.0), (
            core.status()['delivery'], core.status()['last_error'], receiver.errors)
        for topic, route in public.items():
            channel, event, delivery = route.channel, route.event, route.delivery
            sent = payloads[topic]
            record = listener.wait_event(
                channel, event, where=lambda d, s=sent: d['event_id'] == s['event_id'])
            expected = dict(sent, seq=record['data'].get('seq'), outbox_id=core.outbox.outbox_id) \
                if delivery == 'durable' else sent
            assert record['data'] == expected, topic
            assert (delivery == 'durable') == isinstance(record['data'].get('seq'), int), topic
    finally:
        core.stop()
        soketi.stop()
        receiver.close()


def test_soketi_killed_500_durable_events_all_arrive_in_order(
    soketi, pusher_listener, tcp_proxy, tmp_path
):
    # the bridge reaches Soketi through a proxy we can hold
    proxy = tcp_proxy(soketi.port)
    listener = pusher_listener(soketi, ['detection-results'])
    listener.wait_subscribed('detection-results')
    core = BridgeCore(bridge_config(soketi, tmp_path, port=proxy.port,
                                    channel_map_file=outbound_only_map(tmp_path)))
    core.start()
    try:
        core.publish(events.TOPIC_VERDICT, verdict(0))
        listener.wait_event('detection-results', 'detection-completed')
        soketi.kill()
        sent = [verdict(i) for i in range(1, 501)]
        t0 = time.monotonic()
        for payload in sent:
            core.publish(events.TOPIC_VERDICT, payload)
        assert time.monotonic() - t0 < 5.0            # publish never waits for the dead server
        # the bridge notices the dead server (bounded wait on it, not a fixed pause)
        deadline = time.monotonic() + 30
        while not core.status()['last_error'] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert core.outbox.settle(10.0)               # grouped appends (outbox_group_ms) committed
        status = core.status()
        assert status['outbox_depth'] >= 490 and status['last_error']
        # hold the bridge until a dashboard is subscribed again: a freshly opened one (pusher-js's
        # own reconnect, ~15 s after a refused attempt, is tested in test_harness.py)
        proxy.pause()
        soketi.restart()
        listener = pusher_listener(soketi, ['detection-results'])
        listener.wait_subscribed('detection-results', timeout=30)
        proxy.resume()
        assert core.flush(60.0)
        got = listener.wait_count(lambda r: r.get('event') == 'detection-completed'
                                  and r['data'].get('n', 0) >= 1, 500, timeout=20)
    finally:
        core.stop()
    data = [r['data'] for r in got]
    by_id = {}
    for d in data:
        by_id.setdefault(d['event_id'], d['seq'])
        # a duplicate is the same event (id and seq)
        assert by_id[d['event_id']] == d['seq']
    assert set(by_id) == {p['event_id'] for p in sent}  # none lost
    first_seen = list(dict.fromkeys(d['event_id'] for d in data))
    assert first_seen == [p['event_id'] for p in sent]  # in order
    seqs = [by_id[e] for e in first_seen]
    assert seqs == sorted(seqs) and len(set(seqs)) == 500


def test_oversized_verdict_arrives_truncated_under_limit(soketi, pusher_listener, tmp_path):
    listener = pusher_listener(soketi, ['detection-results'])
    listener.wait_subscribed('detection-results')
    core = BridgeCore(
        bridge_config(soketi, tmp_path, channel_map_file=outbound_only_map(tmp_path)))
    core.start()
    try:
        big = verdict(7, polygon_points=4000, detail='d' * 20_000)
        assert len(json.dumps(big)) > 50_000
        core.publish(events.TOPIC_VERDICT, big)
        assert core.flush(10.0)
        data = listener.wait_event('detection-results', 'detection-completed')['data']
    finally:
        core.stop()
    assert (
        data['truncated'] is True
        and data['event_id'] == big['event_id']
        and data['item_id'] == 'item-7'
    )
    wire = json.dumps({'name': 'detection-completed', 'channels': ['detection-results'],
                       'data': json.dumps(data, separators=(',', ':'))}, separators=(',', ':'))
    assert len(wire.encode()) <= 10_000
