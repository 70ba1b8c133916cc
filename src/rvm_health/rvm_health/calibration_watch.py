"""Chamber calibration and chamber state, read from the detector status, as alert metrics.

The detector status carries ``calibration`` (``null`` when the detector runs detection-only;
else ``age_s`` and ``drift``: the empty chamber against the calibrated reference, 0..1, which a
moved camera or a changed light drives up) and ``item_state``. The metrics:

* ``calibration_drift``: the drift (alert ``recalibrate``);
* ``calibration_missing``: 1.0 without a calibration, else 0.0 (alert ``calibration_missing``);
* ``calibration_age_days``: days since the calibration was recorded (alert ``calibration_old``);
* ``chamber_busy_s``: seconds the chamber has not been ``empty`` (alert ``chamber_stuck``: an item
  or something the detector takes for one has held the chamber for long).

A metric is None (no change to its alert) until a detector status has been seen.
"""
from __future__ import annotations

from typing import Any

#: chamber states in which nothing is in or about the chamber
IDLE_STATES = ('empty',)


class CalibrationWatch:
    """Keeps the last calibration and chamber facts of the detector status."""

    def __init__(self) -> None:
        self.seen = False
        self.drift: float | None = None
        self.age_s: float | None = None
        self.missing = False
        self.state: str | None = None
        self.busy_since: float | None = None

    def observe(self, payload: dict[str, Any], now: float) -> None:
        """Take one detector status (``calibration`` and ``item_state`` when present)."""
        if 'calibration' in payload:
            self.seen = True
            cal = payload.get('calibration')
            self.missing = not isinstance(cal, dict)
            self.drift = _number(cal.get('drift')) if isinstance(cal, dict) else None
            self.age_s = _number(cal.get('age_s')) if isinstance(cal, dict) else None
        state = payload.get('item_state')
        if isinstance(state, str):
            if state in IDLE_STATES:
                self.busy_since = None
            elif self.busy_since is None:
                self.busy_since = now
            self.state = state

    def metrics(self, now: float) -> dict[str, float | None]:
        """The alert metrics (None: not measured yet)."""
        return {
            'calibration_drift': self.drift,
            'calibration_missing': (1.0 if self.missing else 0.0) if self.seen else None,
            'calibration_age_days': None if self.age_s is None else self.age_s / 86400.0,
            'chamber_busy_s': (None if self.state is None else
                               0.0 if self.busy_since is None else now - self.busy_since),
        }


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)
