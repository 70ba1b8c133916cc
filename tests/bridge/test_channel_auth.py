"""ChannelAuthorizer against a Laravel-like /broadcasting/auth endpoint (Bearer token)."""

from __future__ import annotations

import json
import time

import pytest
from rvm_bridge.connection.channel_auth import (
    AuthConfigError, AuthRejected, AuthUnavailable, ChannelAuthorizer, token_provider)
from rvm_bringup.soketi import free_port

from support.laravel_auth import LaravelAuthServer

TOKEN = 'tok-3b8f0e'


@pytest.fixture
def endpoint():
    server = LaravelAuthServer(
        '1001', 'app-key', 'app-secret', TOKEN, denied_channels=('private-other',)).start()
    yield server
    server.stop()


def authorizer(url, token=TOKEN, timeout_s=2.0):
    return ChannelAuthorizer(url, lambda: token, timeout_s=timeout_s)


def test_private_and_presence_signatures_match_the_pusher_sdk(endpoint):
    signed = authorizer(endpoint.url).authorize('123.456', 'private-rvm.rvm-1')
    assert signed.auth == endpoint.client.authenticate('private-rvm.rvm-1', '123.456')['auth']
    assert signed.auth.startswith('app-key:') and signed.channel_data is None
    presence = authorizer(endpoint.url).authorize('123.456', 'presence-fleet')
    assert json.loads(presence.channel_data)['user_id'] == 'rvm-1'
    [first, _] = endpoint.attempts()
    assert (first.socket_id, first.channel, first.authorization) == (
        '123.456', 'private-rvm.rvm-1', f'Bearer {TOKEN}')


def test_wrong_token_and_denied_channel_are_rejections_without_the_token(endpoint):
    auth = authorizer(endpoint.url, token='not-the-token')
    with pytest.raises(AuthRejected) as wrong:
        auth.authorize('1.2', 'private-rvm.rvm-1')
    assert wrong.value.status == 401 and 'not-the-token' not in str(wrong.value)
    with pytest.raises(AuthRejected) as denied:
        authorizer(endpoint.url).authorize('1.2', 'private-other')
    assert denied.value.status == 403
    assert auth.counters['rejected'] == 1


def test_slow_or_missing_endpoint_is_unavailable_within_the_timeout(endpoint):
    endpoint.delay_s = 1.5
    started = time.monotonic()
    with pytest.raises(AuthUnavailable, match='timed out'):
        authorizer(endpoint.url, timeout_s=0.3).authorize('1.2', 'private-a')
    assert time.monotonic() - started < 1.2
    with pytest.raises(AuthUnavailable, match='unreachable'):
        authorizer(f'http://127.0.0.1:{free_port()}/auth').authorize('1.2', 'private-a')
    with pytest.raises(AuthUnavailable, match='HTTP 404'):
        authorizer(endpoint.url.replace('/api/v2/', '/api/v9/')).authorize('1.2', 'private-a')


def test_missing_configuration_is_a_config_error_and_sends_nothing(endpoint):
    with pytest.raises(AuthConfigError, match='no Bearer token'):
        authorizer(endpoint.url, token='').authorize('1.2', 'private-a')
    with pytest.raises(AuthConfigError, match='no auth endpoint'):
        authorizer('').authorize('1.2', 'private-a')
    assert endpoint.attempts() == []


def test_token_from_env_then_file(tmp_path, monkeypatch):
    token_file = tmp_path / 'token'
    token_file.write_text(' file-token\n')
    read = token_provider('RVM_TEST_TOKEN_ENV', str(token_file))
    monkeypatch.delenv('RVM_TEST_TOKEN_ENV', raising=False)
    assert read() == 'file-token'
    monkeypatch.setenv('RVM_TEST_TOKEN_ENV', 'env-token')
    assert read() == 'env-token'
    monkeypatch.delenv('RVM_TEST_TOKEN_ENV')
    with pytest.raises(AuthConfigError, match='cannot read'):
        token_provider('RVM_TEST_TOKEN_ENV', str(tmp_path / 'missing'))()
