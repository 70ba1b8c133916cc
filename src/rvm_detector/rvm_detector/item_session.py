"""Item state machine: empty -> queued -> (verdict) -> present -> empty, plus the session summary.

Items come one at a time.  An item is *queued* when an object shows up in an
empty chamber, gets ONE verdict once its track has been still for
``stable_frames`` frames, and ends when the chamber has been empty for
``leave_frames`` frames.  A session starts with its first item and ends after
``idle_timeout_s`` without any object, or on the ``end_session`` command.
"""
from __future__ import annotations

import time
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable

from rvm_common.events import (EVENT_DETECTION_COMPLETED, EVENT_PROCESSING_UPDATED,
                               EVENT_SESSION_COMPLETED, TOPIC_PROCESSING, TOPIC_SESSION,
                               TOPIC_VERDICT, make_event, utc_iso)
from rvm_detector.class_map import ClassMap
from rvm_detector.detection import Detection, box_containment
from rvm_detector.item_tracker import IouTracker
from rvm_detector.item_verdict import VerdictPolicy, judge

Event = tuple[str, dict[str, Any]]

EMPTY, QUEUED, PRESENT = 'empty', 'queued', 'present'


@dataclass(frozen=True)
class ItemPolicy:
    """Timing rules of the item state machine."""

    stable_frames: int = 5
    stable_iou: float = 0.85
    match_iou: float = 0.3
    leave_frames: int = 5
    idle_timeout_s: float = 30.0


@dataclass
class Item:
    """The item currently in the chamber."""

    item_id: str
    track_id: int
    verdict: dict[str, Any] | None = None
    verdict_track_born: int = 0


