"""Bridge status -> DiagnosticArray, checked with the rosbags Humble typestore (CDR round trip)."""

from rvm_bridge.diagnostics import bridge_diagnostic
from rvm_common.diagnostics_msgs import ERROR, OK, WARN, level_of, to_diagnostic_array
from rvm_common.typestore import humble_typestore, rosbags_factory


def _status(**kw):
    base = {
        'state': 'connected', 'rvm_id': 'rvm-1', 'reconnects': 2, 'last_error': '',
        'outbox_depth': 0, 'outbox_oldest_age_s': 0.0, 'latency_ms': {'p50': 3.1, 'p99': 9.9},
        'inbound': {'accepted': 1}}
    base.update(kw)
    return base


def test_levels():
    assert bridge_diagnostic(_status())['level'] == OK
    assert bridge_diagnostic(_status(outbox_depth=500, outbox_oldest_age_s=120))['level'] == WARN
    assert bridge_diagnostic(_status(state='unavailable'))['level'] == WARN
    assert bridge_diagnostic(_status(state='offline'))['level'] == WARN
    failed = bridge_diagnostic(_status(state='failed', last_error='4001 unknown app'))
    assert failed['level'] == ERROR and '4001' in failed['message']


def test_array_round_trips_through_cdr():
    store = humble_typestore()
    diag = bridge_diagnostic(_status(state='unavailable', outbox_depth=7))
    msg = to_diagnostic_array(rosbags_factory(), [diag], stamp_ns=1_700_000_000_123_456_789)
    raw = store.serialize_cdr(msg, 'diagnostic_msgs/msg/DiagnosticArray')
    back = store.deserialize_cdr(raw, 'diagnostic_msgs/msg/DiagnosticArray')
    assert back.header.stamp.sec == 1_700_000_000 and back.header.stamp.nanosec == 123_456_789
    status = back.status[0]
    assert (
        level_of(status) == WARN
        and status.name == 'rvm_edge: bridge'
        and status.hardware_id == 'rvm-1'
    )
    values = {kv.key: kv.value for kv in status.values}
    assert (
        values['outbox_depth'] == '7'
        and values['latency_p99_ms'] == '9.9'
        and values['reconnects'] == '2'
    )


def test_every_bridge_state_has_a_level_and_unknown_states_warn():
    from rvm_common.bridge_state import OUTAGES, BridgeState

    levels = {s: bridge_diagnostic(_status(state=s.value))['level'] for s in BridgeState}
    assert {s for s, level in levels.items() if level == ERROR} == {
        BridgeState.FAILED, BridgeState.ERROR}
    assert {s for s, level in levels.items() if level == OK} == {
        BridgeState.ONLINE, BridgeState.CONNECTED}
    # failed: refused, an error
    assert all(levels[s] == WARN for s in OUTAGES - {BridgeState.FAILED})
    unknown = bridge_diagnostic(_status(state='teleporting'))
    assert unknown['level'] == WARN and unknown['message'].startswith('teleporting')
