"""One verdict per item: class vote, aggregated confidence, mask polygon, accept/reject reason."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from rvm_common.polygon import simplify_polygon
from rvm_detector.class_map import ClassMap
from rvm_detector.detection import Detection


@dataclass(frozen=True)
class VerdictPolicy:
    """Thresholds that decide accept / reject (built from DetectorConfig)."""

    min_confidence: float = 0.5
    min_area_fraction: float = 0.005
    max_area_fraction: float = 0.6
    multi_object_conf: float = 0.4
    polygon_max_points: int = 64


def vote(window: list[Detection]) -> tuple[str, int, float]:
    """(class_name, class_id, confidence) over an item's stable window.

    The winning class has the largest confidence sum; its confidence is that sum
    divided by the window length, so frames voting for another class count as 0.
    """
    sums: dict[str, float] = defaultdict(float)
    ids: dict[str, int] = {}
    for det in window:
        sums[det.class_name] += det.confidence
        ids[det.class_name] = det.class_id
    name = max(sums, key=sums.get)
    return name, ids[name], sums[name] / len(window)


def rest_verdict(rest: list[Detection], judged_class: str, frame_w: int, frame_h: int,
                 class_map: ClassMap, policy: VerdictPolicy) -> dict[str, Any] | None:
    """The verdict over an accepted item's whole rest (its still frames so far), when the vote
    over that rest clearly says another class (None: the judged class still holds).

    The accept is provisional until the item leaves by the exit, so a class that only won the
    first ``stable_frames`` frames gives way to the class its rest is seen as, once that class's
    vote confidence (frames voting another class count 0) reaches ``min_confidence``: a rest
    split between two classes keeps the first judgement.
    """
    class_name, _, confidence = vote(rest)
    if class_name == judged_class or confidence < policy.min_confidence:
        return None
    return judge(rest, [], frame_w, frame_h, class_map, policy)


def judge(window: list[Detection], others: list[Detection], frame_w: int, frame_h: int,
          class_map: ClassMap, policy: VerdictPolicy) -> dict[str, Any]:
    """Verdict fields (without envelope/ids/timings) for an item seen as ``window``.

    ``window[-1]`` is the verdict frame's detection; ``others`` are the other
    objects visible in that frame.  The first failing rule gives the reason:
    multiple_objects, low_confidence, category_not_accepted, no_mask, size_out_of_range.
    """
    class_name, _, confidence = vote(window)
    category = class_map.category_of(class_name)
    cat_policy = class_map.policy(category)
    last = window[-1]
    frame_area = float(frame_w * frame_h)
    polygon = simplify_polygon(last.polygon, policy.polygon_max_points)
    if polygon is not None:
        area_px = float(last.area_px)
        mask = {'polygon': [[round(float(x), 1), round(float(y), 1)] for x, y in polygon],
                'area_px': round(area_px, 1),
                'area_fraction': round(area_px / frame_area, 6)}
    else:
        x1, y1, x2, y2 = last.bbox
        area_px = max(0.0, x2 - x1) * max(0.0, y2 - y1)
        mask = None
    fraction = area_px / frame_area
    lo = cat_policy.min_area_fraction if cat_policy.min_area_fraction is not None \
        else policy.min_area_fraction
    hi = cat_policy.max_area_fraction if cat_policy.max_area_fraction is not None \
        else policy.max_area_fraction
    crowd = [d for d in others if d.confidence >= policy.multi_object_conf]
    if crowd:
        reason = 'multiple_objects'
    elif confidence < policy.min_confidence:
        reason = 'low_confidence'
    elif not cat_policy.accepted:
        reason = 'category_not_accepted'
    elif mask is None:
        reason = 'no_mask'
    elif not lo <= fraction <= hi:
        reason = 'size_out_of_range'
    else:
        reason = None
    x1, y1, x2, y2 = last.bbox
    return {
        'category': category,
        'class_name': class_name,
        'confidence': round(float(confidence), 4),
        'accepted': reason is None,
        'reason': reason,
        'bbox': {'x1': round(float(x1), 1), 'y1': round(float(y1), 1),
                 'x2': round(float(x2), 1), 'y2': round(float(y2), 1)},
        'mask': mask,
        'frame': {'width': int(frame_w), 'height': int(frame_h)},
    }
