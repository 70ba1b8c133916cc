"""DemoStack's Laravel-like endpoints and static serving, against a real Soketi (no browser)."""
from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import urllib.error
import urllib.request
from urllib.parse import urlencode

from rvm_bridge.bridge_config import BridgeConfig
from rvm_common import events
from rvm_common.params import config_from_mapping
from support.schemas import validate_event


def request(url: str, *, body=None, token: str | None = None, form: bool = False, method: str | None = None):
    """(status, headers, body bytes) of one HTTP call."""
    headers = {}
    data = None
    if body is not None:
        data = urlencode(body).encode() if form else json.dumps(body).encode()
        headers['Content-Type'] = 'application/x-www-form-urlencoded' if form else 'application/json'
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
    assert request(ep.auth_endpoint, body={**good, 'socket_id': 'bogus'}, form=True, token=ep.token)[0] == 422

    status, _, raw = request(ep.auth_endpoint, body=good, form=True, token=ep.token)
    assert status == 200
    signature = hmac.new(ep.secret.encode(), b'123.456:private-rvm.rvm-demo', hashlib.sha256).hexdigest()
    assert json.loads(raw) == {'auth': f'{ep.key}:{signature}'}
    status, _, raw = request(ep.auth_endpoint, body=good, token=ep.token)         # JSON body works too
    assert status == 200 and json.loads(raw)['auth'].startswith(ep.key + ':')


def test_manual_sync_endpoint_triggers_the_event_through_the_http_api(demo, pusher_listener):
    ep = demo.endpoints
    listener = pusher_listener(demo.soketi, [events.CHANNEL_TIMEZONE])
    listener.wait_for(lambda r: r.get('event') == 'pusher:subscription_succeeded')
    assert request(ep.manual_sync_url, body={})[0] == 401
    status, _, raw = request(ep.manual_sync_url, token=ep.token, body={
        'timezone': 'Asia/Jakarta', 'requested_by': 'ops', 'request_id': 'r-1', 'evil': 'x', 'retries': 3})
    assert status == 202
    record = listener.wait_for(lambda r: r.get('event') == events.EVENT_MANUAL_SYNC)
    data = record['data'] if isinstance(record['data'], dict) else json.loads(record['data'])
    assert data == {'timezone': 'Asia/Jakarta', 'requested_by': 'ops', 'request_id': 'r-1'}
    validate_event(data, events.EVENT_MANUAL_SYNC)
    assert request(ep.manual_sync_url, token=ep.token, body=['not', 'an', 'object'])[0] == 400

    demo.soketi.kill()                                  # server down: a clear 502, the demo keeps serving
    status, _, raw = request(ep.manual_sync_url, token=ep.token, body={})
    assert status == 502 and 'trigger failed' in json.loads(raw)['message']
    assert request(ep.http_base + '/')[0] == 200


def test_static_dashboard_and_vendored_pusher_js(demo):
    base = demo.endpoints.http_base
    status, headers, raw = request(base + '/')
    assert status == 200 and headers['Content-Type'].startswith('text/html') and b'app.js' in raw
    assert headers['Date']                              # the bridge's time sync reads it (api_base)
    status, headers, raw = request(base + '/vendor/pusher.min.js')
    assert status == 200 and 'javascript' in headers['Content-Type'] and b'Pusher' in raw
    assert request(base + '/app.js', method='HEAD')[0] == 200
    for path in ('/../pyproject.toml', '/%2e%2e/README.md', '/missing.js', '/vendor/../../README.md'):
        assert request(base + path)[0] == 404, path
    assert request(base + '/api/v2/other', body={}, token=demo.endpoints.token)[0] == 404


def test_bridge_settings_are_bridge_config_fields_and_args_point_at_the_stack(demo, monkeypatch):
    ep = demo.endpoints
    config = config_from_mapping(BridgeConfig, ep.bridge_settings())     # strict: unknown keys raise
    assert (config.host, config.port, config.tls, config.app_key) == (ep.host, ep.port, False, ep.key)
    monkeypatch.delenv('RVM_BRIDGE_APP_SECRET', raising=False)
    monkeypatch.delenv('RVM_BRIDGE_TOKEN', raising=False)
    args = ep.apply_to_args(argparse.Namespace(bridge_host=None, bridge_port=None, app_key=None, app_id=None,
                                               rvm_id=None, source='x.mp4'))
    assert (args.bridge_host, args.bridge_port, args.app_key, args.app_id) == (ep.host, ep.port, ep.key,
                                                                              ep.app_id)
    assert (args.rvm_id, args.bridge_tls, args.source) == ('rvm-demo', False, 'x.mp4')
    assert os.environ['RVM_BRIDGE_APP_SECRET'] == ep.secret and os.environ['RVM_BRIDGE_TOKEN'] == ep.token
    assert ep.token not in repr(ep)
