"""A virtual machine time-stamps its connection's state changes (read through BridgeState)."""
from rvm_bridge.bridge_core import BridgeConfig
from rvm_bridge.connection.state import ConnectionState as S
from rvm_fleet.auth_limit import TokenBucket
from rvm_fleet.machine import VirtualMachine


def test_connects_losses_and_attempts_are_stamped_on_the_injected_clock(tmp_path):
    now = [0.0]
    config = BridgeConfig(host='', rvm_id='vm-1', outbox_path=str(tmp_path / 'o.sqlite3'),
                          timezone_sync_on_start=False, status_period_s=0.0)
    machine = VirtualMachine(
        config, auth_bucket=lambda: TokenBucket(10.0, 10), clock=lambda: now[0])
    try:
        for t, (previous, current) in enumerate(
            [
                (S.INITIALIZED, S.CONNECTING), (S.CONNECTING, S.CONNECTED),
                (S.CONNECTED, S.UNAVAILABLE), (S.UNAVAILABLE, S.CONNECTING),
                (S.CONNECTING, S.CONNECTED)],
            start=1,
        ):
            now[0] = float(t)
            machine._state_changed(previous, current)
        assert machine.connected_at == [2.0, 5.0]
        assert machine.lost_at == [3.0]
        assert machine.attempts_at == [1.0, 4.0]
        assert not machine.ready()          # offline: no connection at all
    finally:
        machine.core.outbox.close()
