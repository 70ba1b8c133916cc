"""DemoStack against a real Soketi (no browser): endpoints, static files, viewer wait, clean exit.

Its Laravel-like endpoints and static serving, its viewer wait, fixed ports, and that its Soketi
ends on SIGHUP and when the parent is killed."""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from rvm_bridge.bridge_config import BridgeConfig
from rvm_common import events
from rvm_common.params import config_from_mapping
from support.schemas import validate_event

REPO_ROOT = Path(__file__).resolve().parents[2]


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(('127.0.0.1', port)) == 0


def request(
    url: str, *, body=None, token: str | None = None, form: bool = False, method: str | None = None
):
    """(status, headers, body bytes) of one HTTP call."""
    headers = {}
    data = None
    if body is not None:
        data = urlencode(body).encode() if form else json.dumps(body).encode()
        headers['Content-Type'] = (
            'application/x-www-form-urlencoded' if form else 'application/json')
    if token is not None:
        headers['Authorization'] = f'Bearer {token}'
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def test_channel_auth_answers_like_laravel_with_sanctum(demo):
    ep = demo.endpoints
    good = {'socket_id': '123.456', 'channel_name': 'private-rvm.rvm-demo'}
    assert request(ep.auth_endpoint, body=good, form=True)[0] == 401
    assert request(ep.auth_endpoint, body=good, form=True, token='wrong')[0] == 401
    status, _, raw = request(ep.auth_endpoint, body={**good, 'channel_name': 'private-rvm.other'},
                             form=True, token=ep.token)
    assert status == 403 and json.loads(raw)['message'] == 'This action is unauthorized.'
    assert (
        request(ep.auth_endpoint, body={**good, 'socket_id': 'bogus'}, form=True, token=ep.token)[
            0]
        == 422
    )

    status, _, raw = request(ep.auth_endpoint, body=good, form=True, token=ep.token)
    assert status == 200
    signature = hmac.new(
        ep.secret.encode(), b'123.456:private-rvm.rvm-demo', hashlib.sha256).hexdigest()
    assert json.loads(raw) == {'auth': f'{ep.key}:{signature}'}
    # JSON body works too
    status, _, raw = request(ep.auth_endpoint, body=good, token=ep.token)
    assert status == 200 and json.loads(raw)['auth'].startswith(ep.key + ':')


def test_manual_sync_endpoint_triggers_the_event_through_the_http_api(demo, pusher_listener):
    ep = demo.endpoints
    listener = pusher_listener(demo.soketi, [events.CHANNEL_TIMEZONE])
    listener.wait_for(lambda r: r.get('event') == 'pusher:subscription_succeeded')
    assert request(ep.manual_sync_url, body={})[0] == 401
    status, _, raw = request(
        ep.manual_sync_url, token=ep.token,
        body={
            'timezone': 'Asia/Jakarta', 'requested_by': 'ops', 'request_id': 'r-1', 'evil': 'x',
            'retries': 3},
    )
    assert status == 202
    record = listener.wait_for(lambda r: r.get('event') == events.EVENT_MANUAL_SYNC)
    data = record['data'] if isinstance(record['data'], dict) else json.loads(record['data'])
    assert data == {'timezone': 'Asia/Jakarta', 'requested_by': 'ops', 'request_id': 'r-1'}
    validate_event(data, events.EVENT_MANUAL_SYNC)
    assert request(ep.manual_sync_url, token=ep.token, body=['not', 'an', 'object'])[0] == 400

    # server down: a clear 502, the demo keeps serving
    demo.soketi.kill()
    status, _, raw = request(ep.manual_sync_url, token=ep.token, body={})
    assert status == 502 and 'trigger failed' in json.loads(raw)['message']
    assert request(ep.http_base + '/')[0] == 200


def test_static_dashboard_and_vendored_pusher_js(demo):
    base = demo.endpoints.http_base
    status, headers, raw = request(base + '/')
    assert status == 200 and headers['Content-Type'].startswith('text/html') and b'app.js' in raw
    # the bridge's time sync reads it (api_base)
    assert headers['Date']
    status, headers, raw = request(base + '/vendor/pusher.min.js')
    assert status == 200 and 'javascript' in headers['Content-Type'] and b'Pusher' in raw
    assert request(base + '/app.js', method='HEAD')[0] == 200
    for path in (
        '/../pyproject.toml', '/%2e%2e/README.md', '/missing.js', '/vendor/../../README.md',
    ):
        assert request(base + path)[0] == 404, path
    assert request(base + '/api/v2/other', body={}, token=demo.endpoints.token)[0] == 404


def test_bridge_settings_are_bridge_config_fields_and_args_point_at_the_stack(demo, monkeypatch):
    ep = demo.endpoints
    # strict: unknown keys raise
    config = config_from_mapping(BridgeConfig, ep.bridge_settings())
    assert (config.host, config.port, config.tls, config.app_key) == (
        ep.host, ep.port, False, ep.key)
    monkeypatch.delenv('RVM_BRIDGE_APP_SECRET', raising=False)
    monkeypatch.delenv('RVM_BRIDGE_TOKEN', raising=False)
    args = ep.apply_to_args(
        argparse.Namespace(
            bridge_host=None, bridge_port=None, app_key=None, app_id=None, rvm_id=None,
            source='x.mp4')
    )
    assert (args.bridge_host, args.bridge_port, args.app_key, args.app_id) == (
        ep.host, ep.port, ep.key, ep.app_id)
    assert (args.rvm_id, args.bridge_tls, args.source) == ('rvm-demo', False, 'x.mp4')
    assert (
        os.environ['RVM_BRIDGE_APP_SECRET'] == ep.secret
        and os.environ['RVM_BRIDGE_TOKEN'] == ep.token
    )
    assert ep.token not in repr(ep)


