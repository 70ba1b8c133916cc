"""Per-frame observations of the chamber: objects vs hands, phantoms, distinct objects, counters.

Assumptions (docs/detector.md "Chamber"):

* a *hand* is a detection whose category is ``hand`` (a model with a hand class maps it there in
  the class map). The bundled model has no hand class: its training labels never include hands, so
  a hand is simply not detected; a hand pushing or holding the item still keeps it moving, which
  delays settling through the stillness rule.
* with a calibration, an *item* is a detection whose box centre lies in the ROI and whose box is
  at least :data:`MIN_SUPPORT` foreground (presence) or moving in a still scene, or that continues
  such an item of the frame before (a clear bottle or a pale cup fades into the floor once it
  rests); others are *phantoms* (the model sees something on the still, empty chamber) and are
  ignored. Emptiness is presence's: a chamber whose item the detector lost (a hand over it, a
  miss) is not empty. Without a calibration every detection
  is an item and emptiness means no detection (the detection-only fallback).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rvm_detector.appearance import same_object, signature_of
from rvm_detector.detection import Detection, box_containment, box_iou
from rvm_detector.exit_evidence import box_centre_in
from rvm_detector.item_tracker import Track

HAND_CATEGORY = 'hand'
#: foreground share of a detection box below which the detection is a phantom (a clear bottle
#: shows the floor through it: little of its box differs from the empty chamber)
MIN_SUPPORT = 0.08
#: a box with less than this share changed since the previous frame is still (image stillness)
STILL_MOTION = 0.02
#: a dropped detection with this much foreground may be a faint item: the background is not
#: learnt while it is there
FAINT_SUPPORT = 0.02
#: share of a box that changed since the previous frame that makes a detection a moving item ...
MOVING_SUPPORT = 0.05
#: ... while less than this share of the whole frame changed (not a light switched or flickering)
STILL_SCENE = 0.2


def split_hands(detections: list[Detection]) -> tuple[list[Detection], list[Detection]]:
    """(items, hands) of one frame's detections."""
    hands = [d for d in detections if d.category == HAND_CATEGORY]
    return [d for d in detections if d.category != HAND_CATEGORY], hands


def corroborated(items: list[Detection], roi: np.ndarray | None, presence,
                 before: list[Detection] = (),
                 continue_iou: float = 0.3) -> tuple[list[Detection], int, bool]:
    """(items inside the ROI with image evidence, phantoms dropped, a faint one among them).

    ``presence``: the frame's :class:`~rvm_detector.presence.PresenceReading`. A detection is an
    item when :data:`MIN_SUPPORT` of its box is foreground, or :data:`MOVING_SUPPORT` of it
    changed since the frame before while the frame as a whole did not (a clear bottle the
    floor shows through still moves the image as it comes in), or when it continues (IoU >=
    ``continue_iou``) an item of the frame ``before`` (it stays one while the model follows
    it: a clear bottle at rest may differ from the floor nowhere). A phantom (the model sees
    something on the still, empty chamber) has neither, so it never gets in.
    """
    if roi is None:
        return list(items), 0, False
    inside = [(d, presence.support(d.bbox)) for d in items if box_centre_in(d.bbox, roi)]
    scene_motion = presence.motion_share((0.0, 0.0, 1e9, 1e9))     # the whole frame

    def moving(det: Detection) -> bool:
        share = presence.motion_share(det.bbox)
        return (share is not None and share >= MOVING_SUPPORT
                and scene_motion is not None and scene_motion < STILL_SCENE)

    def continues(det: Detection) -> bool:
        return any(box_iou(det.bbox, b.bbox) >= continue_iou for b in before)

    kept = [d for d, s in inside if s >= MIN_SUPPORT or moving(d) or continues(d)]
    faint = any(FAINT_SUPPORT <= s < MIN_SUPPORT for _, s in inside)
    return kept, len(items) - len(kept), faint


