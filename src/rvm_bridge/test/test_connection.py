"""PusherConnection's reactions (close codes, errors, pings, re-auth) to a scripted fake transport.

The real-peer behaviour (Soketi, pusher-js, auth endpoint, faults) is in tests/bridge/; here a fake
transport produces the close codes and errors a real server cannot be made to send on demand.
Timers (backoff, pong and activity timeouts, auth retries, confirm) run on an injected
:class:`FakeClock` that the tests move by hand: no assertion depends on how fast this machine is.
"""

from __future__ import annotations

import json
import queue
import threading
import time

import pytest

from rvm_bridge.connection.channel_auth import AuthRejected, ChannelAuth
from rvm_bridge.connection.pusher_connection import (
    ConnectionSettings, ConnectionState, PusherConnection)
from rvm_bridge.transports.websocket_client import TransportClosed, TransportUnavailable
from rvm_common.backoff import Backoff

S = ConnectionState


class FakeClock:
    """Monotonic seconds that only move when a test calls :meth:`advance`."""

    def __init__(self):
        self._now = 1000.0
        self._lock = threading.Lock()

    def __call__(self):
        with self._lock:
            return self._now

    def advance(self, seconds):
        with self._lock:
            self._now += seconds


def established(socket_id, activity_timeout=120):
    return json.dumps(
        {
            'event': 'pusher:connection_established',
            'data': json.dumps({'socket_id': socket_id, 'activity_timeout': activity_timeout})}
    )


class FakeServer:
    """Transport factory; each connect() takes the next script: 'refuse' or a socket id to open."""

    def __init__(self, scripts, answer_pings=True, clock=time.monotonic):
        self.clock = clock
        self.scripts = list(scripts)
        self.answer_pings = answer_pings
        self.attempts = []            # monotonic time of each connect()
        self.sent = []
        self.current = None
        self.closed_with = []
        self.lock = threading.Lock()

    def transport(self):
        return FakeTransport(self)

    def push(self, text_or_close):
        self.current.incoming.put(text_or_close)

    def sent_events(self, name):
        with self.lock:
            return [json.loads(s) for s in self.sent if json.loads(s)['event'] == name]


class FakeTransport:
    def __init__(self, server):
        self.server = server
        self.incoming = queue.Queue()

    def connect(self, url):
        assert url.startswith('ws://h:1/app/key?protocol=7&client=rvm-edge&version=')
        self.server.attempts.append(self.server.clock())
        script = self.server.scripts.pop(0) if self.server.scripts else 'refuse'
        if script == 'refuse':
            raise TransportUnavailable('connection refused')
        self.server.current = self
        self.incoming.put(established(script) if not script.startswith('{') else script)

    def send(self, text):
        with self.server.lock:
            self.server.sent.append(text)
        if json.loads(text)['event'] == 'pusher:ping' and self.server.answer_pings:
            self.incoming.put('{"event":"pusher:pong","data":{}}')

    def recv(self, timeout):
        try:
            item = self.incoming.get(timeout=timeout)
        except queue.Empty:
            return None
        if isinstance(item, TransportClosed):
            raise item
        return item

    def close(self, code=1000):
        self.server.closed_with.append(code)

    def abort(self):
        self.incoming.put(TransportClosed(None, 'aborted'))


def wait_until(predicate, timeout=10.0):   # bounded; generous for a loaded machine
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return predicate()


@pytest.fixture
def make():
    made = []

    def factory(scripts, *, auth=None, answer_pings=True, clock=time.monotonic, **overrides):
        server = FakeServer(scripts, answer_pings, clock)
        states = []
        settings = ConnectionSettings(
            **{
                'host': 'h', 'port': 1, 'tls': False, 'app_key': 'key', 'reconnect_min_s': 0.05,
                'reconnect_max_s': 0.2, **overrides}
        )
        conn = PusherConnection(settings, lambda *a: None, lambda p, c, r: states.append(c),
                                auth=auth or (lambda socket_id, channel: ChannelAuth('key:sig')),
                                transport_factory=server.transport, clock=clock)
        made.append(conn)
        conn.start()
        return conn, server, states

    yield factory
    for conn in made:
        conn.stop()


def test_connects_subscribes_and_confirms(make):
    conn, server, states = make(['1.1'])
    conn.subscribe('rvm-status')
    assert wait_until(lambda: conn.state is S.CONNECTED and server.sent_events('pusher:subscribe'))
    assert server.sent_events('pusher:subscribe')[0]['data'] == {'channel': 'rvm-status'}
    assert conn.socket_id == '1.1' and states == [S.CONNECTING, S.CONNECTED]
    assert conn.confirm(1.0) is True


