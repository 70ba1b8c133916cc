"""Transport client-event: client- events on a private channel over the bridge's own socket."""
from __future__ import annotations

import pytest

from bridge.bridge_support import SECRET_ENV, TOKEN, start_stored_ack_stack, stored_ack_config
from bridge.bridge_support import verdict
from rvm_bridge.bridge_core import BridgeCore
from rvm_common import events

CHANNEL = 'private-rvm.rvm-test'
MAP = """
outbound:
  - {topic: items/verdict, channel: "private-rvm.{rvm_id}", event: detection-completed,
     transport: client-event, delivery: durable}
  - {topic: health, channel: "private-rvm.{rvm_id}", event: health-updated,
     transport: client-event, delivery: latest}
"""


@pytest.fixture
def setup(tmp_path, monkeypatch, pusher_listener):
    # durable client events wait for the stored ack
    receiver, soketi = start_stored_ack_stack(tmp_path)
    monkeypatch.setenv(SECRET_ENV, soketi.secret)
    monkeypatch.setenv('RVM_BRIDGE_TOKEN', TOKEN)
    cmap = tmp_path / 'map.yaml'
    cmap.write_text(MAP)
    dashboard = pusher_listener(soketi, [CHANNEL], auth_endpoint=receiver.auth_url, token=TOKEN)
    dashboard.wait_subscribed(CHANNEL)
    core = BridgeCore(stored_ack_config(soketi, receiver, tmp_path, channel_map_file=str(cmap)))
    core.start()
    yield core, dashboard
    core.stop()
    soketi.stop()
    receiver.close()


def test_durable_client_events_in_order_within_rate_limit(setup):
    core, dashboard = setup
    for i in range(30):
        core.publish(events.TOPIC_VERDICT, verdict(i))
    assert core.flush(20.0)
    got = dashboard.wait_count(
        lambda r: r.get('event') == 'client-detection-completed', 30, timeout=10)
    assert [r['data']['n'] for r in got] == list(range(30))
    assert [r['data']['seq'] for r in got] == list(range(1, 31))
    span_s = (got[-1]['received_at_ms'] - got[0]['received_at_ms']) / 1000.0
    assert span_s >= 1.7            # 10 at once, then 10 per second: the last 20 need >= 2 s
    assert core.status()['outbox_depth'] == 0 and core.status()['delivery']['stored'] == 30


def test_latest_client_events_coalesce(setup):
    core, dashboard = setup
    for i in range(200):
        core.publish(events.TOPIC_HEALTH, events.make_event(events.EVENT_HEALTH_UPDATED, {'n': i}))
    assert core.flush(10.0)
    last = dashboard.wait_event(CHANNEL, 'client-health-updated', where=lambda d: d['n'] == 199)
    received = [r['data']['n'] for r in dashboard.events(CHANNEL, 'client-health-updated')]
    assert last and len(received) < 50 and received == sorted(received)
