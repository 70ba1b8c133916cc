"""The ``bridge-status`` payload: state, delivery counts, outbox, storage, threads, connection.

What ``bridge/status`` and /diagnostics show of a :class:`~rvm_bridge.bridge_core.BridgeCore`.
A storage fault reads ``last_error: 'outbox: disk full (N events held in memory)'`` with state
``degraded`` (the connection may be fine; the disk is not); ``threads.restarts`` counts the
background loops restarted after an exception (sender, socket reader, auth worker, jobs,
outbox writer); rvm_health puts them in health-updated.
"""
from __future__ import annotations

from typing import Any

from rvm_bridge.delivery.summary import delivery_counts
from rvm_common.bridge_state import BridgeState
from rvm_common.events import make_event


def thread_stats(core: Any) -> dict[str, Any]:
    """Restarts and last errors of the bridge's supervised threads, connection included."""
    stats = core.supervisor.stats()
    conn = core.connection
    supervisor = getattr(conn, 'supervisor', None) if conn is not None else None
    if supervisor is not None and supervisor is not core.supervisor:
        theirs = supervisor.stats()
        stats = {key: {**stats[key], **theirs[key]} for key in stats}
    return stats


def bridge_status(core: Any) -> dict[str, Any]:
    """The ``bridge-status`` event of ``core`` (a BridgeCore)."""
    sender = core.sender.stats()
    outbox = core.outbox
    conn = core.connection.stats() if core.connection is not None else None
    state = core.state
    if core.config.online and core.connection is None:
        state = (BridgeState.DEGRADED if sender['last_error'] and outbox.depth()
                 else BridgeState.ONLINE)
    last_error = core.last_error or sender['last_error']
    fault = outbox.storage_fault()
    if fault:
        last_error = f'outbox: {fault} ({outbox.unstored()} events held in memory)'
        if state in (BridgeState.ONLINE, BridgeState.CONNECTED):
            state = BridgeState.DEGRADED
    tz = core.timezone.last
    return make_event('bridge-status', {
        'state': state.value,
        'host': core.config.host,
        'reconnects': core.reconnects,
        'last_error': last_error,
        'delivery': delivery_counts(outbox, sender),
        'outbox_depth': outbox.depth(),
        'outbox_bytes': outbox.size_bytes(),
        'outbox_oldest_age_s': round(outbox.oldest_age(), 3),
        'outbox': outbox.stats(),
        'storage': fault or 'ok',
        'latest_pending': sender['latest_pending'],
        'sent': sender['stored'] + sender['accepted_fanout'],
        'awaiting_ack': sender['awaiting_ack'],
        'paused': sender['paused'],
        'latest_sent': sender['latest_sent'],
        'dead_lettered': outbox.counters['dead_lettered'],
        'latency_ms': sender['latency_ms'],
        'published': dict(core.counters),
        'acks': dict(core.ack_counters),
        'inbound': core.inbound.stats(),
        'threads': thread_stats(core),
        'connection': conn,
        'clock_offset_ms': tz.clock_offset_ms if tz else None,
        'timezone': tz.timezone if tz else None,
    }, rvm_id=core.rvm_id)
