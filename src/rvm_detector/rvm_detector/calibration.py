"""The empty-chamber calibration: reference image, region of interest, entry and exit zones.

A calibration file is YAML with the reference image (PNG) beside it::

    version: 1
    created_at: '2026-12-06T04:30:00Z'   # UTC; health reports the calibration's age
    source: data/sample/rvm_sample.mp4   # what it was recorded from
    frames: 8                            # empty frames whose per-pixel median is the reference
    frame: {width: 640, height: 480}
    reference_image: rvm_sample.calibration.png   # relative to the YAML
    entry_side: left                     # frame edge of the entry flap
    roi: [[x, y], ...]                   # the chamber opening, px (detected or given)
    entry_zone: [[x, y], ...]            # the part of the ROI next to the entry edge
    exit_zone: [[x, y], ...]             # the part of the ROI next to the exit edge

:func:`record` builds one from empty frames (``rvm-edge calibrate``), :func:`save` writes it and
:func:`load` reads it back (a :class:`CalibrationError` names what is wrong).
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import yaml

VERSION = 1
ENTRY_SIDES = ('left', 'right', 'top', 'bottom')
#: share of the ROI (along the entry-exit axis) that forms the entry and the exit zone
ZONE_FRACTION = 0.25


class CalibrationError(ValueError):
    """A calibration file or recording that cannot be used (the message says why)."""


@dataclass
class Calibration:
    """A recorded empty chamber (pixel coordinates of frames of ``width`` x ``height``)."""

    reference: np.ndarray            # HxWx3 uint8 BGR, the empty chamber
    roi: np.ndarray                  # (N, 2) float32 polygon
    entry_zone: np.ndarray
    exit_zone: np.ndarray
    entry_side: str = 'left'
    created_at: str = ''             # ISO 8601 UTC
    source: str = ''
    frames: int = 0
    path: str = ''                   # the YAML it was loaded from ('' = in memory)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the frames it applies to."""
        return int(self.reference.shape[1]), int(self.reference.shape[0])

    def age_s(self, now_wall: float) -> float | None:
        """Seconds since it was recorded (None when the time is unknown)."""
        try:
            created = _dt.datetime.fromisoformat(self.created_at.replace('Z', '+00:00'))
        except ValueError:
            return None
        return max(0.0, now_wall - created.timestamp())


def record(frames: list[np.ndarray], *, roi=None, entry_side: str = 'left', source: str = '',
           now_wall: float | None = None) -> Calibration:
    """A calibration from empty-chamber frames: their per-pixel median, the ROI and zones."""
    if not frames:
        raise CalibrationError('no frames to calibrate from')
    shape = frames[0].shape
    if any(f.shape != shape for f in frames) or len(shape) != 3 or shape[2] != 3:
        raise CalibrationError('calibration frames must all be HxWx3 BGR of one size')
    if entry_side not in ENTRY_SIDES:
        raise CalibrationError(f'entry_side {entry_side!r}: one of {", ".join(ENTRY_SIDES)}')
    reference = np.median(np.stack(frames), axis=0).astype(np.uint8)
    height, width = shape[:2]
    polygon = (_check_polygon(np.asarray(roi, np.float32), width, height, 'roi')
               if roi is not None else detect_roi(reference))
    entry, exit_ = zones(polygon, entry_side)
    when = _dt.datetime.fromtimestamp(
        now_wall if now_wall is not None else _dt.datetime.now().timestamp(), _dt.timezone.utc)
    return Calibration(reference, polygon, entry, exit_, entry_side,
                       when.strftime('%Y-%m-%dT%H:%M:%SZ'), source, len(frames))


