"""Item session: runs the chamber state machine on tracked detections and makes the events.

Per frame :meth:`ItemSession.track` filters and tracks the detections and returns a
:class:`~rvm_detector.chamber_view.FrameView`; :meth:`ItemSession.advance` takes that view,
builds the :class:`~rvm_detector.chamber_state.ChamberFacts`, applies the transition table and
runs the edge's action through :data:`ItemSession.HANDLERS` (one handler per action):
``processing-updated`` events, one ``detection-completed`` per chamber episode and the session
summary. A session starts with its first episode and ends after ``idle_timeout_s`` with no item
waiting, on the ``end_session`` command, or at shutdown. Clocks are inputs (``now``, stamps).
"""

from __future__ import annotations

import time
import uuid
from collections import Counter, deque
from typing import Any, Callable

import numpy as np

from rvm_detector.appearance import signature_of
from rvm_detector.calibration import zones as zones_of
from rvm_detector.chamber_state import (
    IDLE_END_STATES, INITIAL_STATE, SESSION_END, Action, Chamber, ChamberFacts, step)
from rvm_detector.chamber_view import (STILL_MOTION, ChamberCounters, FixtureBoxes, FrameView,
                                       corroborated, distinct_objects, split_hands)
from rvm_detector.class_map import ClassMap
from rvm_detector.detection import Detection
from rvm_detector.exit_evidence import OPPOSITE, Sighting, Whereabouts, cut_by_frame_edge
from rvm_detector.item_events import Event, ItemEvents
from rvm_detector.item_tracker import IouTracker, Track
from rvm_detector.item_verdict import VerdictPolicy, judge, rest_verdict, vote
from rvm_detector.presence import PresenceReading
from rvm_detector.session_records import (ChamberZones, Episode, ItemPolicy, Judgement,
                                          StepContext)

#: still frames of a judged item that its re-vote counts (a longer rest keeps the latest ones)
REST_FRAMES = 150

__all__ = ['ChamberZones', 'Episode', 'Event', 'ItemPolicy', 'ItemSession', 'Judgement',
           'StepContext']


