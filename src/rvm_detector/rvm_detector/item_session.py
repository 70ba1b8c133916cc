"""Item session: runs the chamber state machine on tracked detections and makes the events.

Per frame :meth:`ItemSession.track` tracks the detections, then :meth:`ItemSession.advance` builds
the :class:`~rvm_detector.chamber_state.ChamberFacts`, applies the transition table and performs
the edge's action: ``processing-updated`` events, one ``detection-completed`` per chamber episode
and the session summary. A session starts with its first episode and ends after ``idle_timeout_s``
with no item waiting, on the ``end_session`` command, or at shutdown. Clocks are inputs (``now``).
"""

from __future__ import annotations

import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any, Callable

from rvm_common.events import (EVENT_DETECTION_COMPLETED, EVENT_PROCESSING_UPDATED,
                               EVENT_SESSION_COMPLETED, TOPIC_PROCESSING, TOPIC_SESSION,
                               TOPIC_VERDICT, make_event, utc_iso)
from rvm_detector.chamber_state import (
    IDLE_END_STATES, INITIAL_STATE, SESSION_END, Action, Chamber, ChamberFacts, step)
from rvm_detector.chamber_view import ChamberCounters, distinct_objects, split_hands
from rvm_detector.class_map import ClassMap
from rvm_detector.detection import Detection
from rvm_detector.item_tracker import IouTracker, Track
from rvm_detector.item_verdict import VerdictPolicy, judge, vote

Event = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class ItemPolicy:
    """Timing and geometry rules of the chamber state machine."""

    stable_frames: int = 5
    stable_iou: float = 0.85
    match_iou: float = 0.3
    leave_frames: int = 5
    idle_timeout_s: float = 30.0
    confirm_frames: int = 2
    multi_frames: int = 3
    settle_timeout_s: float = 10.0
    frame_gap_s: float = 1.0
    entry_side: str = 'left'


