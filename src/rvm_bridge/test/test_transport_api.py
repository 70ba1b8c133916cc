"""Api transport: Bearer, {"events": [...]}; exactly the ids in {"stored": [...]} are confirmed."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rvm_bridge.delivery.send_outcome import WireEvent
from rvm_bridge.transports.api import ApiTransport


@pytest.fixture
def api():
    seen = {'requests': [], 'answers': []}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers['Content-Length'])))
            seen['requests'].append((self.path, dict(self.headers), body))
            status, answer = seen['answers'].pop(0) if seen['answers'] else \
                (200, {'stored': [e['event_id'] for e in body['events']]})
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header('Content-Length', str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f'http://127.0.0.1:{httpd.server_address[1]}/api/v2/edge/events', seen
    httpd.shutdown()
    httpd.server_close()


def _events(n, pad=0):
    return [
        WireEvent(
            i, 'c', 'detection-completed', json.dumps({'event_id': f'e{i}', 'pad': 'x' * pad}),
            f'e{i}')
        for i in range(n)
    ]


def test_stored_ids_confirm_exactly_those_rows(api):
    url, seen = api
    seen['answers'] = [(200, {'stored': ['e0', 'e2']})]
    out = ApiTransport(url=url, token=lambda: 'tok').send(_events(3))
    assert (
        out.stored == [0, 2]
        and out.retry == [1]
        and not out.accepted
        and 'not in the "stored"' in out.error
    )
    path, headers, body = seen['requests'][0]
    assert path == '/api/v2/edge/events' and headers['Authorization'] == 'Bearer tok'
    assert headers['Accept'] == 'application/json' and [e['event_id'] for e in body['events']] == [
        'e0', 'e1', 'e2']


def test_2xx_without_a_stored_list_confirms_nothing_and_401_pauses(api):
    url, seen = api
    seen['answers'] = [(200, {'ok': True}), (401, {'message': 'Unauthenticated.'})]
    transport = ApiTransport(url=url, token=lambda: 'tok')
    out = transport.send(_events(2))
    assert out.retry == [0, 1] and not out.stored and not out.config_error
    out = transport.send(_events(2))
    assert out.retry == [0, 1] and out.config_error and '401' in out.error


def test_missing_token_is_a_configuration_error_without_a_request(api):
    url, seen = api
    out = ApiTransport(url=url, token=lambda: '').send(_events(1))
    assert out.config_error and 'no Bearer token' in out.error and not seen['requests']


def test_whole_request_size_bounds_the_batch(api):
    url, seen = api
    transport = ApiTransport(url=url, token=lambda: 'tok', max_request_bytes=10_000)
    events = _events(5, pad=3_250)
    out = transport.send(events)
    headers = transport._headers()
    assert out.stored == [0, 1] and transport.size_of(events[:2], headers) <= 10_000
    # headers count
    assert len(ApiTransport.body(events[:3])) < 10_000 < transport.size_of(events[:3], headers)
