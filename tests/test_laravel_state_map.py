"""The edge on the guide's channel map for a MyRVM that keeps state (docs/laravel.md §3.16).

With docs/laravel/edge/channel_map_myrvm.yaml the bridge sends status, health and timezone as
``client-<event>`` on the machine's private channel, where the guide's listener takes them
(tests/test_laravel_listener.py), and its durable events are still stored and acknowledged.
Real Soketi (playing Reverb) and tests/support/stored_ack_receiver.py (playing the listener).
"""
from __future__ import annotations

from pathlib import Path

from bridge.bridge_support import SECRET_ENV, TOKEN, start_stored_ack_stack, stored_ack_config
from bridge.bridge_support import verdict
from rvm_bridge.bridge_core import BridgeCore
from rvm_common import events

ROOT = Path(__file__).resolve().parents[1]
STATE_MAP = ROOT / 'docs' / 'laravel' / 'edge' / 'channel_map_myrvm.yaml'
CHANNEL = 'private-rvm.rvm-test'
LATEST = {
    events.TOPIC_RVM_STATUS: (events.EVENT_STATUS_UPDATED, {'state': 'online', 'heartbeat_s': 30}),
    events.TOPIC_HEALTH: (events.EVENT_HEALTH_UPDATED, {'temperatures': {}, 'heartbeat_s': 5}),
    events.TOPIC_TIMEZONE: (events.EVENT_TIMEZONE_SYNCED, {'timezone': 'Asia/Jakarta'}),
}


def test_latest_state_goes_as_client_events_and_durable_ones_are_still_acknowledged(
    tmp_path, monkeypatch, pusher_listener
):
    receiver, soketi = start_stored_ack_stack(tmp_path)
    monkeypatch.setenv(SECRET_ENV, soketi.secret)
    monkeypatch.setenv('RVM_BRIDGE_TOKEN', TOKEN)
    # a member of the machine's channel sees what Reverb's MessageReceived would carry
    member = pusher_listener(soketi, [CHANNEL], auth_endpoint=receiver.auth_url, token=TOKEN)
    member.wait_subscribed(CHANNEL)
    core = BridgeCore(
        stored_ack_config(soketi, receiver, tmp_path, channel_map_file=str(STATE_MAP)))
    core.start()
    try:
        sent = {topic: events.make_event(kind, dict(fields), rvm_id='rvm-test')
                for topic, (kind, fields) in LATEST.items()}
        for topic, payload in sent.items():
            core.publish(topic, payload)
        core.publish(events.TOPIC_VERDICT, verdict(1))
        assert core.flush(10.0), (core.status()['delivery'], receiver.errors)
        for topic, payload in sent.items():
            record = member.wait_event(CHANNEL, f'client-{payload["type"]}',
                                       where=lambda d, s=payload: d['event_id'] == s['event_id'])
            assert record and record['data'] == payload, topic
        assert core.status()['delivery']['stored'] == 1 and core.status()['outbox_depth'] == 0
        assert not receiver.errors
    finally:
        core.stop()
        soketi.stop()
        receiver.close()
