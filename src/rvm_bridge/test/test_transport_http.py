"""HTTP transport: signed requests (checked independently), batching, status classification."""
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest

from rvm_bridge.transports.http_events import HttpTransport, WireEvent

SECRET = 'top-secret'


class _Capture:
    def __init__(self):
        self.requests = []
        self.statuses = []   # queue of status codes to answer (default 200)
        self.bodies = []     # queue of answer bodies (default: {} for 2xx, an error otherwise)
        self.wire_sizes = []  # bytes of each whole request as received


@pytest.fixture
def server():
    cap = _Capture()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers['Content-Length']))
            cap.requests.append((self.path, body))
            cap.wire_sizes.append(len(self.requestline) + 2 + 2 + len(body)
                                  + sum(len(f'{k}: {v}\r\n') for k, v in self.headers.items()))
            status = cap.statuses.pop(0) if cap.statuses else 200
            answer = (
                cap.bodies.pop(0)
                if cap.bodies
                else (b'{}' if status == 200 else b'{"error":"nope"}')
            )
            self.send_response(status)
            self.send_header('Content-Type', 'application/json')
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1], cap
    httpd.shutdown()
    httpd.server_close()


def _transport(port, **kw):
    return HttpTransport(
        host='127.0.0.1', port=port, tls=False, app_id='42', key='k', secret=SECRET, timeout_s=2.0,
        **kw)


def _events(n, size=10):
    return [
        WireEvent(
            i, 'detection-results', 'detection-completed', json.dumps({'n': i, 'pad': 'x' * size}))
        for i in range(n)
    ]


def _check_signature(path, body):
    url = urlsplit(path)
    params = dict(parse_qsl(url.query))
    signature = params.pop('auth_signature')
    assert params['auth_key'] == 'k'
    assert params['body_md5'] == hashlib.md5(body).hexdigest()
    query = '&'.join(f'{k}={params[k]}' for k in sorted(params))
    expected = hmac.new(
        SECRET.encode(), f'POST\n{url.path}\n{query}'.encode(), hashlib.sha256).hexdigest()
    assert signature == expected


def test_single_event_is_signed_and_confirmed(server):
    port, cap = server
    out = _transport(port).send(_events(1))
    assert out.accepted == [0] and not out.retry and not out.rejected
    path, body = cap.requests[0]
    assert urlsplit(path).path == '/apps/42/events'
    _check_signature(path, body)
    sent = json.loads(body)
    assert sent['channels'] == ['detection-results'] and json.loads(sent['data'])['n'] == 0


def test_batch_endpoint_at_most_ten_in_order(server):
    port, cap = server
    transport = _transport(port)
    out = transport.send(_events(13))
    assert out.accepted == list(range(10))
    path, body = cap.requests[0]
    assert urlsplit(path).path == '/apps/42/batch_events'
    _check_signature(path, body)
    assert [json.loads(e['data'])['n'] for e in json.loads(body)['batch']] == list(range(10))


def test_batch_respects_the_whole_request_size(server):
    port, cap = server
    transport = _transport(port, max_request_bytes=10_000)
    events = _events(10, size=3150)
    out = transport.send(events)
    # a third one would push the whole request over ...
    assert out.accepted == [0, 1]
    # request line + headers + body
    assert cap.wire_sizes[0] == transport.size_of(events[:2]) <= 10_000
    body_of_three = transport._build(events[:3]).body
    # ... although its body would fit
    assert len(body_of_three) < 10_000 < transport.size_of(events[:3])


def test_a_single_event_over_the_limit_is_not_sent_but_reported_too_large(server):
    port, cap = server
    transport = _transport(port, max_request_bytes=2_000)
    # the body alone fits, the whole request does not
    out = transport.send(_events(1, size=1_950))
    assert out.retry == [0] and out.too_large and out.largest > 2_000 and not cap.requests


def test_200_with_an_error_body_is_not_a_confirmation(server):
    port, cap = server
    cap.bodies = [b'{"error":"Unauthorized","code":401}']
    out = _transport(port).send(_events(2))
    assert out.retry == [0, 1] and not out.accepted and out.config_error and '401' in out.error


def test_200_with_an_error_body_code_413_is_too_large(server):
    port, cap = server
    cap.bodies = [b'{"error":"The event data should be less than 4 KB.","code":413}']
    out = _transport(port).send(_events(2))
    assert out.retry == [0, 1] and out.too_large and not out.accepted and not out.config_error


def test_unknown_app_id_is_a_configuration_error(server):
    port, cap = server
    cap.statuses = [404]
    out = _transport(port).send(_events(3))
    assert (
        out.retry == [0, 1, 2] and out.config_error and not out.rejected and 'app id' in out.error)


def test_413_is_too_large_not_rejected(server):
    port, cap = server
    cap.statuses = [413]
    out = _transport(port).send(_events(3))
    assert out.retry == [0, 1, 2] and out.too_large and not out.rejected and out.largest > 0


def test_server_error_means_retry(server):
    port, cap = server
    cap.statuses = [500]
    out = _transport(port).send(_events(3))
    assert out.retry == [0, 1, 2] and not out.accepted and '500' in out.error


def test_rejected_batch_is_resent_one_by_one(server):
    port, cap = server
    cap.statuses = [422, 200, 400, 200]
    out = _transport(port).send(_events(3))
    assert out.accepted == [0, 2] and [k for k, _ in out.rejected] == [1]
    assert len(cap.requests) == 4


def test_bad_credentials_are_retried_not_dead_lettered(server):
    port, cap = server
    cap.statuses = [401]
    out = _transport(port).send(_events(1))
    assert out.retry == [0] and out.config_error and not out.rejected


def test_connection_refused_means_retry():
    import socket
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]      # bound but not listening: refused
        out = _transport(port).send(_events(2))
    assert out.retry == [0, 1] and 'Connection' in out.error