def detect_roi(reference: np.ndarray) -> np.ndarray:
    """The chamber opening: the bounding box of the largest bright region of the reference.

    The chamber floor is lit; walls, flap and frame edges are darker. Highlights (glare) are
    clipped at the 75th percentile before Otsu's threshold splits floor from walls. Falls back
    to the whole frame when no region covers at least a fifth of it.
    """
    height, width = reference.shape[:2]
    gray = cv2.GaussianBlur(cv2.cvtColor(reference, cv2.COLOR_BGR2GRAY), (9, 9), 0)
    gray = np.minimum(gray, np.percentile(gray, 75)).astype(np.uint8)
    _, bright = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    bright = cv2.morphologyEx(bright, cv2.MORPH_OPEN, np.ones((7, 7), np.uint8))
    contours, _ = cv2.findContours(bright, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    largest = max(contours, key=cv2.contourArea) if contours else None
    if largest is None or cv2.contourArea(largest) < 0.2 * width * height:
        x, y, w, h = 0, 0, width, height
    else:
        x, y, w, h = cv2.boundingRect(largest)
    return np.array([[x, y], [x + w - 1, y], [x + w - 1, y + h - 1], [x, y + h - 1]],
                    np.float32)


def zones(roi: np.ndarray, entry_side: str) -> tuple[np.ndarray, np.ndarray]:
    """(entry zone, exit zone): the ROI's outer :data:`ZONE_FRACTION` next to each edge."""
    x1, y1 = roi.min(axis=0)
    x2, y2 = roi.max(axis=0)
    horizontal = entry_side in ('left', 'right')
    lo, hi = (x1, x2) if horizontal else (y1, y2)
    span = (hi - lo) * ZONE_FRACTION
    near_lo = _band(roi, lo, lo + span, horizontal)
    near_hi = _band(roi, hi - span, hi, horizontal)
    return (near_lo, near_hi) if entry_side in ('left', 'top') else (near_hi, near_lo)


def _band(roi: np.ndarray, start: float, end: float, horizontal: bool) -> np.ndarray:
    """The part of ``roi`` between ``start`` and ``end`` along x (horizontal) or y."""
    x1, y1 = roi.min(axis=0)
    x2, y2 = roi.max(axis=0)
    box = (np.array([[start, y1], [end, y1], [end, y2], [start, y2]], np.float32) if horizontal
           else np.array([[x1, start], [x2, start], [x2, end], [x1, end]], np.float32))
    area, clipped = cv2.intersectConvexConvex(roi.astype(np.float32), box)
    return clipped.reshape(-1, 2).astype(np.float32) if area > 0 and clipped is not None else box


def save(calibration: Calibration, path: str | Path) -> Path:
    """Write the YAML and the reference PNG beside it (``<stem>.png``); returns the YAML path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image = path.with_suffix('.png')
    if not cv2.imwrite(str(image), calibration.reference):
        raise CalibrationError(f'cannot write the reference image {image}')
    width, height = calibration.size
    doc = {
        'version': VERSION, 'created_at': calibration.created_at, 'source': calibration.source,
        'frames': int(calibration.frames), 'frame': {'width': width, 'height': height},
        'reference_image': image.name, 'entry_side': calibration.entry_side,
        'roi': _points(calibration.roi), 'entry_zone': _points(calibration.entry_zone),
        'exit_zone': _points(calibration.exit_zone)}
    path.write_text(
        '# empty-chamber calibration (rvm-edge calibrate); docs/detector.md "Calibration"\n'
        + yaml.safe_dump(doc, sort_keys=False, default_flow_style=None, width=99),
        encoding='utf-8')
    calibration.path = str(path)
    return path


def load(path: str | Path) -> Calibration:
    """Read a calibration YAML and its reference image; :class:`CalibrationError` if unusable."""
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding='utf-8'))
    except OSError as exc:
        raise CalibrationError(f'calibration file {path}: {exc.strerror or exc}') from exc
    except yaml.YAMLError as exc:
        raise CalibrationError(f'calibration file {path}: not YAML ({exc})') from exc
    if not isinstance(doc, dict) or doc.get('version') != VERSION:
        raise CalibrationError(f'calibration file {path}: expected a mapping with version: 1')
    missing = [k for k in ('frame', 'reference_image', 'roi', 'entry_zone', 'exit_zone')
               if k not in doc]
    if missing:
        raise CalibrationError(f'calibration file {path}: missing {", ".join(missing)}')
    image_path = path.parent / str(doc['reference_image'])
    reference = cv2.imread(str(image_path), cv2.IMREAD_COLOR)
    if reference is None:
        raise CalibrationError(f'calibration file {path}: cannot read the reference image '
                               f'{image_path}')
    frame = doc['frame'] if isinstance(doc['frame'], dict) else {}
    width, height = frame.get('width'), frame.get('height')
    if (width, height) != (reference.shape[1], reference.shape[0]):
        raise CalibrationError(
            f'calibration file {path}: frame {width}x{height} but the reference image is '
            f'{reference.shape[1]}x{reference.shape[0]}')
    side = doc.get('entry_side', 'left')
    if side not in ENTRY_SIDES:
        raise CalibrationError(f'calibration file {path}: entry_side {side!r} is not one of '
                               f'{", ".join(ENTRY_SIDES)}')
    polygons = [_check_polygon(doc[k], width, height, f'{path}: {k}')
                for k in ('roi', 'entry_zone', 'exit_zone')]
    return Calibration(reference, *polygons, entry_side=side,
                       created_at=str(doc.get('created_at', '')),
                       source=str(doc.get('source', '')), frames=int(doc.get('frames', 0) or 0),
                       path=str(path))


def _check_polygon(value: Any, width: int, height: int, name: str) -> np.ndarray:
    try:
        points = np.asarray(value, np.float32).reshape(-1, 2)
    except (TypeError, ValueError) as exc:
        raise CalibrationError(f'{name}: expected a list of [x, y] points') from exc
    if len(points) < 3:
        raise CalibrationError(f'{name}: a polygon needs at least 3 points, got {len(points)}')
    outside = (points[:, 0] > width + 1) | (points[:, 1] > height + 1)
    if (points < -1).any() or outside.any():
        raise CalibrationError(f'{name}: points outside the {width}x{height} frame')
    if cv2.contourArea(points) <= 0:
        raise CalibrationError(f'{name}: the polygon has no area')
    return points


def _points(polygon: np.ndarray) -> list[list[float]]:
    return [[round(float(x), 1), round(float(y), 1)] for x, y in polygon]


def parse_roi(text: str) -> np.ndarray:
    """``x,y,x,y,...`` (at least 3 points) from the command line."""
    try:
        values = [float(v) for v in text.replace(' ', '').split(',') if v]
    except ValueError as exc:
        raise CalibrationError(f'--roi {text!r}: expected numbers x,y,x,y,...') from exc
    if len(values) % 2 or len(values) < 6:
        raise CalibrationError(f'--roi {text!r}: expected at least 3 x,y pairs')
    return np.asarray(values, np.float32).reshape(-1, 2)
