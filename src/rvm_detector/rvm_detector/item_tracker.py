"""Greedy IoU tracker: gives detections stable track ids and per-track stability counts."""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from rvm_detector.detection import Detection, box_iou


@dataclass
class Track:
    """One object followed across frames."""

    track_id: int
    last: Detection
    hits: int = 1                 # frames matched in total
    misses: int = 0               # consecutive frames unmatched
    # consecutive matched frames whose box moved less than the stable IoU
    still_frames: int = 1
    history: deque = field(default_factory=lambda: deque(maxlen=30))
    first_bbox: tuple | None = None   # where the track began (an arrival through the entry?)


class IouTracker:
    """Matches each frame's detections to tracks by IoU (highest first).

    A track counts as *still* while consecutive boxes overlap by at least
    ``stable_iou``; it is removed after ``max_misses`` unmatched frames.
    """

    def __init__(self, match_iou: float = 0.3, stable_iou: float = 0.8, max_misses: int = 3,
                 history: int = 30) -> None:
        self.match_iou = match_iou
        self.stable_iou = stable_iou
        self.max_misses = max_misses
        self._history = history
        self._next_id = 1
        self.tracks: dict[int, Track] = {}

    def update(self, detections: list[Detection]) -> list[Detection]:
        """Assign ``track_id`` to each detection (in place) and age unmatched tracks."""
        pairs = sorted(((box_iou(t.last.bbox, d.bbox), tid, i)
                        for tid, t in self.tracks.items() for i, d in enumerate(detections)),
                       reverse=True)
        used_tracks: set[int] = set()
        used_dets: set[int] = set()
        for iou, tid, i in pairs:
            if iou < self.match_iou:
                break
            if tid in used_tracks or i in used_dets:
                continue
            used_tracks.add(tid)
            used_dets.add(i)
            track, det = self.tracks[tid], detections[i]
            track.still_frames = track.still_frames + 1 if iou >= self.stable_iou else 1
            track.hits += 1
            track.misses = 0
            track.last = det
            track.history.append(det)
            det.track_id = tid
        for i, det in enumerate(detections):
            if i in used_dets:
                continue
            track = Track(track_id=self._next_id, last=det, history=deque(maxlen=self._history),
                          first_bbox=det.bbox)
            track.history.append(det)
            self.tracks[track.track_id] = track
            det.track_id = track.track_id
            used_tracks.add(track.track_id)
            self._next_id += 1
        for tid in list(self.tracks):
            if tid not in used_tracks:
                self.tracks[tid].misses += 1
                if self.tracks[tid].misses > self.max_misses:
                    del self.tracks[tid]
        return detections

    @property
    def next_id(self) -> int:
        """The id the next new track gets (tracks below it exist already)."""
        return self._next_id

    def visible(self) -> list[Track]:
        """Tracks matched in the latest frame."""
        return [t for t in self.tracks.values() if t.misses == 0]

    def reset(self) -> None:
        self.tracks.clear()