def test_confirm_fails_without_pong(make):
    clock = FakeClock()
    conn, _, _ = make(['1.1'], answer_pings=False, clock=clock)
    assert wait_until(lambda: conn.state is S.CONNECTED)
    result = []
    waiter = threading.Thread(target=lambda: result.append(conn.confirm(5.0)))
    waiter.start()
    waiter.join(0.2)
    # no pong, clock not moved: still waiting
    assert waiter.is_alive() and result == []
    clock.advance(5.0)
    waiter.join(3.0)
    assert result == [False]


def test_close_4200_reconnects_at_once_and_reauthorizes_with_the_new_socket_id(make):
    signed = []
    conn, server, states = make(
        ['1.1', '2.2'], reconnect_min_s=5.0, reconnect_max_s=10.0, reconnect_spread_s=0.0,
        auth=lambda sid, ch: signed.append((sid, ch)) or ChannelAuth('key:sig'))
    conn.subscribe('private-rvm.1')
    assert wait_until(lambda: signed == [('1.1', 'private-rvm.1')])
    server.push(TransportClosed(4200, 'Generic reconnect immediately'))
    assert wait_until(lambda: conn.socket_id == '2.2', 1.0)      # no 5 s backoff
    assert wait_until(lambda: signed == [('1.1', 'private-rvm.1'), ('2.2', 'private-rvm.1')])
    assert S.UNAVAILABLE not in states and S.FAILED not in states
    assert conn.stats()['reconnects'] == 1 and conn.stats()['last_close_code'] == 4200


def test_close_4200_waits_a_random_spread_so_a_fleet_does_not_return_in_one_wave(make):
    clock = FakeClock()
    conn, server, states = make(['1.1', '2.2'], reconnect_min_s=5.0, reconnect_max_s=10.0,
                                reconnect_spread_s=4.0, clock=clock)
    assert wait_until(lambda: conn.socket_id == '1.1')
    server.push(TransportClosed(4200, 'Server restarting'))
    assert wait_until(lambda: any(e.get('kind') == 'retry' for e in conn.timeline.entries()))
    delay = [e for e in conn.timeline.entries() if e.get('kind') == 'retry'][-1]['delay_s']
    # within the spread, not the 5 s backoff
    assert 0.0 <= delay <= 4.0
    assert len(server.attempts) == 1                            # clock not moved: still waiting
    clock.advance(4.0)
    assert wait_until(lambda: conn.socket_id == '2.2')
    assert S.UNAVAILABLE not in states and S.FAILED not in states
    rng_delays = {round(Backoff(1.0, 2.0).spread(4.0), 6) for _ in range(20)}
    # spread, not one value
    assert len(rng_delays) > 10 and all(0.0 <= d <= 4.0 for d in rng_delays)


def test_close_4100_backs_off(make):
    clock = FakeClock()
    conn, server, states = make(
        ['1.1', '2.2'], reconnect_min_s=0.4, reconnect_max_s=1.0, clock=clock)
    assert wait_until(lambda: conn.state is S.CONNECTED)
    server.push(TransportClosed(4100, 'Over capacity'))
    assert wait_until(lambda: conn.state is S.UNAVAILABLE)
    delay = conn.timeline.entries('retry')[-1]['delay_s']
    assert 0.2 <= delay <= 0.4                                  # jittered 0.4 s, at least half
    clock.advance(delay - 0.01)
    assert not wait_until(lambda: len(server.attempts) > 1, 0.3)   # still backing off
    clock.advance(0.02)
    assert wait_until(lambda: conn.socket_id == '2.2', 3.0)
    assert server.attempts[1] - server.attempts[0] >= delay


