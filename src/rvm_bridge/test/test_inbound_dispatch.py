"""Inbound dispatch: contract checks, client- prefix, JSON strings; malformed/unknown counted."""

import pytest

from rvm_bridge.routing.channel_map import load_channel_map
from rvm_bridge.routing.inbound_dispatch import InboundDispatcher, InboundError, parse_inbound


def _dispatcher():
    got = []
    return (
        InboundDispatcher(load_channel_map(rvm_id='r1'), lambda kind, p: got.append((kind, p))),
        got)


def test_accepts_objects_json_strings_and_client_events():
    d, got = _dispatcher()
    assert d.dispatch('timezone-updates', 'manual-sync', '{"timezone":"Asia/Jakarta"}')
    assert d.dispatch('timezone-updates', 'manual-sync', '')
    assert d.dispatch('private-rvm.r1', 'client-manual-sync', {'requested_by': 'ops'})
    assert d.dispatch('private-rvm.r1', 'command', {'command': 'end_session', 'args': {}})
    assert [k for k, _ in got] == ['manual-sync', 'manual-sync', 'manual-sync', 'command']
    assert got[0][1] == {'timezone': 'Asia/Jakarta'} and got[1][1] == {}
    assert d.stats()['accepted'] == 4


def test_malformed_unknown_and_internal_events():
    d, got = _dispatcher()
    assert not d.dispatch('private-rvm.r1', 'command', {'command': 'self_destruct'})
    assert not d.dispatch('private-rvm.r1', 'command', '{broken')
    assert not d.dispatch('timezone-updates', 'manual-sync', {'timezone': ''})
    assert not d.dispatch('timezone-updates', 'manual-sync', [1, 2])
    # other machine
    assert not d.dispatch('private-rvm.r2', 'command', {'command': 'end_session'})
    assert not d.dispatch('timezone-updates', 'pusher:subscription_succeeded', {})
    assert got == [] and d.stats() == {
        'accepted': 0, 'unknown': 1, 'malformed': 4, 'handler_errors': 0,
        'rejected_client_command': 0, 'rate_limited': 0}


def test_handler_error_is_counted_not_raised():
    d = InboundDispatcher(load_channel_map(rvm_id='r1'), lambda kind, p: 1 / 0)
    assert d.dispatch('timezone-updates', 'manual-sync', {})
    assert d.stats()['handler_errors'] == 1


def test_commands_only_from_the_server_client_command_rejected_and_counted(caplog):
    d, got = _dispatcher()
    assert not d.dispatch('private-rvm.r1', 'client-command', {'command': 'end_session'})
    assert not d.dispatch('private-rvm.r1', 'client-command', {'command': 'maintenance_on'})
    assert d.dispatch('private-rvm.r1', 'command', {'command': 'maintenance_on'})
    assert [p['command'] for _, p in got] == ['maintenance_on']
    assert d.stats()['rejected_client_command'] == 2 and 'only from the server' in caplog.text


def test_client_manual_sync_is_rate_limited_server_one_is_not():
    now = [0.0]
    got = []
    d = InboundDispatcher(load_channel_map(rvm_id='r1'), lambda kind, p: got.append(kind),
                          client_sync_interval_s=10.0, clock=lambda: now[0])
    assert d.dispatch('private-rvm.r1', 'client-manual-sync', {})
    now[0] = 9.0
    assert not d.dispatch('private-rvm.r1', 'client-manual-sync', {})
    # from the server: not limited
    assert d.dispatch('timezone-updates', 'manual-sync', {})
    now[0] = 10.5
    assert d.dispatch('private-rvm.r1', 'client-manual-sync', {})
    assert len(got) == 3 and d.stats()['rate_limited'] == 1


def test_empty_objects_relayed_as_empty_lists_are_accepted():
    d, got = _dispatcher()
    # Reverb: {} -> []
    assert d.dispatch('timezone-updates', 'manual-sync', [])
    assert d.dispatch('private-rvm.r1', 'command', {'command': 'end_session', 'args': []})
    assert got == [('manual-sync', {}), ('command', {'command': 'end_session', 'args': {}})]


def test_schema_errors_from_the_contract_are_logged_with_the_field_and_counted(caplog):
    d, got = _dispatcher()
    assert not d.dispatch('timezone-updates', 'manual-sync', {'request_id': 'x' * 129})
    assert not d.dispatch(
        'private-rvm.r1', 'command', {'command': 'end_session', 'requested_by': 7})
    assert not d.dispatch('private-rvm.r1', 'command', {'command': 'end_session', 'args': 'now'})
    assert not d.dispatch('timezone-updates', 'manual-sync', {'timezone': 'x' * 65})
    assert got == [] and d.stats()['malformed'] == 4
    logged = [r.getMessage() for r in caplog.records if r.levelname == 'WARNING']
    assert len(logged) == 4
    assert 'manual-sync: /request_id:' in logged[0] and 'command: /requested_by:' in logged[1]
    assert 'command: /args:' in logged[2] and 'manual-sync: /timezone:' in logged[3]


def test_parse_inbound_names_the_unknown_command_and_keeps_unknown_fields():
    with pytest.raises(InboundError, match="unknown command 'self_destruct'"):
        parse_inbound('command', {'command': 'self_destruct'})
    with pytest.raises(InboundError, match='data is not JSON'):
        parse_inbound('command', '{broken')
    assert parse_inbound('manual-sync', '{"timezone": "Asia/Jakarta", "extra": 1}') == \
        {'timezone': 'Asia/Jakarta', 'extra': 1}
