"""Fit an event under the server's message-size limit (Reverb: 10,000 bytes by default).

The size that counts is the whole wire message, Pusher envelope included:
``{"name":..,"channels":[..],"data":"<escaped JSON>"}`` for the HTTP API and
``{"event":..,"channel":..,"data":"<escaped JSON>"}`` for a WebSocket frame;
:func:`wire_size` takes the larger.  :func:`fit_payload` tries, in order:
the payload as is; a compact form (floats rounded, polygons simplified to
fewer points by :func:`rvm_common.polygon.simplify_indices`); then heavy fields
dropped with ``"truncated": true``; finally the bare envelope.  It never
raises on odd payloads and never returns text over the limit (None when even
the bare envelope does not fit).  The text is always valid JSON
(``allow_nan=False``): non-finite numbers become ``null`` and other non-JSON
values their ``str()``, listed in ``"json_notes"``.
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass
from typing import Any

from rvm_common.events import dumps
from rvm_common.polygon import simplify_indices

#: Fields that identify the event; never dropped.
PROTECTED = (
    'type', 'version', 'event_id', 'rvm_id', 'timestamp', 'seq', 'item_id', 'session_id',
    'category', 'class_name', 'confidence', 'accepted', 'reason', 'status', 'state', 'truncated',
    'outbox_id', 'json_notes')
#: Dotted paths dropped first, in this order, before any other large field.
HEAVY_FIELDS = (
    'mask.polygon', 'mask', 'timings_ms', 'detail', 'alerts', 'disk', 'temperatures', 'gpu',
    'pipeline', 'counts')
#: Extra bytes reserved for what a server may add around the data (socket_id, user_id, ...).
ENVELOPE_MARGIN = 96


@dataclass(frozen=True)
class FitResult:
    """The wire JSON of the data (or None) and which steps were needed."""

    text: str | None
    size: int
    compacted: bool
    truncated: bool


def wire_size(channel: str, event: str, data_text: str) -> int:
    """Bytes of the larger of the HTTP-API and WebSocket envelopes carrying ``data_text``."""
    data = len(dumps(data_text).encode('utf-8'))           # the data as an escaped JSON string
    name, chan = len(dumps(event).encode('utf-8')), len(dumps(channel).encode('utf-8'))
    http = len('{"name":,"channels":[],"data":}') + name + chan + data
    ws = len('{"event":,"channel":,"data":}') + name + chan + data
    return max(http, ws) + ENVELOPE_MARGIN


def _round_floats(value: Any, digits: int) -> Any:
    if isinstance(value, float):
        return round(value, digits) if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _round_floats(v, digits) for k, v in value.items()}
    if isinstance(value, list):
        return [_round_floats(v, digits) for v in value]
    return value


def _is_polygon(value: Any) -> bool:
    return (isinstance(value, list) and len(value) > 3
            and all(isinstance(p, (list, tuple)) and len(p) == 2 for p in value))


def _simplify(points: list[Any], max_points: int) -> list[Any]:
    """At most ``max_points`` of a payload polygon's own points (:mod:`rvm_common.polygon`)."""
    try:
        return [points[i] for i in simplify_indices(points, max_points)]
    except (TypeError, ValueError):      # not numeric pairs: keep evenly spaced ones
        return list(points[::math.ceil(len(points) / max_points)])[:max_points]


def _simplify_all(value: Any, max_points: int) -> Any:
    if _is_polygon(value):
        return _simplify(value, max_points)
    if isinstance(value, dict):
        return {k: _simplify_all(v, max_points) for k, v in value.items()}
    if isinstance(value, list):
        return [_simplify_all(v, max_points) for v in value]
    return value


def _drop(payload: dict[str, Any], dotted: str) -> bool:
    parts = dotted.split('.')
    node: Any = payload
    for part in parts[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict) and parts[-1] in node and node[parts[-1]] is not None:
        del node[parts[-1]]
        return True
    return False


def json_safe(value: Any, path: str = '', notes: list[str] | None = None) -> Any:
    """``value`` with non-finite floats as None, non-JSON values as str; paths go to ``notes``."""
    notes = [] if notes is None else notes
    if isinstance(value, float) and not math.isfinite(value):
        notes.append(f'{path or "."}: {value!r} -> null')
        return None
    if isinstance(value, dict):
        return {
            str(k): json_safe(v, f'{path}.{k}' if path else str(k), notes)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [json_safe(v, f'{path}[{i}]', notes) for i, v in enumerate(value)]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    notes.append(f'{path or "."}: {type(value).__name__} -> string')
    return str(value)


def fit_payload(channel: str, event: str, payload: dict[str, Any], limit: int, *,
                float_digits: int = 2, polygon_steps: tuple[int, ...] = (32, 16, 8)) -> FitResult:
    """Fit ``payload``: wire JSON (possibly compacted/truncated) whose envelope fits ``limit``."""
    notes: list[str] = []
    payload = json_safe(payload, notes=notes)
    if notes:
        payload['json_notes'] = notes[:20]

    def attempt(p: Any) -> tuple[str | None, int]:
        # allow_nan=False: always valid JSON for pusher-js and PHP
        text = dumps(p)
        size = wire_size(channel, event, text)
        return (text if size <= limit else None), size

    text, size = attempt(payload)
    if text is not None:
        return FitResult(text, size, False, False)
    work = _round_floats(copy.deepcopy(payload), float_digits)
    text, size = attempt(work)
    for max_points in polygon_steps:
        if text is not None:
            return FitResult(text, size, True, False)
        work = _simplify_all(work, max_points)
        text, size = attempt(work)
    if text is not None:
        return FitResult(text, size, True, False)
    work['truncated'] = True
    for dotted in HEAVY_FIELDS:
        if _drop(work, dotted):
            text, size = attempt(work)
            if text is not None:
                return FitResult(text, size, True, True)
    # then the largest remaining unprotected top-level fields
    others = sorted((k for k in work if k not in PROTECTED),
                    key=lambda k: len(json.dumps(work[k], default=str)), reverse=True)
    for key in others:
        del work[key]
        text, size = attempt(work)
        if text is not None:
            return FitResult(text, size, True, True)
    bare = {
        k: work[k]
        for k in ('type', 'version', 'event_id', 'rvm_id', 'timestamp', 'outbox_id', 'seq')
        if k in work
    }
    bare['truncated'] = True
    text, size = attempt(bare)
    return FitResult(text, size, True, True)