def test_wait_for_viewer_returns_once_a_dashboard_subscribed(demo, pusher_listener):
    assert demo.viewers() == 0
    assert demo.wait_for_viewer(timeout_s=0.3, poll_s=0.05) is False
    # e.g. Ctrl-C while waiting
    assert demo.wait_for_viewer(keep_waiting=lambda: False) is False
    # what a page subscribes to
    listener = pusher_listener(demo.soketi, [events.CHANNEL_STATUS])
    listener.wait_for(lambda r: r.get('event') == 'pusher:subscription_succeeded')
    assert demo.wait_for_viewer(timeout_s=10, poll_s=0.05) is True and demo.viewers() == 1


def test_fixed_ports_and_a_wildcard_host_for_ssh_tunnels(tmp_path):
    from rvm_bringup.demo_stack import DemoStack
    from rvm_bringup.soketi import free_port
    http_port, ws_port = free_port(), free_port()
    with DemoStack(REPO_ROOT, http_port=http_port, soketi_port=ws_port, host='0.0.0.0') as ep:
        url = urlsplit(ep.dashboard_url)
        query = parse_qs(url.query)
        assert url.port == http_port and query['port'] == [str(ws_port)]
        assert url.hostname == query['host'][0] == socket.getfqdn().lower() != '0.0.0.0'
        # the local bridge's way in
        assert (ep.host, ep.port) == ('127.0.0.1', ws_port)
        assert request(f'http://127.0.0.1:{http_port}/')[0] == 200
    assert not port_open(http_port) and not port_open(ws_port)


STACK_SCRIPT = """
import signal, sys, time
from pathlib import Path
from rvm_bringup.demo_stack import DemoStack
# as under a terminal: the suite itself may run under nohup, whose ignored SIGHUP children inherit
# (and a stack leaves an ignored SIGHUP alone)
signal.signal(signal.SIGHUP, signal.SIG_DFL)
stack = DemoStack(Path(sys.argv[1]))
ep = stack.start()
print(stack.soketi.pid, ep.port, flush=True)
try:
    time.sleep(600)
finally:
    print('stopping', flush=True)
    stack.stop()
    print('stopped', flush=True)
"""
#: what DemoStack.stop() may take at most: Soketi's graceful stop (10 s), then SIGKILL (5 s), the
#: HTTP server thread (5 s); the waits below end at the event, the bound only names a hang
STOP_BOUND_S = 10.0 + 5.0 + 5.0


def start_stack_process() -> tuple[subprocess.Popen, int, int]:
    """A separate process running a DemoStack (own Soketi); returns it, Soketi's pid and port."""
    proc = subprocess.Popen(
        [sys.executable, '-c', STACK_SCRIPT, str(REPO_ROOT)], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert line, proc.stderr.read()
    pid, port = map(int, line.split())
    assert pid_alive(pid) and port_open(port)
    return proc, pid, port


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f'/proc/{pid}/stat') as f:                  # a zombie is dead too
        return f.read().split(')')[-1].split()[0] != 'Z'


def wait_gone(pid: int, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not pid_alive(pid)


@pytest.mark.skipif(
    not sys.platform.startswith('linux'), reason='SIGHUP / PR_SET_PDEATHSIG are Linux')
def test_sighup_a_closed_terminal_stops_the_stack_and_its_soketi():
    import queue
    import threading
    proc, pid, port = start_stack_process()
    lines: queue.Queue[str] = queue.Queue()
    errors: list[str] = []
    # drain both pipes: a full pipe would block the child (or its Soketi) and look like a hang
    threading.Thread(target=lambda: [lines.put(x.strip()) for x in proc.stdout],
                     daemon=True).start()
    threading.Thread(target=lambda: errors.extend(proc.stderr), daemon=True).start()

    def next_line(timeout: float) -> str:
        try:
            return lines.get(timeout=timeout)
        except queue.Empty:
            return f'(nothing within {timeout:g} s; stderr: {"".join(errors)[-2000:]})'
    try:
        proc.send_signal(signal.SIGHUP)
        # the handler ran (SystemExit in the main thread), then stop() returned
        assert next_line(STOP_BOUND_S * 3) == 'stopping'
        assert next_line(STOP_BOUND_S * 3) == 'stopped'
        assert proc.wait(STOP_BOUND_S) == 128 + signal.SIGHUP
        assert wait_gone(pid) and not port_open(port)
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='PR_SET_PDEATHSIG is Linux only')
def test_soketi_ends_when_its_parent_is_killed():
    proc, pid, port = start_stack_process()
    try:
        proc.kill()                                          # SIGKILL: no finally, no handler runs
        proc.wait(10)
        assert wait_gone(pid), f'Soketi {pid} outlived its killed parent'
        assert not port_open(port)
    finally:
        if pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
