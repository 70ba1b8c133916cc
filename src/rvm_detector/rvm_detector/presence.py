"""Presence from the image itself: the frame against the empty chamber, inside the ROI.

Model-independent: each frame (scaled to :data:`WORK_WIDTH` px wide, blurred) is normalised for
global light changes (divided by the median brightness ratio to the background inside the ROI)
and compared with the background; pixels that differ by more than ``20 + 0.08 * background``
grey levels are foreground, and the chamber holds something when the largest foreground blob
covers at least ``min_blob`` of the ROI.

The background starts as the calibrated reference and follows slow changes (a moved camera, a
changed light) only while the chamber is armed and nothing is detected (:meth:`adapt`, time
constant ``tau_s``), so an item that rests, is judged or is covered is never learnt away. A pixel
that matches the calibrated reference is never foreground: where the background learnt an object
the model never saw, the floor it uncovers on leaving is empty chamber, not a ghost. The
calibrated reference itself never changes: :attr:`drift` compares the empty chamber with it for
health (``recalibrate``): the share of the ROI that differs, the light change ``|ln gain|``, the
share of the ROI's channel values newly clipped (a light so bright or dark that the sensor
saturates: the median ratio no longer shows it) and the camera shift (phase correlation;
:data:`MOVED_SHARE` of the width counts 1.0), whichever is largest. A frame much darker than the
reference (lights out, a covered lens) is *dark*: it says nothing about presence. ``motion``
marks what changed since the previous frame: an item whose box barely changes is still, however
much the model's box jitters.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from rvm_detector.calibration import Calibration

WORK_WIDTH = 160
DARK_RATIO = 0.3          # a frame below this share of the reference brightness is dark
MOVED_SHARE = 0.04        # a camera shift of this share of the width is drift 1.0
REGISTER_SHARE = 0.01     # a whole-scene shift of this share of the width is a moved camera
REGISTER_RESPONSE = 0.2   # phase-correlation peak below which a shift is not trusted
REGISTER_GAIN = 0.5       # the shifted background must leave at most this share of foreground
CLIPPED_LEVELS = (6.0, 249.0)   # grey levels at or beyond which a pixel is clipped (dark, bright)


@dataclass
class PresenceReading:
    """What one frame says about the chamber."""

    present: bool                     # something that is not the empty chamber is in the ROI
    dark: bool = False                # too dark to tell (then ``present`` is False)
    fraction: float = 0.0             # foreground share of the ROI
    gain: float = 1.0                 # frame brightness / background brightness (ROI median)
    bbox: tuple | None = None         # foreground box (full-frame px) of the blobs that count
    mask: np.ndarray | None = None    # foreground at work size (bool)
    scale: float = 1.0                # work size / full frame
    motion: np.ndarray | None = None  # changed since the previous frame (work size, bool)
    moved: bool = False               # the whole scene shifted: the background was re-registered

    def support(self, box) -> float:
        """Foreground share of a box (full-frame px); 1.0 when there is no mask."""
        return 1.0 if self.mask is None else self._share(self.mask, box)

    def motion_share(self, box) -> float | None:
        """Share of a box that changed since the previous frame (None: not measured)."""
        return None if self.motion is None else self._share(self.motion, box)

    def _share(self, raster: np.ndarray, box) -> float:
        x1, y1, x2, y2 = (int(round(v * self.scale)) for v in box)
        h, w = raster.shape
        x1, x2 = max(0, min(w - 1, x1)), max(0, min(w, x2))
        y1, y2 = max(0, min(h - 1, y1)), max(0, min(h, y2))
        patch = raster[y1:max(y2, y1 + 1), x1:max(x2, x1 + 1)]
        return float(patch.mean()) if patch.size else 0.0


class PresenceMeter:
    """Background difference inside the ROI, light-normalised (one per camera)."""

    def __init__(self, calibration: Calibration, *, min_blob: float = 0.004,
                 tau_s: float = 0.7) -> None:
        self.calibration = calibration
        self.min_blob = min_blob
        self.tau_s = tau_s
        width, height = calibration.size
        self.scale = WORK_WIDTH / float(width)
        self.work_size = (WORK_WIDTH, max(1, int(round(height * self.scale))))
        roi = np.zeros(self.work_size[::-1], np.uint8)
        cv2.fillPoly(roi, [np.round(calibration.roi * self.scale).astype(np.int32)], 1)
        self.roi = roi.astype(bool)
        self.roi_px = max(1, int(self.roi.sum()))
        self.reference = self._prepare(calibration.reference)
        self.reference_clipped = self._clipped(self.reference)
        self.background = self.reference.copy()
        self.drift = 0.0                   # empty chamber vs the calibrated reference (0..1)
        self.drift_gain = 1.0
        self.shift_px = 0.0                # camera shift against the reference (full-frame px)
        self._offset = (0.0, 0.0)          # the background's registered shift (work px)
        self.size_mismatch = False
        self._window = cv2.createHanningWindow(self.work_size, cv2.CV_32F)
        self._previous: np.ndarray | None = None

    def _prepare(self, image: np.ndarray) -> np.ndarray:
        if (image.shape[1], image.shape[0]) != self.calibration.size:
            self.size_mismatch = True
            image = cv2.resize(image, self.calibration.size, interpolation=cv2.INTER_AREA)
        small = cv2.resize(image, self.work_size, interpolation=cv2.INTER_AREA)
        return cv2.GaussianBlur(small.astype(np.float32), (3, 3), 0)

    def _clipped(self, frame: np.ndarray) -> float:
        """Share of the ROI's channel values that are clipped (at a sensor limit)."""
        low, high = CLIPPED_LEVELS
        values = frame[self.roi]
        return float(((values <= low) | (values >= high)).mean())

    def _compare(self, frame: np.ndarray, background: np.ndarray) -> tuple[np.ndarray, float]:
        frame_gray = frame.mean(axis=2)[self.roi]
        back_gray = background.mean(axis=2)[self.roi]
        gain = float(np.median(frame_gray) / max(1.0, float(np.median(back_gray))))
        diff = np.abs(frame / max(gain, 1e-3) - background).max(axis=2)
        foreground = (diff > 20.0 + 0.08 * background.mean(axis=2)) & self.roi
        foreground = cv2.morphologyEx(foreground.astype(np.uint8), cv2.MORPH_OPEN,
                                      np.ones((3, 3), np.uint8)).astype(bool)
        return foreground, gain

    def measure(self, image: np.ndarray) -> tuple[PresenceReading, np.ndarray]:
        """(reading, the prepared frame for :meth:`adapt`)."""
        frame = self._prepare(image)
        previous, self._previous = self._previous, frame
        if frame.mean(axis=2)[self.roi].mean() < DARK_RATIO * max(
                1.0, float(self.background.mean(axis=2)[self.roi].mean())):
            self._previous = None
            return PresenceReading(present=False, dark=True), frame
        foreground, gain = self._compare(frame, self.background)
        moved = False
        if foreground.sum() >= self.min_blob * self.roi_px:
            registered = self._register(frame, foreground)
            if registered is not None:
                foreground, gain = registered
                moved = True
        if foreground.any():      # the empty floor as calibrated is empty, whatever was learnt
            foreground &= self._compare(frame, self.reference)[0]
        motion = (None if previous is None else
                  np.abs(frame - previous).max(axis=2) > 20.0 + 0.08 * previous.mean(axis=2))
        count, labels, stats, _ = cv2.connectedComponentsWithStats(foreground.astype(np.uint8))
        keep = [i for i in range(1, count)
                if stats[i, cv2.CC_STAT_AREA] >= 0.25 * self.min_blob * self.roi_px]
        largest = max((stats[i, cv2.CC_STAT_AREA] for i in keep), default=0)
        present = largest >= self.min_blob * self.roi_px
        bbox = None
        if present:
            x1 = min(stats[i, cv2.CC_STAT_LEFT] for i in keep)
            y1 = min(stats[i, cv2.CC_STAT_TOP] for i in keep)
            x2 = max(stats[i, cv2.CC_STAT_LEFT] + stats[i, cv2.CC_STAT_WIDTH] for i in keep)
            y2 = max(stats[i, cv2.CC_STAT_TOP] + stats[i, cv2.CC_STAT_HEIGHT] for i in keep)
            bbox = tuple(float(v) / self.scale for v in (x1, y1, x2, y2))
        return PresenceReading(present, False, float(foreground.sum()) / self.roi_px, gain, bbox,
                               foreground, self.scale, motion, moved), frame

    def _register(self, frame: np.ndarray,
                  foreground: np.ndarray) -> tuple[np.ndarray, float] | None:
        """Re-register the background when the whole scene shifted (a knocked camera).

        The shift is the phase correlation of the frame against the background; it counts when
        it is at least :data:`REGISTER_SHARE` of the width, its peak is clear, the frame is
        shifted as much against the calibrated reference (with earlier shifts), and the shifted
        background explains the frame where it lies (at most :data:`REGISTER_GAIN` of the
        foreground there left; the strip the shift uncovers proves nothing).
        An item in the chamber stays foreground; the strip the shift uncovers is taken from the
        frame. Returns the new (foreground, gain), or None (not a camera shift).
        """
        (dx, dy), response = cv2.phaseCorrelate(self.background.mean(axis=2),
                                                frame.mean(axis=2), self._window)
        if math.hypot(dx, dy) < REGISTER_SHARE * WORK_WIDTH or response < REGISTER_RESPONSE:
            return None
        # the whole scene moved against the calibrated view too (a hand moving over its own
        # partly learnt ghost correlates with the background alone)
        (rx, ry), against = cv2.phaseCorrelate(self.reference.mean(axis=2), frame.mean(axis=2),
                                               self._window)
        ex, ey = self._offset[0] + dx, self._offset[1] + dy
        if against < REGISTER_RESPONSE or math.hypot(rx - ex, ry - ey) > max(
                REGISTER_SHARE * WORK_WIDTH, 0.5 * math.hypot(dx, dy)):
            return None
        matrix = np.float32([[1, 0, dx], [0, 1, dy]])
        size = self.work_size
        shifted = cv2.warpAffine(self.background, matrix, size, flags=cv2.INTER_LINEAR)
        covered = cv2.warpAffine(np.ones(size[::-1], np.float32), matrix, size) > 0.999
        shifted[~covered] = frame[~covered]
        candidate, gain = self._compare(frame, shifted)
        # judged where the shifted background lies: the uncovered strip is the frame itself and
        # explains anything (an item coming in at the edge correlates as a large shift)
        if candidate[covered].sum() > REGISTER_GAIN * foreground[covered].sum():
            return None
        self.background, self._offset = shifted, (ex, ey)
        self.drift = max(self.drift, self._moved(frame))   # health sees it at once
        return candidate, gain

    def _moved(self, frame: np.ndarray) -> float:
        """The camera shift against the calibrated reference, as drift (sets ``shift_px``)."""
        (dx, dy), _ = cv2.phaseCorrelate(self.reference.mean(axis=2), frame.mean(axis=2),
                                         self._window)
        self.shift_px = math.hypot(dx, dy) / self.scale
        return min(1.0, math.hypot(dx, dy) / (MOVED_SHARE * WORK_WIDTH))

    def adapt(self, frame: np.ndarray, dt: float, learn: bool = True,
              measure: bool = True) -> None:
        """Follow slow changes of the empty chamber (``learn``); update the drift against the
        reference (also while something faint is detected: a camera shift shows regardless)
        when ``measure``: not while the frame shows something (a hand the model cannot see)."""
        alpha = 1.0 - math.exp(-max(0.0, dt) / self.tau_s) if dt > 0 else 0.0
        if alpha > 0 and learn:
            cv2.accumulateWeighted(frame, self.background, alpha)
        if not measure:
            return
        foreground, gain = self._compare(frame, self.reference)
        changed = float(foreground.sum()) / self.roi_px
        self.drift_gain = gain
        light = min(1.0, abs(math.log(max(gain, 1e-3))))
        clipped = max(0.0, self._clipped(frame) - self.reference_clipped)
        value = max(changed, light, clipped, self._moved(frame),
                    1.0 if self.size_mismatch else 0.0)
        self.drift = value if alpha == 0 else self.drift + (value - self.drift) * max(alpha, 0.1)
