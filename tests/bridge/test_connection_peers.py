"""PusherConnection against real peers, a Laravel-like auth endpoint and a TCP proxy for faults.

The peers are Soketi (standing in for Reverb) and pusher-js (as the dashboard)."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from rvm_bridge.connection.pusher_connection import (
    ConnectionSettings, ConnectionState, PusherConnection)

from support.laravel_auth import LaravelAuthServer

S = ConnectionState
TOKEN = 'edge-token-5f2c9e'
TOKEN_ENV = 'RVM_TEST_BRIDGE_TOKEN'
PRIVATE = 'private-rvm.rvm-1'
PRESENCE = 'presence-rvm-fleet'


def wait_until(predicate, timeout=10.0, interval=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


class Recorder:
    """on_event / on_state_change sink."""

    def __init__(self):
        self.events = []
        self.states = []
        self.lock = threading.Lock()

    def on_event(self, channel, event, data):
        with self.lock:
            self.events.append((channel, event, data))

    def on_state(self, previous, current, reason):
        with self.lock:
            self.states.append((previous, current, reason))

    def received(self, event):
        with self.lock:
            return [e for e in self.events if e[1] == event]


@pytest.fixture
def auth_server(soketi):
    server = LaravelAuthServer(soketi.app_id, soketi.key, soketi.secret, TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def connect(soketi, auth_server, monkeypatch):
    """Factory: a started PusherConnection to Soketi (or ``port``), stopped at teardown."""
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    made = []

    def make(channels=(), *, port=None, recorder=None, **overrides):
        recorder = recorder or Recorder()
        settings = ConnectionSettings(
            host=soketi.host, port=port or soketi.port, tls=False, app_key=soketi.key,
            auth_url=auth_server.url, auth_token_env=TOKEN_ENV, http_timeout_s=2.0, **overrides)
        conn = PusherConnection(settings, recorder.on_event, recorder.on_state)
        made.append(conn)
        conn.start()
        for channel in channels:
            conn.subscribe(channel)
        return conn, recorder

    yield make
    for conn in made:
        conn.stop()


def all_subscribed(conn, channels):
    return lambda: all(conn.subscriptions().get(c) == 'subscribed' for c in channels)


def test_public_private_and_presence_channels(connect, soketi, auth_server):
    channels = ['rvm-status', PRIVATE, PRESENCE]
    conn, rec = connect(channels)
    assert wait_until(all_subscribed(conn, channels)), conn.stats()
    assert conn.state is S.CONNECTED
    signed = {r.channel: r for r in auth_server.attempts()}
    assert set(signed) == {PRIVATE, PRESENCE}           # public channels need no auth
    assert all(
        r.socket_id == conn.socket_id and r.authorization == f'Bearer {TOKEN}'
        for r in signed.values()
    )
    sdk = soketi.pusher_client()
    for i, channel in enumerate(channels):
        sdk.trigger(channel, 'command', {'command': 'maintenance_on', 'n': i})
    assert wait_until(lambda: len(rec.received('command')) == 3)
    assert sorted(rec.received('command')) == sorted(
        (c, 'command', {'command': 'maintenance_on', 'n': i}) for i, c in enumerate(channels))
    assert [(p, c) for p, c, _ in rec.states] == [
        (S.INITIALIZED, S.CONNECTING), (S.CONNECTING, S.CONNECTED)]


def test_client_events_reach_pusher_js_and_are_confirmed(
    connect, soketi, auth_server, pusher_listener
):
    dashboard = pusher_listener(soketi, [PRIVATE], auth_endpoint=auth_server.url, token=TOKEN)
    dashboard.wait_subscribed(PRIVATE)
    conn, _ = connect([PRIVATE])
    assert wait_until(all_subscribed(conn, [PRIVATE]))
    # not subscribed / public
    assert conn.send_client_event('rvm-status', 'client-x', {}) is False
    for n in range(5):
        assert conn.send_client_event(
            PRIVATE, 'client-detection-completed', {'item_id': f'i{n}', 'seq': n})
    assert conn.confirm(5.0) is True
    records = dashboard.wait_count(lambda r: r.get('event') == 'client-detection-completed', 5)
    assert [r['data']['seq'] for r in records] == [0, 1, 2, 3, 4]
    assert conn.stats()['client_events'] == 5 and conn.stats()['last_pong_latency_ms'] is not None


def test_client_event_from_pusher_js_reaches_the_edge(
    connect, soketi, auth_server, pusher_listener
):
    conn, rec = connect([PRIVATE])
    assert wait_until(all_subscribed(conn, [PRIVATE]))
    dashboard = pusher_listener(soketi, [PRIVATE], auth_endpoint=auth_server.url, token=TOKEN)
    dashboard.wait_subscribed(PRIVATE)
    assert dashboard.trigger(PRIVATE, 'client-manual-sync', {'timezone': 'Asia/Jakarta'})
    assert wait_until(lambda: rec.received('client-manual-sync'))
    assert rec.received('client-manual-sync') == [
        (PRIVATE, 'client-manual-sync', {'timezone': 'Asia/Jakarta'})]


def test_wrong_token_keeps_auth_attempts_few_and_never_logs_the_token(
    connect, auth_server, monkeypatch, caplog
):
    caplog.set_level(logging.DEBUG)
    wrong = 'wrong-token-77aa'
    monkeypatch.setenv(TOKEN_ENV, wrong)
    started = time.monotonic()
    conn, _ = connect(['rvm-status', PRIVATE])
    assert wait_until(lambda: conn.subscriptions().get('rvm-status') == 'subscribed')
    time.sleep(max(0.0, 10.0 - (time.monotonic() - started)))
    attempts = auth_server.attempts(PRIVATE)
    assert 1 <= len(attempts) <= 2, [a.status for a in attempts]
    assert all(a.status == 401 for a in attempts)
    assert conn.state is S.CONNECTED                       # the public channel keeps working
    assert conn.subscriptions()[PRIVATE] == 'auth_wait'
    assert 'refused' in conn.stats()['last_error']
    text = caplog.text + repr(conn.stats())
    assert wrong not in text and TOKEN not in text


def test_reconnect_after_soketi_kill_reauthorizes_with_the_new_socket_id(
    connect, soketi, auth_server
):
    channels = ['rvm-status', PRIVATE]
    conn, rec = connect(channels)
    assert wait_until(all_subscribed(conn, channels))
    first_socket = conn.socket_id
    soketi.kill()
    assert wait_until(lambda: conn.state is not S.CONNECTED, 5)
    # a couple of refused connects (backoff)
    time.sleep(1.5)
    soketi.restart()
    assert wait_until(
        lambda: conn.state is S.CONNECTED and all_subscribed(conn, channels)(), 40), conn.stats()
    assert conn.socket_id != first_socket
    assert [r.socket_id for r in auth_server.attempts(PRIVATE)] == [first_socket, conn.socket_id]
    soketi.pusher_client().trigger(PRIVATE, 'command', {'command': 'end_session'})
    assert wait_until(lambda: rec.received('command'))
    stats = conn.stats()
    assert stats['reconnects'] == 1
    kinds = [e['kind'] for e in conn.timeline.entries()]
    assert 'close' in kinds and 'retry' in kinds
    states = [c for _, c, _ in rec.states]
    assert S.UNAVAILABLE in states and S.FAILED not in states


def test_malformed_and_unknown_inbound_events_do_not_break_the_connection(
    connect, soketi, auth_server, pusher_listener
):
    calls = []

    class Picky(Recorder):
        def on_event(self, channel, event, data):
            calls.append(event)
            if event == 'client-explode':
                raise RuntimeError('handler bug')
            super().on_event(channel, event, data)

    conn, rec = connect([PRIVATE, 'timezone-updates'], recorder=Picky())
    assert wait_until(all_subscribed(conn, [PRIVATE, 'timezone-updates']))
    sdk = soketi.pusher_client()
    sdk.trigger('timezone-updates', 'manual-sync', 'this is { not json')
    sdk.trigger('timezone-updates', 'no-such-event', {'x': 1})
    peer = pusher_listener(soketi, [PRIVATE], auth_endpoint=auth_server.url, token=TOKEN)
    peer.wait_subscribed(PRIVATE)
    peer.trigger(PRIVATE, 'client-explode', {'boom': True})
    peer.trigger(PRIVATE, 'client-command', [1, 2, 3])
    peer.send({'raw': '{"event":"client-command","channel":"' + PRIVATE + '","data":"{broken"}'})
    sdk.trigger('timezone-updates', 'manual-sync', {'timezone': 'Asia/Jakarta'})
    assert wait_until(
        lambda: ('timezone-updates', 'manual-sync', {'timezone': 'Asia/Jakarta'}) in rec.events)
    assert wait_until(lambda: 'client-explode' in calls and calls.count('client-command') == 2)
    # passed on raw, not decoded
    assert ('timezone-updates', 'manual-sync', 'this is { not json') in rec.events
    assert (PRIVATE, 'client-command', '{broken') in rec.events
    assert conn.state is S.CONNECTED and conn.stats()['callback_errors'] == 1
    assert conn.stats()['reconnects'] == 0


def test_silent_network_is_detected_by_ping_pong_and_reconnects(connect, soketi, tcp_proxy):
    proxy = tcp_proxy(soketi.port)
    conn, rec = connect(
        ['rvm-status'], port=proxy.port, activity_timeout_s=1.0, pong_timeout_s=1.0,
        connect_timeout_s=2.0)
    assert wait_until(all_subscribed(conn, ['rvm-status']))
    first_socket = conn.socket_id
    # at least one ping answered while healthy (activity 1 s: bounded wait, not a guess)
    assert wait_until(lambda: conn.stats()['pongs_received'] >= 1, 15), conn.stats()
    proxy.pause()
    paused_at = time.monotonic()
    assert wait_until(lambda: conn.state is not S.CONNECTED, 6)
    assert time.monotonic() - paused_at < 4.0               # ~activity (1 s) + pong timeout (1 s)
    assert conn.stats()['pong_timeouts'] == 1
    proxy.resume()
    assert wait_until(
        lambda: conn.state is S.CONNECTED and all_subscribed(conn, ['rvm-status'])(), 20)
    assert conn.socket_id != first_socket
    soketi.pusher_client().trigger('rvm-status', 'status-updated', {'state': 'online'})
    assert wait_until(lambda: rec.received('status-updated'))


def test_dropped_connection_reconnects(connect, soketi, tcp_proxy):
    proxy = tcp_proxy(soketi.port)
    conn, _ = connect(['rvm-status'], port=proxy.port)
    assert wait_until(all_subscribed(conn, ['rvm-status']))
    assert proxy.drop_all() == 1
    assert wait_until(
        lambda: conn.stats()['reconnects'] == 1 and all_subscribed(conn, ['rvm-status'])(), 15)


def test_unknown_app_key_is_a_refusal_not_a_retry_loop(soketi, tcp_proxy):
    proxy = tcp_proxy(soketi.port)
    rec = Recorder()
    conn = PusherConnection(
        ConnectionSettings(host=soketi.host, port=proxy.port, tls=False, app_key='no-such-app'),
        rec.on_event, rec.on_state)
    conn.start()
    try:
        assert wait_until(lambda: conn.state is S.FAILED, 10)
        time.sleep(2.0)
        assert proxy.accepted == 1                            # no reconnect attempts
        assert conn.stats()['last_close_code'] == 4001 or '4001' in conn.stats()['last_error']
        assert (
            conn.confirm(0.5) is False and conn.send_client_event(PRIVATE, 'client-x', {}) is False
        )
    finally:
        conn.stop()
    assert conn.state is S.DISCONNECTED