def test_a_server_that_accepts_and_drops_at_once_gets_growing_delays_until_a_healthy_run(make):
    clock = FakeClock()
    conn, server, states = make(
        ['1.1', '2.2', '3.3', '4.4'], reconnect_min_s=0.4, reconnect_max_s=10.0,
        healthy_after_s=5.0, clock=clock)
    delays = []
    for socket_id in ('1.1', '2.2', '3.3'):
        assert wait_until(lambda: conn.socket_id == socket_id and conn.state is S.CONNECTED)
        server.push(TransportClosed(4100, 'Over capacity'))        # dropped at once, every time
        assert wait_until(lambda: len(conn.timeline.entries('retry')) == len(delays) + 1)
        delays.append(conn.timeline.entries('retry')[-1]['delay_s'])
        clock.advance(delays[-1] + 0.01)
    assert 0.2 <= delays[0] <= 0.4 and 0.4 <= delays[1] <= 0.8 and 0.8 <= delays[2] <= 1.6
    assert wait_until(lambda: conn.socket_id == '4.4' and conn.state is S.CONNECTED)
    # connected long enough: healthy
    clock.advance(5.0)
    server.push(TransportClosed(4100, 'Over capacity'))
    assert wait_until(lambda: len(conn.timeline.entries('retry')) == 4)
    assert 0.2 <= conn.timeline.entries('retry')[-1]['delay_s'] <= 0.4


@pytest.mark.parametrize('code', [4001, 4004, 4009])
def test_refusal_during_handshake_fails_without_retrying(make, code):
    error = json.dumps({'event': 'pusher:error', 'data': {'code': code, 'message': 'refused'}})
    conn, server, states = make([error, '9.9'], refused_retry_s=0.0)
    assert wait_until(lambda: conn.state is S.FAILED)
    time.sleep(0.3)
    assert len(server.attempts) == 1 and conn.state is S.FAILED
    assert f'{code}' in conn.stats()['last_error']
    conn.reconnect('configuration fixed')                      # an explicit retry leaves FAILED
    assert wait_until(lambda: conn.socket_id == '9.9')


def test_errors_after_the_handshake_are_reported_only(make):
    conn, server, states = make(['1.1'])
    assert wait_until(lambda: conn.state is S.CONNECTED)
    mark = conn.server_answers().mark()
    server.push('{"event":"pusher:error","data":{"code":4301,"message":"Rate limit exceeded"}}')
    server.push('{"event":"pusher:error","data":{"code":4200,"message":"Invalid message format"}}')
    assert wait_until(lambda: conn.stats()['server_errors'] == 2)
    assert conn.state is S.CONNECTED and len(server.attempts) == 1
    assert [e['action'] for e in conn.timeline.entries('error')] == ['report', 'report']
    # ... and handed to the client-event transport, which matches them to what it wrote
    assert conn.server_answers().since(mark) == ([(4301, 'Rate limit exceeded'),
                                                  (4200, 'Invalid message format')], [])
    assert conn.server_answers().since(conn.server_answers().mark()) == ([], [])


def test_unreachable_server_retries_with_growing_delays(make):
    conn, server, states = make(
        ['refuse'] * 4 + ['5.5'], reconnect_min_s=0.05, reconnect_max_s=0.4)
    assert wait_until(lambda: conn.socket_id == '5.5', 5.0)
    delays = [e['delay_s'] for e in conn.timeline.entries('retry')]
    assert len(delays) == 4 and delays[-1] > delays[0]
    assert S.FAILED not in states


def test_activity_ping_and_pong_timeout_reconnect(make):
    clock = FakeClock()
    conn, server, _ = make(
        ['1.1', '2.2'], answer_pings=False, activity_timeout_s=20.0, pong_timeout_s=10.0,
        clock=clock)
    assert wait_until(lambda: conn.state is S.CONNECTED)
    clock.advance(19.0)
    # 20 s of silence not reached
    assert not wait_until(lambda: server.sent_events('pusher:ping'), 0.3)
    clock.advance(1.5)
    assert wait_until(lambda: server.sent_events('pusher:ping'))
    clock.advance(9.0)
    # pong timeout not reached
    assert not wait_until(lambda: conn.socket_id == '2.2', 0.3)
    clock.advance(1.5)
    assert wait_until(lambda: conn.socket_id == '2.2')
    assert conn.stats()['pong_timeouts'] == 1


def test_server_ping_is_answered(make):
    conn, server, _ = make(['1.1'])
    assert wait_until(lambda: conn.state is S.CONNECTED)
    server.push('{"event":"pusher:ping","data":{}}')
    assert wait_until(lambda: server.sent_events('pusher:pong'))


