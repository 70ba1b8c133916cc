"""A small fleet against the two-node Redis cluster, node A killed and restarted mid-run.

20 virtual machines (real bridge cores, own outboxes) on node A, the pusher-js dashboard and
the Laravel stand-in's triggers on node B.  Nothing is timed tightly: every wait polls a
condition with a generous deadline, so a loaded 2-core CI only makes it slower.
"""
from __future__ import annotations

import pytest

from rvm_fleet.fleet import FleetOptions, run_fleet

MACHINES = 20


@pytest.mark.slow
def test_small_fleet_survives_a_node_restart_with_nothing_lost(tmp_path):
    report = run_fleet(
        FleetOptions(
            machines=MACHINES, minutes=0.5, rate=20.0, restart_at=10.0, seed=18,
            work_dir=str(tmp_path / 'fleet'), drain_timeout_s=180.0, ready_timeout_s=180.0)
    )
    # every durable event arrived once, by event_id: stored by the listener, re-broadcast, none
    # twice the stream did produce verdicts and sessions
    assert report.durable > MACHINES
    assert (report.lost, report.not_stored, report.duplicated, report.left_in_outboxes) == (
        0, 0, 0, 0), report
    assert report.drained
    # every machine reconnected (and re-subscribed its private channel) after the kill
    restart = report.restart
    assert restart is not None and restart['reconnected'] == MACHINES, restart
    assert restart['recovered_s'] is not None and report.machines_connected == MACHINES
    assert report.reconnects >= MACHINES
    # no synchronized wave: the jittered backoff spreads the reconnects out
    assert (
        restart['peak_reconnects_100ms'] < MACHINES and restart['peak_attempts_100ms'] < MACHINES
    ), restart
    assert restart['reconnect_spread_s']['span_s'] > 0.2, restart
    # each machine authorized its private channel again, through the edge's rate limit
    assert restart['auth_requests'] >= MACHINES and report.auth_requests >= 2 * MACHINES
