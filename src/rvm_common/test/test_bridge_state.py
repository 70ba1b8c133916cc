"""BridgeState: the wire strings, parsing, outages; every reader of bridge/status uses it."""
import json

from rvm_common.bridge_state import OUTAGES, BridgeState


def test_wire_values_are_unchanged_and_print_as_themselves():
    assert [s.value for s in BridgeState] == [
        'offline', 'error', 'starting', 'online', 'degraded', 'initialized', 'connecting',
        'connected', 'unavailable', 'failed', 'disconnected']
    assert json.dumps({'state': BridgeState.CONNECTED}) == '{"state": "connected"}'
    assert f'{BridgeState.FAILED}' == str(BridgeState.FAILED) == 'failed' == BridgeState.FAILED


def test_parse_reads_members_strings_and_the_connection_enum():
    class Socket:          # an enum member of another class with the same values (ConnectionState)
        value = 'CONNECTED'

    assert BridgeState.parse('Unavailable') is BridgeState.UNAVAILABLE
    assert BridgeState.parse(BridgeState.ONLINE) is BridgeState.ONLINE
    assert BridgeState.parse(Socket()) is BridgeState.CONNECTED
    assert BridgeState.parse('reconnecting') is None and BridgeState.parse(None) is None


def test_outages_are_the_states_where_events_wait_for_the_link():
    assert {s.value for s in OUTAGES} == {
        'connecting', 'unavailable', 'failed', 'disconnected', 'degraded'}
    assert not BridgeState.OFFLINE.is_outage and not BridgeState.CONNECTED.is_outage
    assert BridgeState.DEGRADED.is_outage


def test_the_socket_states_are_bridge_states():
    from rvm_bridge.connection.state import ConnectionState

    assert {BridgeState.parse(s) for s in ConnectionState} <= set(BridgeState)
    assert None not in {BridgeState.parse(s) for s in ConnectionState}


def test_the_contract_lists_exactly_the_bridge_states():
    from rvm_common import contract

    allowed = contract.schema('health-updated')['properties']['pipeline']['properties'][
        'bridge_state']['enum']
    assert set(allowed) == {s.value for s in BridgeState} | {'stale', None}
