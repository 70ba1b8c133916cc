"""Real-peer harness itself: Soketi, official pusher SDK, pusher-js, kill/restart, TCP proxy."""

from __future__ import annotations

import socket

import pytest
import websocket
from rvm_bringup.soketi import SoketiNotInstalled, SoketiServer, find_soketi


def test_sdk_trigger_reaches_pusher_js(soketi, pusher_listener):
    listener = pusher_listener(soketi, ['rvm-status'])
    listener.wait_subscribed('rvm-status')
    assert soketi.pusher_client().trigger(
        'rvm-status', 'status-updated', {'state': 'idle', 'n': 1}) == {'ok': True}
    record = listener.wait_event('rvm-status', 'status-updated')
    assert record['data'] == {'state': 'idle', 'n': 1}
    assert isinstance(record['received_at_ms'], int)


def test_kill_and_restart_on_same_port(soketi, pusher_listener):
    port = soketi.port
    listener = pusher_listener(soketi, ['detection-results'])
    listener.wait_subscribed('detection-results')
    first_pid = soketi.pid

    soketi.kill()
    assert not soketi.running
    with pytest.raises(OSError):
        socket.create_connection((soketi.host, port), timeout=1).close()
    listener.wait_for(lambda r: r.get('kind') == 'state' and r.get('previous') == 'connected')

    soketi.restart()
    assert soketi.running and soketi.port == port and soketi.pid != first_pid
    start = len(listener.records)
    listener.wait_for(
        lambda r: r.get('kind') == 'event' and r.get('event') == 'pusher:subscription_succeeded',
        timeout=20, start=start)  # pusher-js reconnected and resubscribed by itself
    soketi.pusher_client().trigger('detection-results', 'detection-completed', {'item_id': 'a'})
    assert listener.wait_event('detection-results', 'detection-completed')['data'] == {
        'item_id': 'a'}


def test_tcp_proxy_pause_and_drop(soketi, tcp_proxy):
    proxy = tcp_proxy(soketi.port)
    with socket.create_connection((proxy.host, proxy.port), timeout=2) as sock:
        sock.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
        assert b'OK' in _read_all(sock)
    proxy.pause()
    with socket.create_connection((proxy.host, proxy.port), timeout=2) as sock:
        sock.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
        sock.settimeout(0.5)
        with pytest.raises(socket.timeout):
            sock.recv(100)
        proxy.resume()
        sock.settimeout(2)
        assert b'OK' in _read_all(sock)
    ws = websocket.create_connection(
        f'ws://{proxy.host}:{proxy.port}/app/{soketi.key}?protocol=7&client=test&version=1',
        timeout=5)
    try:
        assert 'pusher:connection_established' in ws.recv()
        assert proxy.drop_all() == 1
        with pytest.raises((websocket.WebSocketException, OSError)):
            ws.recv()
    finally:
        ws.close()


def test_missing_node_modules_is_a_clear_error(tmp_path):
    with pytest.raises(SoketiNotInstalled, match='run scripts/setup'):
        find_soketi(tmp_path)


def test_app_id_must_be_numeric():
    with pytest.raises(ValueError, match='numeric'):
        SoketiServer(app_id='rvm')


def _read_all(sock) -> bytes:
    """Read until the health check's body arrives (uWS may keep the connection open)."""
    data = b''
    while b'\r\n\r\n' not in data or not data.rstrip().endswith(b'OK'):
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data
