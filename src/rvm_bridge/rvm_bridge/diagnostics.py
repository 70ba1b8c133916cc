"""Bridge status -> a DiagnosticStatus-shaped dict (the message is made by
:func:`rvm_common.diagnostics_msgs.to_diagnostic_array`, shared with the health node)."""
from __future__ import annotations

import json
from typing import Any

from rvm_common.bridge_state import BridgeState
from rvm_common.diagnostics_msgs import ERROR, OK, WARN

NAME = 'rvm_edge: bridge'


def bridge_diagnostic(
    status: dict[str, Any], *, warn_depth: int = 100, warn_age_s: float = 60.0
) -> dict[str, Any]:
    """One DiagnosticStatus dict from ``BridgeCore.status()``.

    Its keys: name, level, message, hardware_id, values.
    """
    state = str(status.get('state', 'unknown'))
    known = BridgeState.parse(state)
    depth = int(status.get('outbox_depth') or 0)
    age = float(status.get('outbox_oldest_age_s') or 0.0)
    if known is BridgeState.FAILED:
        level, message = ERROR, f'connection failed: {status.get("last_error") or "?"}'
    elif known is BridgeState.ERROR:
        level, message = ERROR, str(status.get('last_error') or 'error')
    elif status.get('storage', 'ok') != 'ok':      # the outbox file refuses writes
        level, message = ERROR, str(status.get('last_error') or f'outbox: {status["storage"]}')
    elif known is BridgeState.OFFLINE:
        level, message = WARN, f'offline (no host configured); {depth} event(s) kept in the outbox'
    elif (
        known is None
        or known.is_outage
        or known in (BridgeState.STARTING, BridgeState.INITIALIZED)
    ):
        level, message = WARN, f'{state}; outbox {depth} event(s), oldest {age:.0f} s'
    elif status.get('paused'):
        level, message = (
            ERROR, f'delivery paused (configuration): {"; ".join(status["paused"].values())}')
    elif depth >= warn_depth or age >= warn_age_s:
        level, message = WARN, f'outbox backlog: {depth} event(s), oldest {age:.0f} s'
    else:
        level, message = OK, f'{state}; outbox {depth}'
    latency = status.get('latency_ms') or {}
    values = {
        'state': state,
        'reconnects': status.get('reconnects', 0),
        'last_error': status.get('last_error') or '',
        'outbox_depth': depth,
        'outbox_oldest_age_s': age,
        'outbox_bytes': status.get('outbox_bytes', 0),
        'dead_lettered': status.get('dead_lettered', 0),
        'sent': status.get('sent', 0),
        'awaiting_ack': status.get('awaiting_ack', 0),
        'paused': json.dumps(status.get('paused') or {}, separators=(',', ':')),
        'latency_p50_ms': latency.get('p50'),
        'latency_p99_ms': latency.get('p99'),
        'clock_offset_ms': status.get('clock_offset_ms'),
        'timezone': status.get('timezone'),
        'inbound': json.dumps(status.get('inbound') or {}, separators=(',', ':')),
        'storage': status.get('storage', 'ok'),
        'thread_restarts': json.dumps((status.get('threads') or {}).get('restarts') or {},
                                      separators=(',', ':')),
    }
    return {
        'name': NAME, 'level': level, 'message': message,
        'hardware_id': str(status.get('rvm_id', '')),
        'values': {k: '' if v is None else str(v) for k, v in values.items()}}