@dataclass
class FixtureBoxes:
    """Clutter of the calibrated empty chamber that the model calls an item: the boxes (and looks)
    of the phantoms seen while the chamber is armed. A later detection there (IoU >= 0.5) that
    looks like that clutter is never an item, even when presence comes to see it (a flickering
    light, an item changing the ROI's median light); one that looks different is an item put
    where the clutter lies."""

    boxes: list = field(default_factory=list)
    looks: list = field(default_factory=list)      # appearance.Signature of each box
    limit: int = 20

    def learn(self, phantoms: list[Detection], image: np.ndarray | None = None) -> None:
        for det in phantoms:
            if all(box_iou(det.bbox, b) < 0.5 for b in self.boxes):
                self.boxes = (self.boxes + [det.bbox])[-self.limit:]
                self.looks = (self.looks + [signature_of(image, det)])[-self.limit:]

    def covers(self, box) -> bool:
        """Whether a presence box lies (>= 80 %) inside a fixture: the clutter, no item."""
        return box is not None and any(box_containment(box, b) >= 0.8 for b in self.boxes)

    def holds(self, det: Detection, image: np.ndarray | None = None) -> bool:
        """Whether ``det`` is a fixture seen again: at its box, with its look."""
        looks = [look for b, look in zip(self.boxes, self.looks) if box_iou(det.bbox, b) >= 0.5]
        if not looks:
            return False
        seen = signature_of(image, det)          # once per detection, only where a fixture lies
        return any(same_object(look, seen) for look in looks)

    def apply(self, seen: list[Detection], items: list[Detection], phantoms: int,
              learn: bool, image: np.ndarray | None = None) -> tuple[list[Detection], int]:
        """(the ``items`` that are no fixture, ``phantoms`` with the fixtures added); ``learn``
        (the chamber is armed): the phantoms among ``seen`` become fixtures first."""
        if learn:
            kept = {id(d) for d in items}
            self.learn([d for d in seen if id(d) not in kept], image)
        left = [d for d in items if not self.holds(d, image)]
        return left, phantoms + len(items) - len(left)


def distinct_objects(tracks: list[Track], min_conf: float, min_hits: int = 2,
                     footprint=None) -> list[Track]:
    """Visible tracks that count as separate objects.

    A track counts once it was matched in ``min_hits`` frames with a confidence of at least
    ``min_conf``, unless its box lies (>= 80 %) inside a larger counted object's box (a fragment).
    ``footprint``: the box where the judged item last lay still; the tracks inside it (>= 80 %)
    are pieces of that one item (a hand across it splits the model's view in two), counted once.
    """
    tracks = [t for t in tracks if t.hits >= min_hits and t.last.confidence >= min_conf]
    tracks.sort(key=lambda t: _area(t.last.bbox), reverse=True)
    kept: list[Track] = []
    inside = False
    for track in tracks:
        if footprint is not None and box_containment(track.last.bbox, footprint) >= 0.8:
            if inside:
                continue
            inside = True
        if all(box_containment(track.last.bbox, k.last.bbox) < 0.8 for k in kept):
            kept.append(track)
    return kept


def _area(box) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


@dataclass(frozen=True)
class FrameView:
    """What :meth:`ItemSession.track` saw in one frame; :meth:`ItemSession.advance` takes it."""

    items: list[Detection]            # corroborated item detections (residents included)
    hands: list[Detection]
    new_items: list[Track]            # visible tracks that are not residents
    distinct: list[Track]             # distinct new objects
    main: Track | None                # the episode's object
    present: bool                     # presence (or, without calibration, any item)
    dark: bool = False                # too dark to tell: the frame changes nothing
    presence_box: tuple | None = None
    phantoms: int = 0
    faint: bool = False               # a dropped detection had some foreground (keep learning off)
    scene_moved: bool = False         # the whole scene shifted: the background was re-registered
    image_still: int = 0              # frames the main object's box has not changed (image)
    sightings: list = field(default_factory=list)   # exit_evidence.Sighting per visible track


@dataclass
class ChamberCounters:
    """Frame counters and the camera-time settle clock (gaps capped at ``frame_gap_s``)."""

    empty_frames: int = 0            # consecutive frames with no presence
    seen_frames: int = 0             # consecutive frames with a new object
    multi_frames: int = 0            # consecutive frames with >= 2 distinct objects
    hand_visible: bool = False
    clock: float = 0.0               # seconds of camera time, gaps capped at frame_gap_s
    last_stamp_ns: int | None = None

    def observe(self, view: FrameView) -> None:
        """Count this frame (after tracking)."""
        self.hand_visible = bool(view.hands)
        self.empty_frames = 0 if view.present else self.empty_frames + 1
        self.seen_frames = self.seen_frames + 1 if view.new_items else 0
        self.multi_frames = self.multi_frames + 1 if len(view.distinct) >= 2 else 0

    def advance_clock(self, stamp_ns: int, frame_gap_s: float) -> float:
        """Move the settle clock by the camera-time interval, at most ``frame_gap_s``."""
        step = 0.0
        if self.last_stamp_ns is not None:
            step = min(max(0.0, (stamp_ns - self.last_stamp_ns) / 1e9), frame_gap_s)
            self.clock += step
        self.last_stamp_ns = stamp_ns
        return step
