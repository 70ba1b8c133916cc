"""Per-frame detection records shared by the model wrapper, tracker, verdict and adapters."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Detection:
    """One segmented object in one frame (pixel coordinates of the original frame)."""

    class_id: int
    class_name: str
    confidence: float
    bbox: tuple[float, float, float, float]          # x1, y1, x2, y2
    polygon: np.ndarray | None = None                # (N, 2) float32 outline, px
    mask: np.ndarray | None = None                   # HxW bool (SAM2-refined frames only)
    area_px: float = 0.0
    category: str = ''
    track_id: int = -1
    refined: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary (no raster mask)."""
        x1, y1, x2, y2 = self.bbox
        return {
            'class_id': self.class_id, 'class_name': self.class_name, 'category': self.category,
            'confidence': round(float(self.confidence), 4), 'track_id': self.track_id,
            'bbox': {
                'x1': round(x1, 1), 'y1': round(y1, 1), 'x2': round(x2, 1), 'y2': round(y2, 1)},
            'area_px': round(float(self.area_px), 1), 'refined': self.refined}


@dataclass
class FrameDetections:
    """Everything the model stage produced for one frame, with per-stage timings (ms)."""

    detections: list[Detection]
    width: int
    height: int
    timings_ms: dict[str, float] = field(default_factory=dict)


def box_iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Intersection over union of two xyxy boxes."""
    ix1, iy1 = max(a[0], b[0]), max(a[1], b[1])
    ix2, iy2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, ix2 - ix1) * max(0.0, iy2 - iy1)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


Box = tuple[float, float, float, float]


def box_containment(inner: Box, outer: Box) -> float:
    """Fraction of ``inner``'s area that lies inside ``outer``."""
    ix1, iy1 = max(inner[0], outer[0]), max(inner[1], outer[1])
    ix2, iy2 = min(inner[2], outer[2]), min(inner[3], outer[3])
    area = (inner[2] - inner[0]) * (inner[3] - inner[1])
    return float(max(0.0, ix2 - ix1) * max(0.0, iy2 - iy1) / area) if area > 0 else 0.0
