"""Mask / polygon helpers with OpenCV: rasterise, extract the outline, area.

Simplifying an outline to a point budget is :func:`rvm_common.polygon.simplify_polygon` (one
simplifier for the detector and the bridge).
"""
from __future__ import annotations

import cv2
import numpy as np


def mask_to_polygon(mask: np.ndarray) -> np.ndarray | None:
    """Outline (N,2 float32, px) of the largest connected region of a boolean mask, or None."""
    if mask is None or not mask.any():
        return None
    contours, _ = cv2.findContours(
        mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    largest = max(contours, key=cv2.contourArea)
    return largest.reshape(-1, 2).astype(np.float32)


def polygon_area(polygon: np.ndarray | None) -> float:
    """Area in px² of a polygon (0 for None or fewer than 3 points)."""
    if polygon is None or len(polygon) < 3:
        return 0.0
    return float(cv2.contourArea(polygon.astype(np.float32).reshape(-1, 1, 2)))


def fill_polygon(mask: np.ndarray, polygon: np.ndarray | None, value: int) -> None:
    """Rasterise ``polygon`` into ``mask`` (uint8, in place) with ``value``."""
    if polygon is None or len(polygon) < 3:
        return
    cv2.fillPoly(mask, [np.round(polygon).astype(np.int32).reshape(-1, 1, 2)], int(value))
