"""Where the episode's item went: its last sighting, the exit zone, newcomers via the entry.

:class:`Whereabouts` follows the *identity* of the decided object, not a track: the judged item
is any visible object whose appearance matches its signature (:mod:`rvm_detector.appearance`),
whatever track the tracker gave it; its last sighting (a matching detection, or the presence
blob while nothing matching is detected) says where it went. ``at_exit`` holds when that
sighting's centre lies in the exit zone or beyond it. Objects already decided and still in the
chamber are *residents* (a rejected item that stays): they neither count as a second object nor
as a newcomer. A *newcomer* is an object that is neither the judged item nor a resident,
first seen overlapping the entry zone and seen ``confirm_frames`` frames in a row: a new deposit.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from rvm_detector.appearance import AREA_RATIO, Signature, same_object
from rvm_detector.detection import box_iou

Box = tuple[float, float, float, float]


OPPOSITE = {'left': 'right', 'right': 'left', 'top': 'bottom', 'bottom': 'top'}
#: edge -> (box coordinate axis, sign of a step toward that edge)
STEP_TO = {'left': (0, -1), 'right': (0, 1), 'top': (1, -1), 'bottom': (1, 1)}


def in_exit_zone(box: Box, zone: np.ndarray, exit_side: str,
                 frame_size: tuple[int, int] | None = None) -> bool:
    """Whether the centre of ``box`` lies in ``zone`` or beyond it toward ``exit_side``, or the
    box overlaps the zone and reaches the frame's edge on the exit side (a long item leaving)."""
    x1, y1 = zone.min(axis=0)
    x2, y2 = zone.max(axis=0)
    if frame_size is not None and box_touches(box, zone):
        width, height = frame_size
        mx, my = max(2.0, 0.01 * width), max(2.0, 0.01 * height)
        edge = {'right': box[2] >= width - mx, 'left': box[0] <= mx,
                'bottom': box[3] >= height - my, 'top': box[1] <= my}[exit_side]
        if edge:
            return True
    cx, cy = (box[0] + box[2]) / 2.0, (box[1] + box[3]) / 2.0
    if exit_side in ('left', 'right'):
        across = box[1] <= y2 and box[3] >= y1
        return bool(across and (cx >= x1 if exit_side == 'right' else cx <= x2))
    across = box[0] <= x2 and box[2] >= x1
    return bool(across and (cy >= y1 if exit_side == 'bottom' else cy <= y2))


def box_centre_in(box: Box, zone: np.ndarray) -> bool:
    """Whether the centre of ``box`` lies inside the polygon ``zone``."""
    centre = ((box[0] + box[2]) / 2.0, (box[1] + box[3]) / 2.0)
    return cv2.pointPolygonTest(zone.reshape(-1, 1, 2).astype(np.float32), centre, False) >= 0


def box_touches(box: Box, zone: np.ndarray) -> bool:
    """Whether ``box`` overlaps the bounding box of ``zone``."""
    x1, y1 = zone.min(axis=0)
    x2, y2 = zone.max(axis=0)
    return bool(box[0] <= x2 and box[2] >= x1 and box[1] <= y2 and box[3] >= y1)


def cut_by_frame_edge(box: Box, frame_size: tuple[int, int]) -> bool:
    """Whether the box touches the frame edge (within 1 %: the object is partly outside)."""
    width, height = frame_size
    mx, my = max(2.0, 0.01 * width), max(2.0, 0.01 * height)
    return box[0] <= mx or box[1] <= my or box[2] >= width - mx or box[3] >= height - my


def _corners(box: Box) -> np.ndarray:
    return np.array([[box[0], box[1]], [box[2], box[3]]], np.float32)


@dataclass
class Sighting:
    """One visible object of a frame: its track, box and signature."""

    track_id: int
    box: Box
    signature: Signature
    clipped: bool = False        # the box touches the frame edge (partly outside)
    first_box: Box | None = None  # where its track began
    previous_box: Box | None = None   # its track's box in the frame before (None: a new track)


