"""A server whose size limit is lower than the bridge's: nothing is dead-lettered, nothing blocks.

Soketi refuses event data over ``SOKETI_EVENT_MAX_SIZE_IN_KB`` (here 4 KB): a client event gets
``pusher:error 4301 ... should be less than 4 KB``, the HTTP events API answers 413.  The bridge
halves its batch, lowers its own limit and re-trims the refused rows (``truncated``); the small
verdicts queued behind the big ones arrive too.
"""
from __future__ import annotations

import json

from bridge.bridge_support import (
    SECRET_ENV, TOKEN, bridge_config, outbound_only_map, start_stored_ack_stack)
from bridge.bridge_support import stored_ack_config, verdict
from rvm_bridge.bridge_core import BridgeCore
from rvm_common import events


def _mixed():
    big = [verdict(i, detail='d' * 7_000) for i in range(3)]
    small = [verdict(i) for i in range(3, 6)]
    return big + small


def test_client_events_over_the_servers_limit_are_retrimmed_and_stored(tmp_path, monkeypatch):
    monkeypatch.setenv('RVM_BRIDGE_TOKEN', TOKEN)
    receiver, soketi = start_stored_ack_stack(tmp_path, max_payload_kb=4)
    monkeypatch.setenv(SECRET_ENV, soketi.secret)
    core = BridgeCore(stored_ack_config(soketi, receiver, tmp_path, retry_max_s=0.2))
    core.start()
    try:
        sent = _mixed()
        for payload in sent:
            core.publish(events.TOPIC_VERDICT, payload)
        assert core.flush(30.0), core.status()['last_error']
        status = core.status()
    finally:
        core.stop()
        soketi.stop()
        receiver.close()
    stored = {p['event_id']: p for p in receiver.stored()}
    assert set(stored) == {p['event_id'] for p in sent}
    assert all(stored[p['event_id']].get('truncated') for p in sent[:3])
    assert not any(stored[p['event_id']].get('truncated') for p in sent[3:])
    assert status['dead_lettered'] == 0 and status['outbox']['retrimmed'] >= 3
    assert core.sender.limit < 10_000 and status['delivery']['stored'] == 6     # own limit lowered


def test_http_413_halves_the_batch_then_retrims(tmp_path, monkeypatch, pusher_listener):
    from rvm_bringup.soketi import SoketiServer
    soketi = SoketiServer(log_path=tmp_path / 'soketi.log', max_payload_kb=4).start()
    monkeypatch.setenv(SECRET_ENV, soketi.secret)
    listener = pusher_listener(soketi, ['detection-results'])
    listener.wait_subscribed('detection-results')
    core = BridgeCore(
        bridge_config(soketi, tmp_path, channel_map_file=outbound_only_map(tmp_path)))
    core.start()
    try:
        sent = _mixed()
        for payload in sent:
            core.publish(events.TOPIC_VERDICT, payload)
        assert core.flush(30.0), core.status()['last_error']
        status = core.status()
        got = listener.wait_count(lambda r: r.get('event') == 'detection-completed', 6, timeout=10)
    finally:
        core.stop()
        soketi.stop()
    data = {r['data']['event_id']: r['data'] for r in got}
    assert set(data) == {p['event_id'] for p in sent} and status['dead_lettered'] == 0
    assert all(data[p['event_id']]['truncated'] for p in sent[:3])
    assert all(len(json.dumps(d)) < 4_096 for d in data.values())