class ItemSession:
    """Turns per-frame detections into item and session events (pure; clocks are inputs)."""

    def __init__(self, class_map: ClassMap, item_policy: ItemPolicy = ItemPolicy(),
                 verdict_policy: VerdictPolicy = VerdictPolicy(), *, rvm_id: str = '',
                 model_name: str = '', wall_clock: Callable[[], float] = time.time) -> None:
        self.class_map = class_map
        self.policy = item_policy
        self.verdict_policy = verdict_policy
        self.rvm_id = rvm_id
        self.model_name = model_name
        self.wall_clock = wall_clock
        self.tracker = IouTracker(match_iou=item_policy.match_iou, stable_iou=item_policy.stable_iou,
                                  max_misses=item_policy.leave_frames)
        self.item: Item | None = None
        self.empty_frames = 0
        self.session_id: str | None = None
        self.session_started: float = 0.0
        self.last_activity: float | None = None
        self.verdicts: list[dict[str, Any]] = []
        self.items_total = 0
        self.items_failed = 0

    # -- state ---------------------------------------------------------------------------
    @property
    def state(self) -> str:
        if self.item is None:
            return EMPTY
        return PRESENT if self.item.verdict is not None else QUEUED

    def track(self, detections: list[Detection]) -> bool:
        """Update tracks with this frame's detections; True when this frame makes a verdict."""
        self.tracker.update(detections)
        self.empty_frames = 0 if detections else self.empty_frames + 1
        return self._candidate() is not None

    def _candidate(self):
        """The still track that would get a verdict in this frame, or None."""
        visible = self.tracker.visible()
        if self.item is not None and self.item.verdict is not None:
            if self.item.track_id in self.tracker.tracks:
                return None
            # The verdicted item's track is gone but a new one came to rest: a new item.
            visible = [t for t in visible if t.track_id > self.item.verdict_track_born]
        ready = [t for t in visible if t.still_frames >= self.policy.stable_frames]
        if not ready:
            return None
        if self.item is not None and self.item.verdict is None:
            for t in ready:
                if t.track_id == self.item.track_id:
                    return t
        return max(ready, key=lambda t: t.last.confidence)

    def advance(self, frame_w: int, frame_h: int, now: float, stamp_ns: int,
                timings_ms: dict[str, float] | None = None) -> list[Event]:
        """Events after :meth:`track` (and refinement) for the same frame."""
        events: list[Event] = []
        visible = self.tracker.visible()
        if visible:
            self.last_activity = now
        if self.item is not None and self.empty_frames >= self.policy.leave_frames:
            events += self._end_item('left the chamber before a stable view')
        candidate = self._candidate()
        if self.item is not None and self.item.verdict is not None and candidate is not None:
            events += self._end_item('')  # verdicted item replaced by a new one at rest
        if self.item is None and visible:
            best = candidate or max(visible, key=lambda t: t.last.confidence)
            events += self._start_item(best.track_id, now)
        if self.item is not None and self.item.verdict is None:
            if self.item.track_id not in self.tracker.tracks and visible:
                # Fast motion split the track: follow the best visible object instead.
                self.item.track_id = max(visible, key=lambda t: t.last.confidence).track_id
            if candidate is not None:
                self.item.track_id = candidate.track_id
                events += self._verdict(candidate, frame_w, frame_h, stamp_ns, timings_ms or {})
        return events

    # -- transitions -----------------------------------------------------------------------
    def _start_item(self, track_id: int, now: float) -> list[Event]:
        events: list[Event] = []
        if self.session_id is None:
            self.session_id = str(uuid.uuid4())
            self.session_started = self.wall_clock()
            self.verdicts = []
        self.item = Item(item_id=str(uuid.uuid4()), track_id=track_id)
        self.items_total += 1
        events.append(self._processing('queued', 'object entered the chamber'))
        return events

    def _verdict(self, track, frame_w, frame_h, stamp_ns, timings_ms) -> list[Event]:
        item = self.item
        events = [self._processing('processing', f'stable for {track.still_frames} frames')]
        window = list(track.history)[-self.policy.stable_frames:]
        # other objects: seen in at least 2 frames and not a fragment lying inside the item's box
        others = [t.last for t in self.tracker.visible()
                  if t.track_id != track.track_id and t.hits >= min(2, self.policy.stable_frames)
                  and box_containment(t.last.bbox, track.last.bbox) < 0.8]
        try:
            fields = judge(window, others, frame_w, frame_h, self.class_map, self.verdict_policy)
        except Exception as exc:  # a bad detection must not take the node down
            item.verdict = {'failed': str(exc)}
            item.verdict_track_born = max(self.tracker.tracks, default=0)
            self.items_failed += 1
            return events + [self._processing('failed', f'verdict failed: {exc}')]
        payload = make_event(EVENT_DETECTION_COMPLETED, {
            'item_id': item.item_id, 'session_id': self.session_id, **fields,
            'capture_time': utc_iso(stamp_ns / 1e9),
            'timings_ms': {k: round(float(timings_ms.get(k, 0.0)), 2)
                           for k in ('preprocess', 'inference', 'refine', 'postprocess', 'total')},
            'model': self.model_name,
        }, rvm_id=self.rvm_id, timestamp=self.wall_clock())
        item.verdict = payload
        item.verdict_track_born = max(self.tracker.tracks, default=0)
        self.verdicts.append(payload)
        detail = 'accepted' if payload['accepted'] else f'rejected: {payload["reason"]}'
        return events + [(TOPIC_VERDICT, payload), self._processing('completed', detail)]

    def _end_item(self, failed_detail: str) -> list[Event]:
        item, self.item = self.item, None
        if item is None or item.verdict is not None or not failed_detail:
            return []
        self.items_failed += 1
        return [self._processing('failed', failed_detail, item)]

    def _processing(self, status: str, detail: str, item: Item | None = None) -> Event:
        item = item or self.item
        return (TOPIC_PROCESSING, make_event(EVENT_PROCESSING_UPDATED, {
            'item_id': item.item_id, 'session_id': self.session_id, 'status': status,
            'detail': detail}, rvm_id=self.rvm_id, timestamp=self.wall_clock()))

    # -- session ---------------------------------------------------------------------------
    def tick(self, now: float) -> list[Event]:
        """Session summary once the chamber has been idle for ``idle_timeout_s``."""
        if self.session_id is None or self.item is not None or self.last_activity is None:
            return []
        if now - self.last_activity < self.policy.idle_timeout_s:
            return []
        return self.end_session('idle_timeout')

    def end_session(self, reason: str = 'command') -> list[Event]:
        """Close the current session (an item still waiting for its verdict fails)."""
        if self.session_id is None:
            return []
        events = self._end_item('session ended before a verdict') if self.item else []
        verdicts = [v for v in self.verdicts if 'accepted' in v]
        counts = Counter(v['category'] for v in verdicts)
        accepted = sum(1 for v in verdicts if v['accepted'])
        payload = make_event(EVENT_SESSION_COMPLETED, {
            'session_id': self.session_id,
            'started_at': utc_iso(self.session_started),
            'ended_at': utc_iso(self.wall_clock()),
            'reason': reason,
            'counts': dict(sorted(counts.items())),
            'accepted': accepted,
            'rejected': len(verdicts) - accepted,
            'total': len(verdicts),
        }, rvm_id=self.rvm_id, timestamp=self.wall_clock())
        self.session_id = None
        self.verdicts = []
        self.tracker.reset()
        self.empty_frames = 0
        return events + [(TOPIC_SESSION, payload)]
