"""Annotated BGR image (masks, boxes, labels, item state) and mono8 label mask for rviz."""
from __future__ import annotations

import cv2
import numpy as np

from rvm_detector.detection import Detection
from rvm_detector.polygon import fill_polygon

#: BGR colour per category (others get a colour from their class id).
CATEGORY_COLOURS = {
    'pet_bottle': (255, 160, 0),
    'aluminium_can': (180, 180, 180),
    'glass_bottle': (60, 200, 60),
    'other': (0, 140, 255),
}
STATE_COLOURS = {'empty': (120, 120, 120), 'entering': (0, 200, 255), 'settling': (0, 200, 255),
                 'judged': (0, 200, 0), 'clearing': (0, 120, 255), 'blocked': (80, 80, 200)}


def colour_of(det: Detection) -> tuple[int, int, int]:
    if det.category in CATEGORY_COLOURS:
        return CATEGORY_COLOURS[det.category]
    rng = np.random.default_rng(det.class_id + 7)
    return tuple(int(c) for c in rng.integers(64, 255, size=3))


def annotate(image: np.ndarray, detections: list[Detection], item_state: str = 'empty',
             item_label: str = '', alpha: float = 0.4) -> np.ndarray:
    """A copy of ``image`` with filled masks, boxes, ``#track class conf`` labels, item state."""
    out = image.copy()
    overlay = out.copy()
    for det in detections:
        colour = colour_of(det)
        if det.mask is not None:
            overlay[det.mask] = colour
        elif det.polygon is not None:
            cv2.fillPoly(
                overlay, [np.round(det.polygon).astype(np.int32).reshape(-1, 1, 2)], colour)
    cv2.addWeighted(overlay, alpha, out, 1.0 - alpha, 0.0, dst=out)
    for det in detections:
        colour = colour_of(det)
        x1, y1, x2, y2 = (int(round(v)) for v in det.bbox)
        cv2.rectangle(out, (x1, y1), (x2, y2), colour, 2)
        label = f'#{det.track_id} {det.class_name} {det.confidence:.2f}' + (
            ' sam2' if det.refined else '')
        (tw, th), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, 0.45, 1)
        ty = max(th + 4, y1)
        cv2.rectangle(out, (x1, ty - th - 4), (x1 + tw + 4, ty), colour, -1)
        cv2.putText(
            out, label, (x1 + 2, ty - 3), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1, cv2.LINE_AA
        )
    banner = f'item: {item_state}' + (f'  {item_label}' if item_label else '')
    cv2.rectangle(out, (0, 0), (min(out.shape[1], 12 + 9 * len(banner)), 22), (0, 0, 0), -1)
    cv2.putText(out, banner, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                STATE_COLOURS.get(item_state, (255, 255, 255)), 1, cv2.LINE_AA)
    return out


def label_mask(height: int, width: int, detections: list[Detection]) -> np.ndarray:
    """mono8 mask: 0 = background, class_id + 1 where a detection's mask lies (255 cap).

    Higher-confidence detections are drawn last, so they win where masks overlap.
    """
    mask = np.zeros((height, width), dtype=np.uint8)
    for det in sorted(detections, key=lambda d: d.confidence):
        value = min(det.class_id + 1, 255)
        if det.mask is not None and det.mask.shape == mask.shape:
            mask[det.mask] = value
        else:
            fill_polygon(mask, det.polygon, value)
    return mask