def test_rejected_auth_is_retried_slowly(make):
    clock = FakeClock()
    calls = []

    def reject(socket_id, channel):
        calls.append(clock())
        raise AuthRejected('refused (HTTP 401)', 401)

    conn, _, _ = make(['1.1'], auth=reject, auth_retry_s=30.0, auth_retry_max_s=600.0, clock=clock)
    conn.subscribe('private-a')
    assert wait_until(lambda: len(calls) == 1 and conn.subscriptions()['private-a'] == 'auth_wait')
    clock.advance(14.9)
    # first retry after 15..30 s (jittered 30 s)
    assert not wait_until(lambda: len(calls) == 2, 0.3)
    clock.advance(15.2)
    assert wait_until(lambda: len(calls) == 2)
    assert calls[1] - calls[0] >= 15.0
    clock.advance(29.9)
    # the next one waits 30..60 s (doubling)
    assert not wait_until(lambda: len(calls) == 3, 0.3)
    clock.advance(30.2)
    assert wait_until(lambda: len(calls) == 3)
    assert conn.subscriptions()['private-a'] == 'auth_wait' and conn.state is S.CONNECTED


def test_reconnect_request_is_immediate_and_stop_closes_cleanly(make):
    conn, server, states = make(['1.1', '2.2'], reconnect_min_s=5.0, reconnect_max_s=10.0)
    assert wait_until(lambda: conn.state is S.CONNECTED)
    conn.reconnect('operator asked')
    assert wait_until(lambda: conn.socket_id == '2.2', 1.0)
    started = time.monotonic()
    conn.stop()
    assert time.monotonic() - started < 1.0
    assert conn.state is S.DISCONNECTED and server.closed_with[-1] == 1000
    assert states[-1] is S.DISCONNECTED


def test_stop_during_backoff_is_prompt(make):
    conn, server, _ = make(
        ['refuse'] * 10, reconnect_min_s=20.0, reconnect_max_s=30.0, clock=FakeClock())
    assert wait_until(lambda: conn.state is S.UNAVAILABLE)
    threads = list(conn._threads)
    # the backoff never ends on its own (the clock stands still)
    conn.stop(timeout=0.5)
    assert conn.state is S.DISCONNECTED and not any(t.is_alive() for t in threads)
    assert len(server.attempts) == 1


def test_settings_from_a_bridge_like_config():
    class Cfg:
        host, port, tls, app_key, origin, ca_bundle = (
            'reverb.example', 443, True, 'k', 'https://edge', '/ca.pem')
        api_base, auth_endpoint = 'https://api.example/', '/api/v2/broadcasting/auth'
        retry_min_s, retry_max_s = 2.0, 20.0
    settings = ConnectionSettings.from_config(Cfg())
    assert settings.auth_url == 'https://api.example/api/v2/broadcasting/auth'
    assert (settings.reconnect_min_s, settings.reconnect_max_s) == (2.0, 20.0)
    assert settings.ws_url().startswith(
        'wss://reverb.example:443/app/k?protocol=7&client=rvm-edge&version=')
    assert settings.origin == 'https://edge' and settings.ca_bundle == '/ca.pem'


def test_settings_from_the_bridge_config():
    from rvm_bridge.bridge_config import BridgeConfig
    config = BridgeConfig(
        host='reverb.local', port=8080, tls=False, app_key='k', api_base='http://api.local')
    settings = ConnectionSettings.from_config(config)
    assert settings.ws_url().startswith('ws://reverb.local:8080/app/k?')
    assert settings.auth_url == 'http://api.local/api/v2/broadcasting/auth'
    assert settings.auth_token_env == config.auth_token_env
    settings.validate()


def test_frequent_confirm_pongs_do_not_flood_the_timeline(make):
    conn, _, _ = make(['1.1'])
    assert wait_until(lambda: conn.state is S.CONNECTED)
    for _ in range(50):
        assert conn.confirm(1.0)
    assert len(conn.timeline.entries('pong')) == 1
    assert conn.stats()['last_pong_latency_ms'] is not None


def test_malformed_frames_are_counted_and_ignored(make):
    events = []
    conn, server, _ = make(['1.1'])
    conn._on_event = lambda channel, event, data: events.append((channel, event, data))
    assert wait_until(lambda: conn.state is S.CONNECTED)
    for bad in ('not json', '[]', '{"event":5}', '{"event":"command","data":{}}', '\ud800'):
        server.push(bad)
    server.push(
        '{"event":"command","channel":"private-rvm.1","data":"{\\"command\\":\\"end_session\\"}"}')
    assert wait_until(lambda: events)
    assert events == [('private-rvm.1', 'command', {'command': 'end_session'})]
    assert conn.stats()['malformed'] == 5 and conn.state is S.CONNECTED
