"""WebSocket transport edges: TLS verification (on by default, CA bundle), Origin header, URL."""

from __future__ import annotations

import socket
import subprocess
import threading
import time

import pytest
from rvm_bridge.connection.pusher_connection import (
    ConnectionSettings, ConnectionState, PusherConnection)
from rvm_bringup.soketi import SoketiServer

S = ConnectionState


def wait_until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


@pytest.fixture
def tls_soketi(tmp_path):
    cert, key = tmp_path / 'cert.pem', tmp_path / 'key.pem'
    subprocess.run(
        [
            'openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', str(key),
            '-out', str(cert), '-days', '1', '-subj', '/CN=localhost', '-addext',
            'subjectAltName=DNS:localhost,IP:127.0.0.1'],
        check=True, capture_output=True, timeout=30)
    server = SoketiServer(ssl_cert=cert, ssl_key=key, log_path=tmp_path / 'soketi.log').start()
    yield server
    server.stop()


def test_wss_with_the_servers_ca_bundle(tls_soketi):
    events = []
    conn = PusherConnection(
        ConnectionSettings(
            host='127.0.0.1', port=tls_soketi.port, tls=True, app_key=tls_soketi.key,
            ca_bundle=tls_soketi.ssl_cert),
        lambda channel, event, data: events.append((channel, event, data)),
    )
    conn.start()
    try:
        conn.subscribe('rvm-status')
        assert wait_until(lambda: conn.subscriptions()['rvm-status'] == 'subscribed'), conn.stats()
        assert conn.url.startswith('wss://')
        tls_soketi.pusher_client().trigger('rvm-status', 'status-updated', {'state': 'idle'})
        assert wait_until(lambda: events == [('rvm-status', 'status-updated', {'state': 'idle'})])
    finally:
        conn.stop()


def test_tls_verification_is_on_by_default(tls_soketi):
    states = []
    conn = PusherConnection(ConnectionSettings(host='127.0.0.1', port=tls_soketi.port, tls=True,
                                               app_key=tls_soketi.key, reconnect_min_s=0.2),
                            None, lambda previous, current, reason: states.append(current))
    conn.start()
    try:
        assert wait_until(
            lambda: 'certificate verification failed' in conn.stats()['last_error'], 5)
        time.sleep(0.5)
        # retried: a certificate can be fixed
        assert S.CONNECTED not in states and S.FAILED not in states
        assert conn.state in (S.UNAVAILABLE, S.CONNECTING)
    finally:
        conn.stop()


def test_handshake_carries_origin_and_the_pusher_url():
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen(1)
    requests = []

    def capture():
        client, _ = listener.accept()
        client.settimeout(5)
        data = b''
        while b'\r\n\r\n' not in data:
            chunk = client.recv(4096)
            if not chunk:
                break
            data += chunk
        requests.append(data.decode())
        client.close()        # not a WebSocket server: the connection just fails after this

    thread = threading.Thread(target=capture, daemon=True)
    thread.start()
    conn = PusherConnection(
        ConnectionSettings(
            host='127.0.0.1', port=listener.getsockname()[1], tls=False, app_key='rvm key',
            origin='https://dashboard.myrvm.example')
    )
    conn.start()
    try:
        thread.join(5)
        assert requests, 'no handshake received'
        request_line, *headers = requests[0].split('\r\n')
        assert request_line.startswith('GET /app/rvm%20key?protocol=7&client=rvm-edge&version=')
        assert 'Origin: https://dashboard.myrvm.example' in headers
    finally:
        conn.stop()
        listener.close()
