"""Per-frame observations of the chamber: objects vs hands, distinct objects, stillness, exit side.

Assumptions (docs/detector.md "Chamber"):

* a *hand* is a detection whose category is ``hand`` (a model with a hand class maps it there in
  the class map). The bundled model has no hand class: its training labels never include hands, so
  a hand is simply not detected; a hand pushing or holding the item still keeps it moving, which
  delays settling through the stillness rule.
* the *entry side* is a frame edge (``entry_side``, default ``left``: the synthetic chamber and the
  bundled sample insert items through a flap on the left and let them leave on the right). An
  object whose last seen box centre lies in the half of the frame next to the entry edge left
  through the entry; otherwise it left toward the exit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rvm_detector.detection import Detection, box_containment
from rvm_detector.item_tracker import IouTracker, Track

HAND_CATEGORY = 'hand'
ENTRY_SIDES = ('left', 'right', 'top', 'bottom')


def split_hands(detections: list[Detection]) -> tuple[list[Detection], list[Detection]]:
    """(items, hands) of one frame's detections."""
    hands = [d for d in detections if d.category == HAND_CATEGORY]
    return [d for d in detections if d.category != HAND_CATEGORY], hands


def on_entry_side(
    box: tuple[float, float, float, float], width: int, height: int, entry_side: str
) -> bool:
    """True when the centre of ``box`` lies in the half of the frame next to the entry edge."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return {'left': cx < width / 2, 'right': cx >= width / 2,
            'top': cy < height / 2, 'bottom': cy >= height / 2}[entry_side]


def distinct_objects(tracker: IouTracker, min_conf: float, min_hits: int = 2) -> list[Track]:
    """Visible tracks that count as separate objects.

    A track counts once it was matched in ``min_hits`` frames with a confidence of at least
    ``min_conf``, unless its box lies (>= 80 %) inside a larger counted object's box (a fragment).
    """
    tracks = [t for t in tracker.visible() if t.hits >= min_hits and t.last.confidence >= min_conf]
    tracks.sort(key=lambda t: _area(t.last.bbox), reverse=True)
    kept: list[Track] = []
    for track in tracks:
        if all(box_containment(track.last.bbox, k.last.bbox) < 0.8 for k in kept):
            kept.append(track)
    return kept


def _area(box) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


@dataclass
class ChamberCounters:
    """Frame counters and the camera-gap-aware settle clock."""

    empty_frames: int = 0            # consecutive frames without an item
    seen_frames: int = 0             # consecutive frames with an item
    multi_frames: int = 0            # consecutive frames with >= 2 distinct objects
    hand_visible: bool = False
    last_boxes: list = field(default_factory=list)   # item boxes of the last frame with items
    clock: float = 0.0               # seconds of camera time, gaps capped at frame_gap_s
    last_now: float | None = None

    def observe(self, items: list[Detection], hands: list[Detection], n_distinct: int) -> None:
        """Count this frame (after tracking)."""
        self.hand_visible = bool(hands)
        if items:
            self.empty_frames, self.seen_frames = 0, self.seen_frames + 1
            self.last_boxes = [d.bbox for d in items]
        else:
            self.empty_frames, self.seen_frames = self.empty_frames + 1, 0
        self.multi_frames = self.multi_frames + 1 if n_distinct >= 2 else 0

    def advance_clock(self, now: float, frame_gap_s: float) -> None:
        """Move the settle clock by the frame interval, up to ``frame_gap_s`` (gaps freeze it)."""
        if self.last_now is not None:
            self.clock += min(max(0.0, now - self.last_now), frame_gap_s)
        self.last_now = now

    def left_via_entry(self, width: int, height: int, entry_side: str) -> bool:
        """Whether the objects last seen were on the entry side (their mean box centre)."""
        if not self.last_boxes:
            return False
        n = len(self.last_boxes)
        mean = tuple(sum(b[i] for b in self.last_boxes) / n for i in range(4))
        return on_entry_side(mean, width, height, entry_side)