class ItemSession:
    """Turns per-frame detections into item and session events (pure; clocks are inputs)."""

    def __init__(self, class_map: ClassMap, item_policy: ItemPolicy = ItemPolicy(),
                 verdict_policy: VerdictPolicy = VerdictPolicy(), *, rvm_id: str = '',
                 model_name: str = '', wall_clock: Callable[[], float] = time.time,
                 zones: ChamberZones | None = None) -> None:
        self.class_map = class_map
        self.policy = item_policy
        self.verdict_policy = verdict_policy
        self.events = ItemEvents(rvm_id, model_name, wall_clock)
        self.wall_clock = wall_clock
        self.zones = zones                       # None: the frame's quarters (no calibration)
        self.entry_side = zones.entry_side if zones is not None else item_policy.entry_side
        self.calibrated = zones is not None
        self.tracker = IouTracker(
            match_iou=item_policy.match_iou, stable_iou=item_policy.stable_iou,
            max_misses=item_policy.leave_frames)
        self.state: Chamber = INITIAL_STATE
        self.transitions: deque = deque(maxlen=200)   # (source, target, action) of recent edges
        self.counters = ChamberCounters()
        self.fixtures = FixtureBoxes()             # clutter the model sees on the empty chamber
        self.where: Whereabouts | None = None
        self.episode: Episode | None = None
        self.session_id: str | None = None
        self.session_started: float = 0.0
        self.last_activity: float | None = None
        self.verdicts: list[dict[str, Any]] = []
        self.items_total = 0
        self.items_failed = 0
        self.phantoms = 0
        self._frame = (1, 1)
        self._still_track, self._still_count = -1, 0     # image stillness of the main object
        self._stamp_ns = 0
        self._items_before: list[Detection] = []          # corroborated items of the last frame
        self.HANDLERS: dict[Action, Callable[[StepContext], list[Event]]] = {
            Action.NONE: lambda ctx: [],
            Action.OPEN: self._open,
            Action.JUDGE: self._judge_item,
            Action.FINAL_ACCEPT: self._final_accept,
            Action.REJECT_WITHDRAWN: lambda ctx: self._reject_pending('withdrawn', ctx),
            Action.REJECT_NOT_CLEARED: lambda ctx: self._reject_pending('not_cleared', ctx),
            Action.REJECT_MULTIPLE: self._reject_multiple,
            Action.REJECT_NOT_SETTLED: self._reject_not_settled,
            Action.ACCEPT_AND_OPEN: lambda ctx: self._final_accept(ctx) + self._open(ctx),
            Action.WITHDRAW_AND_OPEN:
                lambda ctx: self._reject_pending('withdrawn', ctx) + self._open(ctx),
            Action.LOST: lambda ctx: self._failed('left the chamber before a stable view'),
            Action.FAIL: self._fail,
            Action.DISMISS: lambda ctx: self._failed(
                'the camera moved: the episode was the moved background'),
            Action.CLOSE: lambda ctx: [],
        }

    @property
    def rvm_id(self) -> str:
        return self.events.rvm_id

    @rvm_id.setter
    def rvm_id(self, value: str) -> None:
        self.events.rvm_id = value

    # -- per frame -------------------------------------------------------------------------------
    def track(self, detections: list[Detection], frame_size: tuple[int, int],
              image: np.ndarray | None = None,
              presence: PresenceReading | None = None) -> FrameView:
        """Filter (hands, phantoms, outside the ROI) and track one frame's detections."""
        self._frame = frame_size
        zones = self._zones(frame_size)
        if presence is not None and presence.dark:
            return FrameView([], [], [], [], None, present=False, dark=True)
        items, hands = split_hands(detections)
        phantoms, faint = 0, False
        if presence is not None:
            seen = items
            items, phantoms, faint = corroborated(items, zones.roi, presence,
                                                  self._items_before, self.policy.match_iou)
            items, phantoms = self.fixtures.apply(
                seen, items, phantoms, self.state in (Chamber.EMPTY, Chamber.BLOCKED), image)
            self._items_before = items
        self.phantoms += phantoms
        self.tracker.update(items)
        visible = self.tracker.visible()
        sightings = [Sighting(t.track_id, t.last.bbox, signature_of(image, t.last),
                              cut_by_frame_edge(t.last.bbox, frame_size), t.first_bbox,
                              t.history[-2].bbox if len(t.history) >= 2 else None)
                     for t in visible]
        where = self._where()
        new = [t for t, s in zip(visible, sightings) if not where.is_resident(s)]
        pending = self.episode.pending if self.episode is not None else None
        footprint = pending['rest'][-1].bbox if pending and self.state is Chamber.JUDGED else None
        distinct = distinct_objects(new, self.verdict_policy.multi_object_conf,
                                    min(2, self.policy.stable_frames), footprint)
        present = bool(items) or (presence is not None and presence.present
                                  and not self.fixtures.covers(presence.bbox))
        main = self._main_track(new, sightings)
        return FrameView(items, hands, new, distinct, main, present,
                         presence_box=presence.bbox if presence is not None else None,
                         phantoms=phantoms, faint=faint, sightings=sightings,
                         scene_moved=presence is not None and presence.moved,
                         image_still=self._image_still(main, presence))

    def _image_still(self, main: Track | None, presence: PresenceReading | None) -> int:
        """Frames in a row the main object's box has not changed in the image (0: moving)."""
        share = (presence.motion_share(main.last.bbox)
                 if main is not None and presence is not None else None)
        if share is None or share >= STILL_MOTION or main.track_id != self._still_track:
            self._still_count = 1 if share is not None and share < STILL_MOTION else 0
        else:
            self._still_count += 1
        self._still_track = main.track_id if main is not None else -1
        return self._still_count

    def _zones(self, frame_size: tuple[int, int]) -> ChamberZones:
        if self.zones is None:
            width, height = frame_size
            roi = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
            self.zones = ChamberZones(roi, *zones_of(roi, self.entry_side), self.entry_side)
        return self.zones

    def _where(self) -> Whereabouts:
        if self.where is None:
            zones = self._zones(self._frame)
            self.where = Whereabouts(zones.entry, zones.exit, OPPOSITE[self.entry_side],
                                     frame_size=self._frame)
        return self.where

    def _main_track(self, new: list[Track], sightings: list[Sighting]) -> Track | None:
        episode, where = self.episode, self._where()
        if episode is not None and self.state is Chamber.JUDGED:
            judged = {s.track_id for s in sightings if where.is_judged(s)}
            candidates = [t for t in new if t.track_id in judged]
        else:
            candidates = new
        if episode is not None:
            for track in candidates:
                if track.track_id == episode.main_track:
                    return track
        return max(candidates, key=lambda t: (t.hits, t.last.confidence), default=None)

    def verdict_due(self, view: FrameView) -> bool:
        """True if this frame would make the episode's verdict (SAM2 refine=item)."""
        return self.state is Chamber.SETTLING and self._settled(view)

    def _settled(self, view: FrameView) -> bool:
        main = view.main
        still = max(main.still_frames, view.image_still) if main is not None else 0
        # a judged item's rest takes only views of it alone: pieces of it around a hand the
        # model cannot see would make a piece its footprint, and the other pieces a second object
        alone = self.state is not Chamber.JUDGED or len(view.new_items) == 1
        return (main is not None and still >= self.policy.stable_frames
                and not view.hands and len(view.distinct) <= 1 and alone)

    def advance(self, view: FrameView, now: float, stamp_ns: int,
                timings_ms: dict[str, float] | None = None) -> list[Event]:
        """Events for the frame :meth:`track` saw (after any refinement of its detections)."""
        if view.dark:                       # lights out / lens covered: no information
            return []
        counters, policy, where = self.counters, self.policy, self._where()
        counters.advance_clock(stamp_ns, policy.frame_gap_s)
        counters.observe(view)
        self._stamp_ns = stamp_ns
        episode = self.episode
        where.observe(view.sightings, view.presence_box,
                      episode.main_track if episode is not None else -1)
        if episode is not None and view.main is not None:
            episode.main_track = view.main.track_id
            episode.last_window = tuple(view.main.history)[-policy.stable_frames:]
            if self.state is Chamber.SETTLING:
                where.follow(view.main.last.bbox)
        settled = self.state in (Chamber.SETTLING, Chamber.JUDGED) and self._settled(view)
        judgement = None
        if settled:
            judgement = (self._judge(view) if self.state is Chamber.SETTLING
                         else self._rejudge(view))
        facts = ChamberFacts(
            objects=len(view.new_items),
            confirmed=counters.seen_frames >= policy.confirm_frames,
            multiple=counters.multi_frames >= policy.multi_frames,
            gone=counters.empty_frames >= policy.leave_frames,
            at_exit=where.at_exit(),
            newcomer=where.newcomer(policy.confirm_frames),
            settle_timeout=episode is not None
            and counters.clock - episode.opened_clock >= policy.settle_timeout_s,
            settled=settled,
            accepted=judgement.accepted if judgement is not None else None,
            judge_failed=judgement is not None and judgement.fields is None,
            present=view.present,
            scene_moved=view.scene_moved,
        )
        edge = step(self.state, facts)
        if edge is None:
            return []
        source = self.state
        events = self.HANDLERS[edge.action](
            StepContext(view, judgement, stamp_ns, dict(timings_ms or {})))
        self.transitions.append((source, edge.target, edge.action))
        self.state = edge.target
        if edge.action is not Action.NONE:      # blips and arming are not activity
            self.last_activity = now
        elif self.last_activity is None:
            self.last_activity = now
        if edge.target in (Chamber.EMPTY, Chamber.BLOCKED):
            self.episode = None
            where.reset(keep_residents=False)
        return events

    def _judge(self, view: FrameView) -> Judgement:
        main = view.main
        try:
            window = list(main.history)[-self.policy.stable_frames:]
            others = [t.last for t in view.distinct if t is not main]
            fields = judge(window, others, *self._frame, self.class_map, self.verdict_policy)
        except Exception as exc:  # a bad detection must not take the node down
            return Judgement(error=str(exc) or type(exc).__name__)
        fields['objects'] = {'count': 1, 'categories': {fields['category']: 1}}
        signature = next((s.signature for s in view.sightings if s.track_id == main.track_id),
                         None)
        return Judgement(fields, signature=signature)

    def _rejudge(self, view: FrameView) -> Judgement | None:
        """The judged item is still: the re-vote over its whole rest (None: its class holds)."""
        pending = self.episode.pending
        pending['rest'].append(view.main.last)
        try:
            fields = rest_verdict(list(pending['rest']), pending['fields']['class_name'],
                                  *self._frame, self.class_map, self.verdict_policy)
        except Exception:  # a bad detection must not take the node down: the accept holds
            return None
        if fields is None:
            return None
        fields['objects'] = {'count': 1, 'categories': {fields['category']: 1}}
        return Judgement(fields)

    # -- actions (one handler per Action) --------------------------------------------------------
    def _open(self, ctx: StepContext) -> list[Event]:
        if self.session_id is None:
            self.session_id = str(uuid.uuid4())
            self.session_started = self.wall_clock()
            self.verdicts = []
        self._where().reset(keep_residents=self.state is Chamber.CLEARING)
        self.episode = Episode(episode_id=str(uuid.uuid4()), item_id=str(uuid.uuid4()),
                               opened_clock=self.counters.clock)
        main = ctx.view.main
        if main is not None:
            self.episode.main_track = main.track_id
            self.episode.last_window = tuple(main.history)[-self.policy.stable_frames:]
        self.items_total += 1
        return self._processing('queued', 'object entered the chamber')

    def _judge_item(self, ctx: StepContext) -> list[Event]:
        judgement = ctx.judgement
        if judgement.accepted:
            self.episode.pending = {
                'fields': judgement.fields, 'stamp_ns': ctx.stamp_ns, 'timings': ctx.timings,
                'rest': deque(self.episode.last_window, maxlen=REST_FRAMES)}
            self._where().decide(judgement.signature, [], self.tracker.next_id,
                                 ctx.view.main.last.bbox)
            return self._processing('processing', 'accepted; final when it leaves by the exit')
        self._decide_residents(ctx)
        return self._final(judgement.fields, ctx.stamp_ns, ctx.timings)

    def _final_accept(self, ctx: StepContext) -> list[Event]:
        pending = self.episode.pending
        return self._final(pending['fields'], pending['stamp_ns'], pending['timings'])

    def _reject_pending(self, reason: str, ctx: StepContext) -> list[Event]:
        pending = self.episode.pending
        return self._final(dict(pending['fields'], accepted=False, reason=reason),
                           pending['stamp_ns'], pending['timings'])

    def _reject_multiple(self, ctx: StepContext) -> list[Event]:
        objects = ctx.view.distinct
        main = max(objects, key=lambda t: t.last.confidence)
        self._decide_residents(ctx)
        return self._forced('multiple_objects', list(main.history)[-self.policy.stable_frames:],
                            [t.last for t in objects if t is not main], ctx, objects)

    def _reject_not_settled(self, ctx: StepContext) -> list[Event]:
        self._decide_residents(ctx)
        return self._forced('not_settled', list(self.episode.last_window), [], ctx)

    def _fail(self, ctx: StepContext) -> list[Event]:
        self._decide_residents(ctx)
        return self._failed(f'verdict failed: {ctx.judgement.error}')

    def _decide_residents(self, ctx: StepContext) -> None:
        """The episode is decided at once: what is in the chamber now stays as residents."""
        new = {t.track_id for t in ctx.view.new_items}
        self._where().decide(None, [s for s in ctx.view.sightings if s.track_id in new],
                             self.tracker.next_id)

    def _failed(self, detail: str) -> list[Event]:
        self.items_failed += 1
        return self._processing('failed', detail)

    def _forced(self, reason: str, window: list[Detection], others: list[Detection],
                ctx: StepContext, objects: list[Track] = ()) -> list[Event]:
        """A rejection with ``reason``, described by ``window`` (main object) and ``objects``."""
        if not window:
            return self._failed(f'rejected ({reason}) but no view of the object')
        try:
            fields = judge(window, others, *self._frame, self.class_map, self.verdict_policy)
        except Exception as exc:  # a bad detection must not take the node down
            return self._failed(f'verdict failed: {exc}')
        if objects:
            cats = Counter(self.class_map.category_of(vote(list(t.history))[0]) for t in objects)
            fields['objects'] = {'count': len(objects), 'categories': dict(sorted(cats.items()))}
        else:
            fields['objects'] = {'count': 1, 'categories': {fields['category']: 1}}
        return self._final(dict(fields, accepted=False, reason=reason), ctx.stamp_ns, ctx.timings)

    def _final(self, fields: dict[str, Any], stamp_ns: int,
               timings_ms: dict[str, float]) -> list[Event]:
        """Publish the episode's one verdict (the hook point for evidence.py: ``fields``)."""
        episode = self.episode
        topic, payload = self.events.verdict(episode.item_id, episode.episode_id,
                                             self.session_id, fields, stamp_ns, timings_ms)
        episode.pending = None
        self.verdicts.append(payload)
        detail = 'accepted' if payload['accepted'] else f'rejected: {payload["reason"]}'
        return [(topic, payload)] + self._processing('completed', detail)

    def _processing(self, status: str, detail: str) -> list[Event]:
        return self.events.processing(self.episode.item_id, self.session_id, status, detail)

    # -- session ---------------------------------------------------------------------------------
    def tick(self, now: float) -> list[Event]:
        """Session summary once no verdict waits and nothing happened for ``idle_timeout_s``."""
        if (self.session_id is None or self.state not in IDLE_END_STATES
                or self.last_activity is None):
            return []
        if now - self.last_activity < self.policy.idle_timeout_s:
            return []
        return self.end_session('idle_timeout')

    def end_session(self, reason: str = 'command') -> list[Event]:
        """End the session: an item in the chamber is judged or rejected once, never seen again."""
        target, action = SESSION_END[self.state]
        events: list[Event] = []
        if self.episode is not None:
            empty = FrameView([], [], [], [], None, present=False)
            events = self.HANDLERS[action](StepContext(empty, None, self._stamp_ns, {}))
        self.transitions.append((self.state, target, action))
        self.state = target
        self.episode = None
        if self.where is not None:
            self.where.reset(keep_residents=False)
        if self.session_id is None:
            return events
        summary = self.events.session(self.session_id, self.session_started, reason,
                                      [v for v in self.verdicts if 'accepted' in v])
        self.session_id = None
        self.verdicts = []
        return events + [summary]