@dataclass
class Whereabouts:
    """Identity and last sighting of the episode's item; residents; newcomers."""

    entry_zone: np.ndarray
    exit_zone: np.ndarray
    exit_side: str = 'right'                    # frame edge the exit zone lies at
    frame_size: tuple[int, int] | None = None   # (width, height): an item cut by the exit edge
    judged: Signature | None = None             # the item whose accept waits for the exit
    judged_box: Box | None = None               # ... where it lay still when it was judged
    residents: list[Signature] = field(default_factory=list)
    resident_tracks: set[int] = field(default_factory=set)
    resident_boxes: list[Box] = field(default_factory=list)   # where each resident was decided
    last_box: Box | None = None                  # last sighting of the episode's item
    last_clipped: bool = False                   # ... cut by the frame edge: on its way out
    judged_visible: bool = False
    foreign_frames: int = 0                      # consecutive frames with a foreign object
    first_new_track: int = 0                     # tracks from this id on began after the verdict
    unseen: int = 0                              # frames since the judged item was last seen
    gap_after: bool = False                      # a frame of empty chamber came since then
    foreign_from_entry: bool = False             # that run began at the entry zone

    def came_in(self, sighting: Sighting) -> bool:
        """Its track began at the entry zone (a new arrival), or it is at the entry now."""
        return box_touches(sighting.box, self.entry_zone) or (
            sighting.first_box is not None and box_touches(sighting.first_box, self.entry_zone))

    def is_resident(self, sighting: Sighting) -> bool:
        """A decided object still in the chamber (by track; else by look, unless it came in)."""
        if sighting.track_id in self.resident_tracks:
            return True
        arrived = self.came_in(sighting) and not self._where_a_resident_lay(sighting.first_box)
        return (not arrived
                and any(same_object(r, sighting.signature, sighting.clipped)
                        for r in self.residents))

    def _where_a_resident_lay(self, box: Box | None) -> bool:
        """A track that began overlapping a resident's box: that resident nudged (the tracker
        lost it), even when the nudge put it into the entry zone."""
        return box is not None and any(box_touches(box, _corners(r)) for r in self.resident_boxes)

    def is_judged(self, sighting: Sighting) -> bool:
        """Whether the sighting can be the judged item.

        It must look the same, and an item last seen at the exit cannot reappear at the entry
        unseen in between (that is the next, identical-looking item); a track that was where the
        item was last seen in its frame before did not reappear (a long item lying across both
        zones).
        """
        if self.judged is None:
            return False
        if self.at_exit() and self.came_in(sighting) and not self._seen_on(sighting):
            return False
        if (sighting.track_id >= self.first_new_track and sighting.first_box is not None
                and box_touches(sighting.first_box, self.entry_zone)
                and not self._where_it_lay(sighting.first_box)):
            return False      # came in through the entry after the verdict: another deposit
        return same_object(self.judged, sighting.signature, sighting.clipped)

    def _seen_on(self, sighting: Sighting) -> bool:
        """Its track was at the item's last sighting in the frame before (IoU >= 0.5)."""
        return (sighting.previous_box is not None and self.last_box is not None
                and box_iou(sighting.previous_box, self.last_box) >= 0.5)

    def _where_it_lay(self, box: Box) -> bool:
        """A track that began right where the judged item lay (IoU >= 0.5): that item found
        again after the tracker lost it (a hand over it), even if it reaches into the entry zone.
        """
        return self.judged_box is not None and box_iou(box, self.judged_box) >= 0.5

    def observe(self, sightings: list[Sighting], presence_box: Box | None,
                judged_track: int = -1) -> list[Sighting]:
        """Update from one frame; returns the sightings of the judged item.

        ``judged_track``: the judged item's track; while it leaves the frame (clipped) it keeps
        its identity though it looks smaller and partial.
        """
        # on the judged item's own track a sighting cut by the frame edge is the item on its way
        # out, whatever it looks like behind a flap or half outside the view
        # (not when a different look came in through the entry on it: the tracker may hand the
        # judged item's track to a newcomer)
        handed_over = self.foreign_frames > 0 and self.foreign_from_entry
        judged = [s for s in sightings if self.is_judged(s)
                  or (self.judged is not None and s.clipped and s.track_id == judged_track
                      and s.track_id < self.first_new_track and not handed_over)]
        if not judged and self.judged is not None and self.unseen <= 1:
            judged = [s for s in sightings
                      if self._leaving_by_entry(s) or self._leaving_by_exit(s)]
        self.unseen = 0 if judged else self.unseen + 1
        # an empty chamber: no object detected and no presence blob (a hand over the item
        # hides it from the detector, not from presence)
        self.gap_after = not judged and (
            self.gap_after or (not sightings and presence_box is None))
        self.judged_visible = bool(judged)
        if judged:
            last = max(judged, key=lambda s: s.signature.area)
            self.last_box, self.last_clipped = last.box, last.clipped
        elif (self.judged is not None and presence_box is not None and not sightings
              and self.last_box is not None
              and box_touches(presence_box, _corners(self.last_box))):
            self.last_box = presence_box   # covered or undetected: the blob where it was
        foreign = [s for s in sightings if not self.is_resident(s) and s not in judged]
        if foreign:
            # a track that begins at the entry now starts a run from the entry, even while
            # something else foreign was seen (a resident on its way out looks different)
            arriving = any(s.previous_box is None and box_touches(s.box, self.entry_zone)
                           for s in foreign)
            if self.foreign_frames == 0 or (arriving and not self.foreign_from_entry):
                self.foreign_frames = 0
                self.foreign_from_entry = any(box_touches(s.box, self.entry_zone)
                                              for s in foreign)
            self.foreign_frames += 1
        else:
            self.foreign_frames, self.foreign_from_entry = 0, False
        return judged

    def _leaving_by_entry(self, sighting: Sighting) -> bool:
        """A box at the entry moving toward it just after the judged item was seen: that item
        pulled out fast (the tracker lost it, and behind the flap it looks different)."""
        return (box_touches(sighting.box, self.entry_zone)
                and self._stepped(sighting, OPPOSITE[self.exit_side]))

    def _leaving_by_exit(self, sighting: Sighting) -> bool:
        """A box of the judged item's size stepping on from it toward the exit just after it was
        seen, away from the entry and not on a track that came in after the verdict: that item
        pushed out fast (moving through the chamber's light it looks different)."""
        before = sighting.previous_box or self.last_box
        small, large = sorted((max(self.judged.area, 1.0), max(sighting.signature.area, 1.0)))
        arrived = sighting.track_id >= self.first_new_track and self.came_in(sighting)
        return (before is not None and not box_touches(before, self.entry_zone) and not arrived
                and (large / small <= AREA_RATIO or sighting.clipped)
                and self._stepped(sighting, self.exit_side))

    def _stepped(self, sighting: Sighting, side: str) -> bool:
        """The box overlaps where the item was (its track's box before, else its last sighting)
        and its centre moved toward ``side``."""
        before = sighting.previous_box or self.last_box
        if before is None or not box_touches(sighting.box, _corners(before)):
            return False
        axis, sign = STEP_TO[side]
        box = sighting.box
        moved = ((box[axis] + box[axis + 2]) - (before[axis] + before[axis + 2])) / 2
        return moved * sign >= 1.0

    def follow(self, box: Box | None) -> None:
        """Last sighting of an undecided episode's item (its main track)."""
        if box is not None:
            self.last_box = box

    def at_exit(self) -> bool:
        """The item's last sighting lies in the exit zone, away from where it lay when judged.

        An item that vanishes from its rest spot showed no way out, even when that spot lies in
        the exit zone (a long item, a narrow calibrated ROI): no credit without a move.
        """
        return (self.last_box is not None and not self._where_it_lay(self.last_box)
                and in_exit_zone(self.last_box, self.exit_zone, self.exit_side,
                                 self.frame_size))

    def newcomer(self, confirm_frames: int) -> bool:
        """A foreign object came in through the entry and the judged item is out of sight.

        The judged item must have been on its way out when last seen (cut by the frame edge, in
        the exit zone, or at the entry zone with a frame of empty chamber since): an item covered
        where it rests (a hand over it changes its look) is still there, whatever the detector
        makes of the hand.
        """
        at_entry = (self.gap_after and self.last_box is not None
                    and box_touches(self.last_box, self.entry_zone))
        away = self.judged is None or self.last_clipped or self.at_exit() or at_entry
        return (self.foreign_frames >= confirm_frames and self.foreign_from_entry
                and not self.judged_visible and away)

    def decide(self, judged: Signature | None, residents: list[Sighting],
               next_track: int = 0, judged_box: Box | None = None) -> None:
        """The episode's verdict is out: ``judged`` waits for the exit; ``residents`` stay.

        ``next_track``: the tracker's next id (later tracks began after the verdict);
        ``judged_box``: where the judged item lay still.
        """
        self.judged, self.first_new_track, self.judged_box = judged, next_track, judged_box
        self.residents += [s.signature for s in residents]
        self.resident_tracks |= {s.track_id for s in residents}
        self.resident_boxes += [s.box for s in residents]
        self.foreign_frames, self.foreign_from_entry = 0, False

    def reset(self, keep_residents: bool) -> None:
        """A new episode (residents kept while the chamber was not seen empty) or an empty one."""
        self.judged, self.last_box, self.judged_visible = None, None, False
        self.judged_box = None
        self.last_clipped, self.unseen, self.gap_after = False, 0, False
        self.foreign_frames, self.foreign_from_entry = 0, False
        if not keep_residents:
            self.residents, self.resident_tracks, self.resident_boxes = [], set(), []
