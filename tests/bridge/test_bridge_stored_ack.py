"""Stored-ack delivery against a real Soketi, with the receiver playing MyRVM's listener."""
from __future__ import annotations

import time

import pytest

from bridge.bridge_support import (
    SECRET_ENV, TOKEN, start_stored_ack_stack, stored_ack_config, verdict)
from rvm_bridge.bridge_core import BridgeCore
from rvm_bridge.delivery.summary import summary_text
from rvm_common import events


@pytest.fixture
def stack(tmp_path, monkeypatch, request):
    monkeypatch.setenv('RVM_BRIDGE_TOKEN', TOKEN)
    receiver, soketi = start_stored_ack_stack(
        tmp_path, client_messages=getattr(request, 'param', True))
    monkeypatch.setenv(SECRET_ENV, soketi.secret)
    yield receiver, soketi
    soketi.stop()
    receiver.close()


def _wait(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_every_verdict_is_stored_once_acknowledged_and_rebroadcast(
    stack, tmp_path, pusher_listener
):
    receiver, soketi = stack
    dashboard = pusher_listener(soketi, ['detection-results'])
    dashboard.wait_subscribed('detection-results')
    core = BridgeCore(stored_ack_config(soketi, receiver, tmp_path))
    core.start()
    try:
        sent = [verdict(i) for i in range(20)]
        for payload in sent:
            core.publish(events.TOPIC_VERDICT, payload)
        core.publish(events.TOPIC_VERDICT, sent[0])           # re-published: not a second row
        assert core.flush(30.0), core.status()['last_error']
        status = core.status()
    finally:
        core.stop()
    assert receiver.stored_ids() == {p['event_id'] for p in sent}
    stored = receiver.stored()
    assert (
        sorted(p['seq'] for p in stored) == list(range(1, 21))
        and len({p['outbox_id'] for p in stored}) == 1
    )
    assert status['delivery']['stored'] == 20 and status['delivery']['awaiting_ack'] == 0
    assert status['published']['duplicates'] == 1 and status['dead_lettered'] == 0
    assert 'every durable event delivered (20 stored' in summary_text(status)
    got = dashboard.wait_count(lambda r: r.get('event') == 'detection-completed', 20, timeout=10)
    assert {r['data']['event_id'] for r in got} == receiver.stored_ids()


@pytest.mark.parametrize('stack', [False], indirect=True)
def test_client_events_disabled_keeps_every_row_and_says_why(stack, tmp_path):
    receiver, soketi = stack
    core = BridgeCore(stored_ack_config(soketi, receiver, tmp_path, auth_retry_s=60.0))
    core.start()
    try:
        for i in range(5):
            core.publish(events.TOPIC_VERDICT, verdict(i))
        assert _wait(lambda: core.status()['paused'], 15.0)
        assert not core.flush(0.5)
        status = core.status()
    finally:
        core.stop()
    assert (
        '4301' in status['paused']['client-event']
        and 'client events refused' in status['last_error']
    )
    d = status['delivery']
    assert (d['stored'], d['awaiting_ack'], d['in_outbox'], d['dead_lettered']) == (0, 0, 5, 0)
    assert d['failed'] >= 1 and receiver.stored_ids() == set()
    text = summary_text(status)
    assert 'delivered' not in text and '0 stored' in text and '5 durable events remain' in text
