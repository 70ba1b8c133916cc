"""Records of the item session: its policy, the chamber zones, an episode, a judgement.

Kept apart from :mod:`rvm_detector.item_session` (which re-exports them) so the session module
holds only behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rvm_detector.appearance import Signature
from rvm_detector.chamber_view import FrameView


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


@dataclass(frozen=True)
class ChamberZones:
    """Region of interest and the entry / exit zones (polygons, px)."""

    roi: np.ndarray
    entry: np.ndarray
    exit: np.ndarray
    entry_side: str = 'left'


@dataclass(frozen=True)
class Judgement:
    """The verdict a settled object gets: its fields, or why they could not be computed."""

    fields: dict[str, Any] | None = None
    error: str = ''
    signature: Signature | None = None

    @property
    def accepted(self) -> bool | None:
        return None if self.fields is None else bool(self.fields['accepted'])


@dataclass(frozen=True)
class StepContext:
    """What an action handler may use: this frame's view, the judgement, stamp and timings."""

    view: FrameView
    judgement: Judgement | None = None
    stamp_ns: int = 0
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class Episode:
    """One chamber episode: from an object appearing in an armed chamber until it is decided."""

    episode_id: str
    item_id: str
    opened_clock: float
    main_track: int = -1
    last_window: tuple = ()
    # an accept waiting for the exit: {'fields', 'stamp_ns', 'timings'} (evidence.py reads it)
    pending: dict[str, Any] | None = None
