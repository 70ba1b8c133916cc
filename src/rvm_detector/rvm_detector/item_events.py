"""The item session's events: verdicts, processing updates (``failed`` also durable), summaries.

A ``failed`` processing update ("no verdict for this episode") is an outcome the server must
hear of, so it goes out twice with one ``event_id``: on ``items/processing`` (latest, for the
live view) and on ``items/failed`` (``TOPIC_ITEM_FAILED``), which the channel map routes
durable (outbox).
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Callable

from rvm_common.events import (EVENT_DETECTION_COMPLETED, EVENT_PROCESSING_UPDATED,
                               EVENT_SESSION_COMPLETED, TOPIC_ITEM_FAILED, TOPIC_PROCESSING,
                               TOPIC_SESSION, TOPIC_VERDICT, make_event, utc_iso)

Event = tuple[str, dict[str, Any]]
TIMING_KEYS = ('preprocess', 'inference', 'refine', 'postprocess', 'total')


class ItemEvents:
    """Builds the event payloads of one detector (envelope: machine id, model, wall clock)."""

    def __init__(self, rvm_id: str, model_name: str, wall_clock: Callable[[], float]) -> None:
        self.rvm_id = rvm_id
        self.model_name = model_name
        self.wall_clock = wall_clock

    def verdict(self, item_id: str, episode_id: str, session_id: str | None,
                fields: dict[str, Any], stamp_ns: int, timings_ms: dict[str, float]) -> Event:
        """One ``detection-completed``."""
        payload = make_event(EVENT_DETECTION_COMPLETED, {
            'item_id': item_id, 'episode_id': episode_id, 'session_id': session_id, **fields,
            'capture_time': utc_iso(stamp_ns / 1e9),
            'timings_ms': {k: round(float(timings_ms.get(k, 0.0)), 2) for k in TIMING_KEYS},
            'model': self.model_name}, rvm_id=self.rvm_id, timestamp=self.wall_clock())
        return TOPIC_VERDICT, payload

    def processing(self, item_id: str, session_id: str | None, status: str,
                   detail: str) -> list[Event]:
        """One ``processing-updated`` (a ``failed`` one also on the durable topic)."""
        payload = make_event(EVENT_PROCESSING_UPDATED, {
            'item_id': item_id, 'session_id': session_id, 'status': status, 'detail': detail},
            rvm_id=self.rvm_id, timestamp=self.wall_clock())
        events = [(TOPIC_PROCESSING, payload)]
        if status == 'failed':
            events.append((TOPIC_ITEM_FAILED, payload))
        return events

    def session(self, session_id: str, started: float, reason: str,
                verdicts: list[dict[str, Any]]) -> Event:
        """One ``session-completed`` counting ``verdicts``."""
        counts = Counter(v['category'] for v in verdicts)
        accepted = sum(1 for v in verdicts if v['accepted'])
        payload = make_event(EVENT_SESSION_COMPLETED, {
            'session_id': session_id, 'started_at': utc_iso(started),
            'ended_at': utc_iso(self.wall_clock()), 'reason': reason,
            'counts': dict(sorted(counts.items())), 'accepted': accepted,
            'rejected': len(verdicts) - accepted, 'total': len(verdicts),
        }, rvm_id=self.rvm_id, timestamp=self.wall_clock())
        return TOPIC_SESSION, payload
