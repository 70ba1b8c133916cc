"""The detector's presence stage: loads the calibration, measures each frame, reports drift.

With ``calibration_file`` set, every frame gets a :class:`~rvm_detector.presence.PresenceReading`
(and detections outside the ROI or without foreground are phantoms). Without one the detector
runs **detection-only**: emptiness means "no detection", phantom detections can open episodes
and nothing measures drift; it says so loudly at load and in its status (``calibration: null``)
so health can raise ``recalibrate`` (docs/detector.md "Calibration").
"""
from __future__ import annotations

import logging
from typing import Any

import numpy as np

from rvm_detector import calibration
from rvm_detector.chamber_state import Chamber
from rvm_detector.chamber_view import FrameView
from rvm_detector.session_records import ChamberZones
from rvm_detector.presence import PresenceMeter, PresenceReading

LOG = logging.getLogger('rvm_detector.presence')
#: states in which the empty chamber may be learnt (nothing is being judged)
ARMED_STATES = (Chamber.EMPTY, Chamber.BLOCKED)


class PresenceStage:
    """Calibration + presence meter of one detector (None meter: detection-only)."""

    def __init__(self, calibration_file: str = '') -> None:
        self.file = calibration_file
        self.calibration: calibration.Calibration | None = None
        self.meter: PresenceMeter | None = None
        self._frame: np.ndarray | None = None
        self._last_stamp_ns: int | None = None

    def load(self) -> None:
        """Read the calibration file (:class:`CalibrationError` names what is wrong)."""
        if not self.file:
            LOG.warning('no calibration_file: presence comes from detections only (a phantom '
                        'detection can open an episode, a lost item counts as gone); record one '
                        'with `rvm-edge calibrate --source ...`')
            return
        self.use(calibration.load(self.file))

    def use(self, recorded: calibration.Calibration) -> None:
        """Measure against ``recorded`` from now on (a fresh background, no drift)."""
        self.calibration = recorded
        self.meter = PresenceMeter(recorded)
        self._frame, self._last_stamp_ns = None, None

    @property
    def zones(self) -> ChamberZones | None:
        cal = self.calibration
        return None if cal is None else ChamberZones(cal.roi, cal.entry_zone, cal.exit_zone,
                                                     cal.entry_side)

    def measure(self, image: np.ndarray) -> PresenceReading | None:
        """This frame's presence (None without a calibration)."""
        if self.meter is None:
            return None
        reading, self._frame = self.meter.measure(image)
        if self.meter.size_mismatch:
            LOG.error('frames are %dx%d but the calibration is %dx%d: recalibrate',
                      image.shape[1], image.shape[0], *self.calibration.size)
        return reading

    def learn(self, state: Chamber, view: FrameView, stamp_ns: int) -> None:
        """Follow the empty chamber while it is armed and nothing is detected; measure drift
        while nothing is present either (an undetected hand is no drift)."""
        last, self._last_stamp_ns = self._last_stamp_ns, stamp_ns
        if self.meter is None or self._frame is None or view.dark:
            return
        if state in ARMED_STATES and not view.items:
            dt = 0.0 if last is None else min(1.0, max(0.0, (stamp_ns - last) / 1e9))
            self.meter.adapt(self._frame, dt, learn=not view.faint, measure=not view.present)

    def status(self, now_wall: float) -> dict[str, Any] | None:
        """``calibration`` in the detector status: file, age and drift (None: uncalibrated)."""
        cal, meter = self.calibration, self.meter
        if cal is None or meter is None:
            return None
        age = cal.age_s(now_wall)
        return {'file': cal.path, 'created_at': cal.created_at,
                'age_s': None if age is None else round(age, 1),
                'drift': round(float(meter.drift), 4), 'gain': round(float(meter.drift_gain), 3),
                'size_mismatch': meter.size_mismatch}
