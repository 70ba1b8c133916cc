"""Mask / polygon helpers: rasterise, extract the outline, simplify to a bounded point count."""
from __future__ import annotations

import cv2
import numpy as np


def mask_to_polygon(mask: np.ndarray) -> np.ndarray | None:
    """Outline (N,2 float32, px) of the largest connected region of a boolean mask, or None."""
    if mask is None or not mask.any():
        return None
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    largest = max(contours, key=cv2.contourArea)
    return largest.reshape(-1, 2).astype(np.float32)


def polygon_area(polygon: np.ndarray | None) -> float:
    """Area in px² of a polygon (0 for None or fewer than 3 points)."""
    if polygon is None or len(polygon) < 3:
        return 0.0
    return float(cv2.contourArea(polygon.astype(np.float32).reshape(-1, 1, 2)))


def simplify_polygon(polygon: np.ndarray | None, max_points: int = 64) -> np.ndarray | None:
    """``polygon`` simplified with ``cv2.approxPolyDP`` until it has at most ``max_points`` points.

    The tolerance starts at 0.5 px and grows by 1.5x per step, so the outline stays as
    close to the original as the point budget allows.
    """
    if polygon is None or len(polygon) < 3:
        return None
    curve = polygon.astype(np.float32).reshape(-1, 1, 2)
    if len(curve) <= max_points:
        return curve.reshape(-1, 2)
    epsilon = 0.5
    perimeter = max(cv2.arcLength(curve, True), 1.0)
    while True:
        approx = cv2.approxPolyDP(curve, epsilon, True)
        if len(approx) <= max_points or epsilon > perimeter:
            break
        epsilon *= 1.5
    if len(approx) > max_points:  # degenerate outline: keep evenly spaced points
        idx = np.linspace(0, len(curve) - 1, max_points).astype(int)
        approx = curve[idx]
    return approx.reshape(-1, 2).astype(np.float32)


def fill_polygon(mask: np.ndarray, polygon: np.ndarray | None, value: int) -> None:
    """Rasterise ``polygon`` into ``mask`` (uint8, in place) with ``value``."""
    if polygon is None or len(polygon) < 3:
        return
    cv2.fillPoly(mask, [np.round(polygon).astype(np.int32).reshape(-1, 1, 2)], int(value))
