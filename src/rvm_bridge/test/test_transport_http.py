"""HTTP transport: signed requests (checked independently), batching, status classification."""
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest

from rvm_bridge.transport_http import HttpTransport, WireEvent

SECRET = 'top-secret'


class _Capture:
    def __init__(self):
        self.requests = []
        self.statuses = []   # queue of status codes to answer (default 200)


@pytest.fixture
def server():
    cap = _Capture()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers['Content-Length']))
            cap.requests.append((self.path, body))
            status = cap.statuses.pop(0) if cap.statuses else 200
            self.send_response(status)
            self.send_header('Content-Type', 'application/json')
            self.end_headers()
            self.wfile.write(b'{}' if status == 200 else b'{"error":"nope"}')

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1], cap
    httpd.shutdown()
    httpd.server_close()


def _transport(port, **kw):
    return HttpTransport(host='127.0.0.1', port=port, tls=False, app_id='42', key='k', secret=SECRET,
                         timeout_s=2.0, **kw)


def _events(n, size=10):
    return [WireEvent(i, 'detection-results', 'detection-completed', json.dumps({'n': i, 'pad': 'x' * size}))
            for i in range(n)]


def _check_signature(path, body):
    url = urlsplit(path)
    params = dict(parse_qsl(url.query))
    signature = params.pop('auth_signature')
    assert params['auth_key'] == 'k'
    assert params['body_md5'] == hashlib.md5(body).hexdigest()
    query = '&'.join(f'{k}={params[k]}' for k in sorted(params))
    expected = hmac.new(SECRET.encode(), f'POST\n{url.path}\n{query}'.encode(), hashlib.sha256).hexdigest()
    assert signature == expected


def test_single_event_is_signed_and_confirmed(server):
    port, cap = server
    out = _transport(port).send(_events(1))
    assert out.confirmed == [0] and not out.retry and not out.rejected
    path, body = cap.requests[0]
    assert urlsplit(path).path == '/apps/42/events'
    _check_signature(path, body)
    sent = json.loads(body)
    assert sent['channels'] == ['detection-results'] and json.loads(sent['data'])['n'] == 0


def test_batch_endpoint_at_most_ten_in_order(server):
    port, cap = server
    transport = _transport(port)
    out = transport.send(_events(13))
    assert out.confirmed == list(range(10))
    path, body = cap.requests[0]
    assert urlsplit(path).path == '/apps/42/batch_events'
    _check_signature(path, body)
    assert [json.loads(e['data'])['n'] for e in json.loads(body)['batch']] == list(range(10))


def test_batch_respects_request_bytes(server):
    port, cap = server
    out = _transport(port, max_request_bytes=10_000).send(_events(10, size=3000))
    assert out.confirmed == [0, 1, 2]
    assert len(cap.requests[0][1]) <= 10_000


def test_server_error_means_retry(server):
    port, cap = server
    cap.statuses = [500]
    out = _transport(port).send(_events(3))
    assert out.retry == [0, 1, 2] and not out.confirmed and '500' in out.error


def test_rejected_batch_is_resent_one_by_one(server):
    port, cap = server
    cap.statuses = [413, 200, 400, 200]
    out = _transport(port).send(_events(3))
    assert out.confirmed == [0, 2] and [k for k, _ in out.rejected] == [1]
    assert len(cap.requests) == 4


def test_bad_credentials_are_retried_not_dead_lettered(server):
    port, cap = server
    cap.statuses = [401]
    out = _transport(port).send(_events(1))
    assert out.retry == [0] and out.auth_error and not out.rejected


def test_connection_refused_means_retry():
    import socket
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]      # bound but not listening: refused
        out = _transport(port).send(_events(2))
    assert out.retry == [0, 1] and 'Connection' in out.error
