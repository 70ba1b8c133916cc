"""Truthful delivery counts and the one-line summary a run ends with.

Counts (``BridgeCore.status()['delivery']``): ``stored`` (the server acknowledged storing
them), ``accepted_fanout`` (HTTP events API 2xx: accepted for fan-out, not stored),
``awaiting_ack`` (sent, the server accepted them, no ``events-stored`` yet), ``failed``
(queued after a failed send, retried), ``queued`` (not sent yet), ``dead_lettered`` (by the
operator's rules, with the reasons kept in the dead-letter table), ``unstored`` (the disk
refused them: held in memory, retried), ``lost_unstored`` (refused with the memory buffer full,
or still held at close), ``integrity_errors``.  :func:`summary_text` says "every durable event
delivered" only when nothing is left, nothing was lost and everything was stored.
"""
from __future__ import annotations

from typing import Any

from rvm_common.bridge_state import BridgeState


def delivery_counts(outbox: Any, sender_stats: dict[str, Any]) -> dict[str, Any]:
    """The counts of one bridge (``outbox``: an Outbox, ``sender_stats``: ``Sender.stats()``)."""
    depth = outbox.depth()
    awaiting = int(sender_stats.get('awaiting_ack', 0))
    failed = min(
        max(0, depth - awaiting), outbox.count_failed(sender_stats.get('awaiting_seqs', ())))
    return {
        'stored': int(sender_stats.get('stored', 0)),
        'accepted_fanout': int(sender_stats.get('accepted_fanout', 0)),
        'awaiting_ack': awaiting,
        'failed': failed,
        'queued': max(0, depth - awaiting - failed),
        'dead_lettered': int(outbox.counters.get('dead_lettered', 0)),
        'dead_letter_reasons': outbox.dead_letter_reasons(),
        'in_outbox': depth,
        'paused': dict(sender_stats.get('paused') or {}),
        'unstored': outbox.unstored(),
        'lost_unstored': int(outbox.counters.get('lost_unstored', 0)),
        'integrity_errors': int(outbox.counters.get('integrity_errors', 0)),
        'storage': outbox.storage_fault() or 'ok',
    }


def summary_text(status: dict[str, Any]) -> str:
    """The closing line's delivery part for a ``bridge-status`` dict."""
    d = status.get('delivery') or {}
    state = status.get('state', '?')
    left = int(d.get('in_outbox', status.get('outbox_depth', 0)) or 0)
    storage = _storage_text(d)
    if BridgeState.parse(state) is BridgeState.OFFLINE:
        return f'no server configured: {left} durable events kept in the outbox' + storage
    stored, fanout = int(d.get('stored', 0)), int(d.get('accepted_fanout', 0))
    dead = int(d.get('dead_lettered', 0))
    if left == 0 and dead == 0 and not storage:
        if fanout == 0:
            return (
                f'bridge {state}: every durable event delivered ({stored} stored, acknowledged by'
                ' the server)'
            )
        return (
            f'bridge {state}: every durable event accepted by the server ({stored} stored and'
            f' acknowledged, {fanout} accepted for fan-out by the HTTP events API, no storage'
            ' acknowledgement)'
        )
    parts = [f'{stored} stored (acknowledged)']
    if fanout:
        parts.append(f'{fanout} accepted for fan-out (HTTP, not acknowledged)')
    parts += [f"{d.get('awaiting_ack', 0)} sent awaiting ack", f"{d.get('queued', 0)} queued",
              f"{d.get('failed', 0)} failed-retryable"]
    reasons = d.get('dead_letter_reasons') or {}
    why = ', '.join(f'{r}: {n}' for r, n in sorted(reasons.items()))
    parts.append(f'{dead} dead-lettered' + (f' ({why})' if dead and why else ''))
    text = f'bridge {state}: ' + ', '.join(parts)
    if left:
        text += f'; {left} durable events remain in the outbox (sent later)'
    text += storage
    error = status.get('last_error')
    if error and left:
        text += f'; last error: {error}'
    return text


def _storage_text(d: dict[str, Any]) -> str:
    """'; outbox: disk full, 3 events held in memory, 1 LOST ...' ('' when the disk was fine)."""
    held, lost = int(d.get('unstored', 0) or 0), int(d.get('lost_unstored', 0) or 0)
    integrity = int(d.get('integrity_errors', 0) or 0)
    fault = d.get('storage') or 'ok'
    parts = []
    if fault != 'ok' or held:
        parts.append(f'outbox: {fault}, {held} events held in memory (not stored)')
    if lost:
        parts.append(f'{lost} events LOST: the disk refused them (see the log)')
    if integrity:
        parts.append(f'{integrity} events refused by an outbox integrity error (see the log)')
    return ''.join(f'; {p}' for p in parts)
