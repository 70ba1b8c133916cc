"""Inbound via a real Soketi: manual-sync (HTTP-triggered and as a client event) and commands."""

from __future__ import annotations

import queue
import time

import pytest

from bridge.bridge_support import SECRET_ENV, bridge_config
from support.laravel_auth import LaravelAuthServer
from rvm_bridge.bridge_core import BridgeCore
from rvm_common import events

TOKEN = 'edge-token-123'
MACHINE_CHANNEL = 'private-rvm.rvm-test'


@pytest.fixture
def laravel(soketi):
    stub = LaravelAuthServer(
        app_id=soketi.app_id, key=soketi.key, secret=soketi.secret, token=TOKEN).start()
    yield stub
    stub.close()


@pytest.fixture
def bridge(soketi, laravel, tmp_path, monkeypatch):
    """A started BridgeCore with the bundled map; yields (core, queue of (topic, payload))."""
    monkeypatch.setenv(SECRET_ENV, soketi.secret)
    monkeypatch.setenv('RVM_BRIDGE_TOKEN', TOKEN)
    out: queue.Queue = queue.Queue()
    core = BridgeCore(
        bridge_config(soketi, tmp_path, api_base=laravel.api_base, timezone='Asia/Jakarta'),
        on_inbound=lambda topic, payload: out.put((topic, payload)))
    core.start()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        subs = core.connection.subscriptions()
        if subs and all(state == 'subscribed' for state in subs.values()):
            break
        time.sleep(0.05)
    else:
        pytest.fail(f'bridge subscriptions not ready: {core.connection.subscriptions()}')
    yield core, out
    core.stop()


def _next(out: queue.Queue, topic: str, timeout: float = 10.0, where=lambda p: True) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f'nothing on {topic} within {timeout} s')
        try:
            got_topic, payload = out.get(timeout=remaining)
        except queue.Empty:
            continue
        if got_topic == topic and where(payload):
            return payload


def test_http_triggered_manual_sync_produces_timezone_synced(soketi, bridge, pusher_listener):
    core, out = bridge
    listener = pusher_listener(soketi, [events.CHANNEL_TIMEZONE])
    listener.wait_subscribed(events.CHANNEL_TIMEZONE)
    soketi.pusher_client().trigger(events.CHANNEL_TIMEZONE, events.EVENT_MANUAL_SYNC,
                                   {'timezone': 'Asia/Makassar', 'requested_by': 'admin@myrvm'})
    request = _next(out, events.TOPIC_MANUAL_SYNC)
    assert request['requested_by'] == 'admin@myrvm'
    synced = _next(out, events.TOPIC_TIMEZONE, where=lambda p: p['trigger'] == 'manual')
    assert synced['status'] == 'synced' and synced['timezone'] == 'Asia/Makassar'
    assert synced['utc_offset'] == '+08:00' and abs(synced['clock_offset_ms']) < 2000
    record = listener.wait_event(events.CHANNEL_TIMEZONE, events.EVENT_TIMEZONE_SYNCED,
                                 where=lambda d: d.get('trigger') == 'manual')
    assert record['data']['event_id'] == synced['event_id']


def test_client_event_manual_sync_and_command(soketi, laravel, bridge, pusher_listener):
    core, out = bridge
    dashboard = pusher_listener(soketi, [MACHINE_CHANNEL], auth_endpoint=laravel.url, token=TOKEN)
    dashboard.wait_subscribed(MACHINE_CHANNEL)
    assert dashboard.trigger(MACHINE_CHANNEL, 'client-manual-sync', {'timezone': 'Europe/Berlin'})
    synced = _next(out, events.TOPIC_TIMEZONE, where=lambda p: p['trigger'] == 'manual')
    assert synced['timezone'] == 'Europe/Berlin' and synced['status'] == 'synced'
    # a browser
    assert dashboard.trigger(MACHINE_CHANNEL, 'client-command', {'command': 'maintenance_on'})
    soketi.pusher_client().trigger(
        MACHINE_CHANNEL, events.EVENT_COMMAND, {'command': 'end_session'})
    # only the server's command
    assert _next(out, events.TOPIC_COMMAND)['command'] == 'end_session'
    deadline = time.monotonic() + 5.0
    while core.status()['inbound']['rejected_client_command'] < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert core.status()['inbound']['rejected_client_command'] == 1
    left = []
    while not out.empty():
        left.append(out.get_nowait())
    assert all(p.get('command') != 'maintenance_on' for t, p in left if t == events.TOPIC_COMMAND)


def test_malformed_and_unknown_inbound_are_counted_and_ignored(soketi, bridge):
    core, out = bridge
    sdk = soketi.pusher_client()
    sdk.trigger(MACHINE_CHANNEL, events.EVENT_COMMAND, {'command': 'self_destruct'})
    sdk.trigger(MACHINE_CHANNEL, events.EVENT_COMMAND, '{not json')
    sdk.trigger(MACHINE_CHANNEL, 'surprise', {'x': 1})
    sdk.trigger(events.CHANNEL_TIMEZONE, events.EVENT_MANUAL_SYNC, ['a', 'list'])
    sdk.trigger(MACHINE_CHANNEL, events.EVENT_COMMAND, {'command': 'maintenance_on'})
    assert _next(out, events.TOPIC_COMMAND)['command'] == 'maintenance_on'   # still alive
    stats = core.status()['inbound']
    assert stats['malformed'] == 3 and stats['unknown'] == 1 and stats['accepted'] == 1