@dataclass
class Episode:
    """One chamber episode: from an object appearing in an armed chamber until it is empty."""

    episode_id: str
    item_id: str
    opened_clock: float
    main_track: int = -1
    last_window: tuple = ()
    # an accept waiting for the exit: fields, capture, timings
    pending: dict[str, Any] | None = None


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
        self.tracker = IouTracker(
            match_iou=item_policy.match_iou, stable_iou=item_policy.stable_iou,
            max_misses=item_policy.leave_frames)
        self.state: Chamber = INITIAL_STATE
        self.transitions: deque = deque(maxlen=200)   # (source, target, action) of recent edges
        self.counters = ChamberCounters()
        self.episode: Episode | None = None
        self.session_id: str | None = None
        self.session_started: float = 0.0
        self.last_activity: float | None = None
        self.verdicts: list[dict[str, Any]] = []
        self.items_total = 0
        self.items_failed = 0
        self._items: list[Detection] = []
        self._distinct: list[Track] = []
        self._main: Track | None = None
        self._frame = (1, 1)
        self._stamp_ns = 0

    # -- per frame -------------------------------------------------------------------------------
    def track(self, detections: list[Detection]) -> bool:
        """Track this frame's detections; True if a verdict is due on this frame (SAM2 'item')."""
        items, hands = split_hands(detections)
        self.tracker.update(items)
        self._items = items
        self._distinct = distinct_objects(self.tracker, self.verdict_policy.multi_object_conf,
                                          min(2, self.policy.stable_frames))
        self.counters.observe(items, hands, len(self._distinct))
        self._main = self._main_track()
        return self.state is Chamber.SETTLING and self._settled()

    def _main_track(self) -> Track | None:
        visible = self.tracker.visible()
        episode = self.episode
        if episode is not None:
            for track in visible:
                if track.track_id == episode.main_track:
                    return track
        return max(visible, key=lambda t: (t.hits, t.last.confidence), default=None)

    def _settled(self) -> bool:
        main = self._main
        return (main is not None and main.still_frames >= self.policy.stable_frames
                and not self.counters.hand_visible and len(self._distinct) <= 1)

    def advance(self, frame_w: int, frame_h: int, now: float, stamp_ns: int,
                timings_ms: dict[str, float] | None = None) -> list[Event]:
        """Events after :meth:`track` (and refinement) for the same frame."""
        counters, policy = self.counters, self.policy
        counters.advance_clock(now, policy.frame_gap_s)
        self._frame, self._stamp_ns = (frame_w, frame_h), stamp_ns
        if self._items and self.state not in (Chamber.CLEARING, Chamber.BLOCKED):
            self.last_activity = now
        if self.episode is not None and self._main is not None:
            self.episode.main_track = self._main.track_id
            self.episode.last_window = tuple(self._main.history)[-policy.stable_frames:]
        settled = self.state is Chamber.SETTLING and self._settled()
        judgement: dict[str, Any] | str | None = None
        if settled:
            try:
                judgement = self._judge(
                    self._main, [t.last for t in self._distinct if t is not self._main])
            except Exception as exc:  # a bad detection must not take the node down
                judgement = str(exc)
        episode = self.episode
        facts = ChamberFacts(
            objects=len(self._items),
            confirmed=counters.seen_frames >= policy.confirm_frames,
            multiple=counters.multi_frames >= policy.multi_frames,
            gone=counters.empty_frames >= policy.leave_frames,
            left_via_entry=counters.left_via_entry(frame_w, frame_h, policy.entry_side),
            settle_timeout=episode is not None
            and counters.clock - episode.opened_clock >= policy.settle_timeout_s,
            settled=settled,
            accepted=judgement.get('accepted') if isinstance(judgement, dict) else None,
            judge_failed=isinstance(judgement, str),
        )
        edge = step(self.state, facts)
        if edge is None:
            return []
        context = {'judgement': judgement, 'stamp_ns': stamp_ns, 'timings': timings_ms or {}}
        events = self._perform(edge.action, context)
        self.transitions.append((edge.source, edge.target, edge.action))
        self.state = edge.target
        self.last_activity = now
        if edge.target in (Chamber.EMPTY, Chamber.BLOCKED):
            self.episode = None
        return events

    # -- actions ---------------------------------------------------------------------------------
    def _perform(self, action: Action, ctx: dict[str, Any]) -> list[Event]:
        if action is Action.NONE:
            return []
        if action is Action.OPEN:
            return self._open()
        if action is Action.JUDGE:
            fields = ctx['judgement']
            if fields['accepted']:
                self.episode.pending = {
                    'fields': fields, 'stamp_ns': ctx['stamp_ns'], 'timings': ctx['timings']}
                return [
                    self._processing(
                        'processing', 'accepted; final when it leaves toward the exit')
                ]
            return self._final(fields, ctx['stamp_ns'], ctx['timings'])
        if action is Action.FINAL_ACCEPT:
            pending = self.episode.pending
            return self._final(pending['fields'], pending['stamp_ns'], pending['timings'])
        if action in (Action.REJECT_WITHDRAWN, Action.REJECT_NOT_CLEARED):
            pending = self.episode.pending
            reason = 'withdrawn' if action is Action.REJECT_WITHDRAWN else 'not_cleared'
            return self._final(dict(pending['fields'], accepted=False, reason=reason),
                               pending['stamp_ns'], pending['timings'])
        if action is Action.REJECT_MULTIPLE:
            objects = self._distinct
            main = max(objects, key=lambda t: t.last.confidence)
            return self._forced(
                'multiple_objects', list(main.history)[-self.policy.stable_frames:],
                [t.last for t in objects if t is not main], ctx, objects)
        if action is Action.REJECT_NOT_SETTLED:
            return self._forced('not_settled', list(self.episode.last_window), [], ctx)
        failed = ('left the chamber before a stable view' if action is Action.LOST
                  else f'verdict failed: {ctx["judgement"]}')
        self.items_failed += 1
        return [self._processing('failed', failed)]

    def _open(self) -> list[Event]:
        if self.session_id is None:
            self.session_id = str(uuid.uuid4())
            self.session_started = self.wall_clock()
            self.verdicts = []
        self.episode = Episode(episode_id=str(uuid.uuid4()), item_id=str(uuid.uuid4()),
                               opened_clock=self.counters.clock)
        if self._main is not None:
            self.episode.main_track = self._main.track_id
            self.episode.last_window = tuple(self._main.history)[-self.policy.stable_frames:]
        self.items_total += 1
        return [self._processing('queued', 'object entered the chamber')]

    def _judge(self, main: Track, others: list[Detection]) -> dict[str, Any]:
        window = list(main.history)[-self.policy.stable_frames:]
        fields = judge(window, others, *self._frame, self.class_map, self.verdict_policy)
        fields['objects'] = {'count': 1, 'categories': {fields['category']: 1}}
        return fields

    def _forced(
        self, reason: str, window: list[Detection], others: list[Detection], ctx: dict[str, Any],
        objects: list[Track] = (),
    ) -> list[Event]:
        """A rejection with ``reason``, described by ``window`` (main object) and ``objects``."""
        if not window:
            self.items_failed += 1
            return [self._processing('failed', f'rejected ({reason}) but no view of the object')]
        try:
            fields = judge(window, others, *self._frame, self.class_map, self.verdict_policy)
        except Exception as exc:  # a bad detection must not take the node down
            self.items_failed += 1
            return [self._processing('failed', f'verdict failed: {exc}')]
        if objects:
            cats = Counter(self.class_map.category_of(vote(list(t.history))[0]) for t in objects)
            fields['objects'] = {'count': len(objects), 'categories': dict(sorted(cats.items()))}
        else:
            fields['objects'] = {'count': 1, 'categories': {fields['category']: 1}}
        return self._final(
            dict(fields, accepted=False, reason=reason), ctx['stamp_ns'], ctx['timings'])

    def _final(
        self, fields: dict[str, Any], stamp_ns: int, timings_ms: dict[str, float]
    ) -> list[Event]:
        """Publish the episode's one verdict."""
        episode = self.episode
        payload = make_event(
            EVENT_DETECTION_COMPLETED,
            {
                'item_id': episode.item_id, 'episode_id': episode.episode_id,
                'session_id': self.session_id, **fields, 'capture_time': utc_iso(stamp_ns / 1e9),
                'timings_ms': {
                    k: round(float(timings_ms.get(k, 0.0)), 2)
                    for k in ('preprocess', 'inference', 'refine', 'postprocess', 'total')
                },
                'model': self.model_name},
            rvm_id=self.rvm_id, timestamp=self.wall_clock())
        episode.pending = None
        self.verdicts.append(payload)
        detail = 'accepted' if payload['accepted'] else f'rejected: {payload["reason"]}'
        return [(TOPIC_VERDICT, payload), self._processing('completed', detail)]

    def _processing(self, status: str, detail: str) -> Event:
        return (TOPIC_PROCESSING, make_event(EVENT_PROCESSING_UPDATED, {
            'item_id': self.episode.item_id, 'session_id': self.session_id, 'status': status,
            'detail': detail}, rvm_id=self.rvm_id, timestamp=self.wall_clock()))

    # -- session ---------------------------------------------------------------------------------
    def tick(self, now: float) -> list[Event]:
        """Session summary once no verdict waits and nothing happened for ``idle_timeout_s``."""
        if (
            self.session_id is None
            or self.state not in IDLE_END_STATES
            or self.last_activity is None
        ):
            return []
        if now - self.last_activity < self.policy.idle_timeout_s:
            return []
        return self.end_session('idle_timeout')

    def end_session(self, reason: str = 'command') -> list[Event]:
        """End the session: an item in the chamber is judged or rejected once, never seen again."""
        target, action = SESSION_END[self.state]
        events: list[Event] = []
        if self.episode is not None:
            ctx = {'judgement': None, 'stamp_ns': self._stamp_ns, 'timings': {}}
            events = self._perform(action, ctx)
        self.transitions.append((self.state, target, action))
        self.state = target
        self.episode = None
        if self.session_id is None:
            return events
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
        return events + [(TOPIC_SESSION, payload)]
