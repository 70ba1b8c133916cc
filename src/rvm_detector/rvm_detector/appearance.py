"""Appearance signature of an object: class, mask area and colour histogram.

The chamber credits an item only when the object that leaves is the object that was judged:
the judged item's :class:`Signature` is kept, and every later sighting is compared with it
(:func:`same_object`). A different class alone does not make a different object (the model's
class may flicker between similar classes); a different colour distribution or a mask area off
by more than a factor of :data:`AREA_RATIO` does.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from rvm_detector.detection import Detection

AREA_RATIO = 2.0          # areas within this factor of each other can be one object
HIST_SAME = 0.45          # Bhattacharyya distance up to which colours match (same class)
HIST_SAME_OTHER = 0.3     # ... when the classes differ
HIST_BINS = (12, 8)       # hue x saturation


@dataclass(frozen=True)
class Signature:
    """What an object looks like: class, area (px) and a normalised HS histogram."""

    class_name: str
    area: float
    hist: np.ndarray


def signature_of(image: np.ndarray | None, det: Detection) -> Signature:
    """The signature of ``det`` in ``image`` (BGR): its mask (or box) pixels.

    Without an image (scripted detections) only the class and area count: a flat histogram.
    """
    if image is None:
        bx1, by1, bx2, by2 = det.bbox
        area = det.area_px or max(0.0, bx2 - bx1) * max(0.0, by2 - by1)
        return Signature(det.class_name, float(area), np.full(HIST_BINS, 1.0 / 96, np.float32))
    height, width = image.shape[:2]
    x1, y1, x2, y2 = (int(round(v)) for v in det.bbox)
    x1, y1 = max(0, min(width - 1, x1)), max(0, min(height - 1, y1))
    x2, y2 = max(x1 + 1, min(width, x2)), max(y1 + 1, min(height, y2))
    crop = image[y1:y2, x1:x2]
    mask = None
    if det.polygon is not None and len(det.polygon) >= 3:
        mask = np.zeros(crop.shape[:2], np.uint8)
        points = np.round(np.asarray(det.polygon) - (x1, y1)).astype(np.int32)
        cv2.fillPoly(mask, [points.reshape(-1, 1, 2)], 1)
        if not mask.any():
            mask = None
    hsv = cv2.cvtColor(crop, cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1], mask, list(HIST_BINS), [0, 180, 0, 256])
    cv2.normalize(hist, hist, 1.0, 0.0, cv2.NORM_L1)
    area = float(det.area_px) if det.area_px > 0 else float((x2 - x1) * (y2 - y1))
    return Signature(det.class_name, area, hist)


def distance(a: Signature, b: Signature) -> float:
    """Bhattacharyya distance of the colour histograms (0 same .. 1 disjoint)."""
    return float(cv2.compareHist(a.hist, b.hist, cv2.HISTCMP_BHATTACHARYYA))


def same_object(judged: Signature, seen: Signature, clipped: bool = False) -> bool:
    """Whether ``seen`` can be the object ``judged`` describes.

    ``clipped``: ``seen`` is cut by the frame edge (leaving or entering), so it may look smaller.
    """
    small, large = sorted((max(judged.area, 1.0), max(seen.area, 1.0)))
    if large / small > AREA_RATIO and not (clipped and seen.area < judged.area):
        return False
    limit = HIST_SAME if judged.class_name == seen.class_name else HIST_SAME_OTHER
    return distance(judged, seen) <= limit
