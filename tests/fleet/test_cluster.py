"""A real scaled cluster: Soketi nodes A and B on the Redis adapter; edge on A, dashboard on B."""

from __future__ import annotations

import queue
import time

from bridge.bridge_support import TOKEN, bridge_config, verdict
from rvm_bridge.bridge_core import BridgeCore
from rvm_common import events

MACHINE = 'rvm-fleet-a'
CHANNEL = f'private-rvm.{MACHINE}'


def _next(out: queue.Queue, topic: str, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            got_topic, payload = out.get(timeout=0.2)
        except queue.Empty:
            continue
        if got_topic == topic:
            return payload
    raise AssertionError(f'nothing on {topic} within {timeout} s')


def test_an_event_triggered_on_node_a_reaches_a_dashboard_on_node_b(cluster, pusher_listener):
    _, servers = cluster
    a, b = servers.node(0), servers.node(1)
    assert a.port != b.port and servers.redis.ping()
    dashboard = pusher_listener(b, ['detection-results'])
    dashboard.wait_subscribed('detection-results', 30)
    assert a.pusher_client().trigger('detection-results', 'detection-completed', {'n': 1})
    assert dashboard.wait_event('detection-results', 'detection-completed', 20)['data'] == {'n': 1}


def test_private_channel_auth_and_client_events_work_across_nodes(
    cluster, tmp_path, pusher_listener
):
    receiver, servers = cluster
    a, b = servers.node(0), servers.node(1)
    dashboard = pusher_listener(
        b, [CHANNEL, 'detection-results'], auth_endpoint=receiver.auth_url, token=TOKEN)
    dashboard.wait_subscribed(CHANNEL, 30)                    # signed by MyRVM for B's socket
    out: queue.Queue = queue.Queue()
    core = BridgeCore(
        bridge_config(
            a, tmp_path, rvm_id=MACHINE, api_base=receiver.api_base, auth_retry_s=0.5,
            ack_timeout_s=5.0),
        lambda topic, payload: out.put((topic, payload)),
    )
    core.start()
    try:
        sent = [verdict(i, rvm_id=MACHINE) for i in range(5)]
        for payload in sent:
            core.publish(events.TOPIC_VERDICT, payload)
        # events-stored came back through B -> A
        assert core.flush(60.0), core.status()['last_error']
        ids = {p['event_id'] for p in sent}
        # the edge's client events, written to A, reached the browser on B through Redis
        relayed = dashboard.wait_count(
            lambda r: r.get('event') == 'client-detection-completed', 5, timeout=20)
        assert {r['data']['event_id'] for r in relayed} == ids and {
            r['channel'] for r in relayed} == {CHANNEL}
        assert receiver.stored_ids() == ids and receiver.duplicates() == 0
        rebroadcast = dashboard.wait_count(
            lambda r: r.get('event') == 'detection-completed', 5, timeout=20)
        assert {r['data']['event_id'] for r in rebroadcast} == ids
        # and the other way: a client event from the browser on B reaches the edge on A
        assert dashboard.trigger(
            CHANNEL, 'client-manual-sync', {'timezone': 'Europe/Berlin', 'request_id': 'r-1'})
        request = _next(out, events.TOPIC_MANUAL_SYNC)
        assert request['timezone'] == 'Europe/Berlin'
        synced = _next(out, events.TOPIC_TIMEZONE)
        assert synced['request_id'] == 'r-1'
        status = core.status()
        assert status['delivery']['stored'] == 5 and f':{a.port}/' in status['connection']['url']
    finally:
        core.stop()
