"""Where a fleet connects: a remote deployment's addresses and secrets are checked up front."""

from types import SimpleNamespace

import pytest

from rvm_fleet.target import RemoteTarget


def _options(**kw):
    values = dict(
        server='ws://reverb-a.example:8080', dashboard_server='', app_id='7', app_key='k',
        api_base='https://myrvm.example')
    values.update(kw)
    return SimpleNamespace(**values)


def test_remote_target_reads_addresses_and_env_secrets(monkeypatch):
    monkeypatch.setenv('RVM_BRIDGE_APP_SECRET', 's')
    monkeypatch.setenv('RVM_BRIDGE_TOKEN', 't')
    target = RemoteTarget(_options(dashboard_server='reverb-b.example:6001'))
    assert (target.host, target.port) == ('reverb-a.example', 8080)
    assert (target.dashboard_host, target.dashboard_port) == ('reverb-b.example', 6001)
    assert (target.secret, target.token, target.app_id, target.key) == ('s', 't', '7', 'k')
    with pytest.raises(RuntimeError, match='no node that can be restarted'):
        target.node_a()
    assert target.stored_ids() is None


def test_remote_target_without_secrets_or_with_a_bad_url_says_so(monkeypatch):
    monkeypatch.delenv('RVM_BRIDGE_APP_SECRET', raising=False)
    monkeypatch.setenv('RVM_BRIDGE_TOKEN', 't')
    with pytest.raises(ValueError, match=r'RVM_BRIDGE_APP_SECRET'):
        RemoteTarget(_options())
    monkeypatch.setenv('RVM_BRIDGE_APP_SECRET', 's')
    with pytest.raises(ValueError, match='expected ws://host:port'):
        RemoteTarget(_options(server='wss://reverb.example:443'))
    with pytest.raises(ValueError, match='expected ws://host:port'):
        RemoteTarget(_options(server='ws://reverb.example'))
