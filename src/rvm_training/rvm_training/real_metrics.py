"""Figures of a model on labelled photos: item matching, rates, confusion matrix, box/mask mAP.

Pure numpy on already-predicted frames (:class:`FrameResult`), so it is tested without a model.
Average precision is Ultralytics' own (``ultralytics.utils.metrics.ap_per_class``, COCO
101-point interpolation, IoU 0.50:0.95), fed with the same greedy matching its validator uses.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

CATEGORIES = ('pet_bottle', 'aluminium_can', 'glass_bottle', 'other')
MISSED = 'missed'
IOU_MATCH = 0.5                          # a detection belongs to a labelled box from this IoU
IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)
MASK_LONG_SIDE = 320                     # masks are compared at this size (long side, px)


@dataclass
class Truth:
    """A labelled item mapped onto an RVM category; box/polygon in px (None = not labelled)."""

    category: str
    bbox: tuple | None = None
    polygon: np.ndarray | None = None


@dataclass
class Prediction:
    """One detection mapped onto an RVM category."""

    category: str
    confidence: float
    bbox: tuple
    polygon: np.ndarray | None = None


@dataclass
class FrameResult:
    """One evaluated photo: its size, labelled items (none for an empty frame), detections."""

    name: str
    width: int
    height: int
    truths: list[Truth]
    predictions: list[Prediction]
    empty: bool = False


@dataclass
class Tally:
    """Running counts for the rate figures."""

    confusion: dict = field(default_factory=lambda: {
        t: {p: 0 for p in (*CATEGORIES, MISSED)} for t in CATEGORIES})
    extra_detections: int = 0            # detections in labelled photos that match no box
    empty_frames: int = 0
    empty_with_detection: int = 0
    empty_max_conf: float = 0.0
    empty_classes: dict = field(default_factory=lambda: {c: 0 for c in CATEGORIES})
    # each wrong or missed item and each empty frame with a detection, with its photo
    mistakes: list = field(default_factory=list)


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU matrix (len(a), len(b)) of xyxy boxes."""
    a, b = np.asarray(a, float).reshape(-1, 4), np.asarray(b, float).reshape(-1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(2)
    area_a = (a[:, 2:] - a[:, :2]).clip(0).prod(1)
    area_b = (b[:, 2:] - b[:, :2]).clip(0).prod(1)
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


def mask_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU matrix of boolean masks (n, H, W) x (m, H, W)."""
    fa = a.reshape(len(a), -1).astype(np.float32)
    fb = b.reshape(len(b), -1).astype(np.float32)
    inter = fa @ fb.T
    union = fa.sum(1)[:, None] + fb.sum(1)[None, :] - inter
    return inter / np.maximum(union, 1e-9)


def rasterise(polygons, width: int, height: int) -> np.ndarray:
    """Boolean masks (n, h, w) of px polygons, scaled so the long side is MASK_LONG_SIDE."""
    scale = min(1.0, MASK_LONG_SIDE / max(width, height))
    w, h = max(1, round(width * scale)), max(1, round(height * scale))
    masks = np.zeros((len(polygons), h, w), dtype=np.uint8)
    for i, poly in enumerate(polygons):
        if poly is not None and len(poly) >= 3:
            cv2.fillPoly(masks[i], [np.round(np.asarray(poly) * scale).astype(np.int32)], 1)
    return masks.astype(bool)


def match_items(frame: FrameResult) -> tuple[list[Prediction | None], int]:
    """The top (highest-confidence) detection matched to each labelled item, and the unmatched.

    Items with a box take detections greedily in descending confidence, each to the free item it
    overlaps most (IoU >= 0.5).  An item without a box (class-per-folder: one item per photo)
    takes the photo's top detection.
    """
    order = sorted(range(len(frame.predictions)), key=lambda j: -frame.predictions[j].confidence)
    matched: list[Prediction | None] = [None] * len(frame.truths)
    boxed = [i for i, t in enumerate(frame.truths) if t.bbox is not None]
    used = set()
    if boxed and order:
        iou = box_iou([frame.truths[i].bbox for i in boxed],
                      [frame.predictions[j].bbox for j in order])
        for col, j in enumerate(order):
            free = [(iou[row, col], row) for row in range(len(boxed))
                    if matched[boxed[row]] is None and iou[row, col] >= IOU_MATCH]
            if free:
                matched[boxed[max(free)[1]]] = frame.predictions[j]
                used.add(j)
    for i, truth in enumerate(frame.truths):
        if truth.bbox is None:
            rest = [j for j in order if j not in used]
            if rest:
                matched[i] = frame.predictions[rest[0]]
                used.add(rest[0])
    return matched, len(frame.predictions) - len(used)


def tally(frames: list[FrameResult]) -> Tally:
    """Confusion matrix (true category x predicted category or missed) and empty-frame counts."""
    out = Tally()
    for frame in frames:
        if frame.empty:
            out.empty_frames += 1
            if frame.predictions:
                out.empty_with_detection += 1
                top = max(frame.predictions, key=lambda p: p.confidence)
                out.empty_max_conf = max(out.empty_max_conf, top.confidence)
                out.empty_classes[top.category] += 1
                out.mistakes.append(_mistake(frame.name, 'empty', top))
            continue
        matched, extra = match_items(frame)
        out.extra_detections += extra
        for truth, pred in zip(frame.truths, matched):
            out.confusion[truth.category][pred.category if pred else MISSED] += 1
            if pred is None or pred.category != truth.category:
                out.mistakes.append(_mistake(frame.name, truth.category, pred))
    return out


def _mistake(photo: str, labelled: str, pred: Prediction | None) -> dict:
    return {'photo': photo, 'labelled': labelled,
            'predicted': pred.category if pred else MISSED,
            'confidence': round(pred.confidence, 4) if pred else None}


def rates(t: Tally) -> dict:
    """Per-category and overall item counts, detection rate, top-1 accuracy; empty-frame FP."""
    per_class = {}
    for cat in CATEGORIES:
        counts = t.confusion[cat]
        items = sum(counts.values())
        detected = items - counts[MISSED]
        per_class[cat] = _rate_row(items, detected, counts[cat])
    total_items = sum(r['items'] for r in per_class.values())
    total_detected = sum(r['detected'] for r in per_class.values())
    total_correct = sum(r['top1_correct'] for r in per_class.values())
    return {
        'per_class': per_class,
        'overall': _rate_row(total_items, total_detected, total_correct),
        'confusion': {k: dict(v) for k, v in t.confusion.items()},
        'extra_detections': t.extra_detections,
        'mistakes': list(t.mistakes),
        'empty': {'frames': t.empty_frames, 'with_detection': t.empty_with_detection,
                  'fp_rate': _ratio(t.empty_with_detection, t.empty_frames),
                  'max_conf': round(t.empty_max_conf, 4), 'top_class': dict(t.empty_classes)},
    }


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _rate_row(items: int, detected: int, correct: int) -> dict:
    return {'items': items, 'detected': detected, 'detection_rate': _ratio(detected, items),
            'top1_correct': correct, 'top1_accuracy': _ratio(correct, items),
            'top1_accuracy_of_detected': _ratio(correct, detected)}


def match_tp(iou: np.ndarray, true_cls: np.ndarray, pred_cls: np.ndarray) -> np.ndarray:
    """(n_pred, 10) correct flags: greedy class-aware matching as Ultralytics' validator does.

    ``iou`` is (n_true, n_pred) with predictions in descending confidence order.
    """
    correct = np.zeros((iou.shape[1], len(IOU_THRESHOLDS)), dtype=bool)
    if iou.size == 0:
        return correct
    iou = iou * (true_cls[:, None] == pred_cls[None, :])
    claimed = np.zeros((iou.shape[0], len(IOU_THRESHOLDS)), dtype=bool)
    cols = range(len(IOU_THRESHOLDS))
    for j in np.flatnonzero((iou >= IOU_THRESHOLDS.min()).any(0)):
        available = np.where(claimed, 0, iou[:, j, None])
        k = available.argmax(0)
        correct[j] = available[k, cols] >= IOU_THRESHOLDS
        claimed[k, cols] |= correct[j]
    return correct


def average_precision(frames: list[FrameResult], kind: str) -> dict | None:
    """Box (``kind='box'``) or mask mAP50 / mAP50-95 overall and per category, or None.

    Uses the photos whose every item has that label (plus empty frames, whose detections are
    false positives); None when no labelled item qualifies.
    """
    from ultralytics.utils.metrics import ap_per_class

    def labelled(t):
        return t.bbox is not None if kind == 'box' else t.polygon is not None
    tps, confs, pred_cls, true_cls = [], [], [], []
    used = 0
    for frame in frames:
        if not frame.empty and not (frame.truths and all(labelled(t) for t in frame.truths)):
            continue
        used += 1
        preds = sorted(frame.predictions, key=lambda p: -p.confidence)
        t_cls = np.array([CATEGORIES.index(t.category) for t in frame.truths], dtype=int)
        p_cls = np.array([CATEGORIES.index(p.category) for p in preds], dtype=int)
        if not preds:
            true_cls.append(t_cls)
            continue
        if not frame.truths:
            iou = np.zeros((0, len(preds)))
        elif kind == 'box':
            iou = box_iou([t.bbox for t in frame.truths], [p.bbox for p in preds])
        else:
            iou = mask_iou(rasterise([t.polygon for t in frame.truths], frame.width, frame.height),
                           rasterise([p.polygon for p in preds], frame.width, frame.height))
        tps.append(match_tp(iou, t_cls, p_cls))
        confs.append(np.array([p.confidence for p in preds]))
        pred_cls.append(p_cls)
        true_cls.append(t_cls)
    target = np.concatenate(true_cls) if true_cls else np.zeros(0, int)
    if target.size == 0:
        return None
    if not tps:
        ap, classes = np.zeros((len(np.unique(target)), 10)), np.unique(target)
    else:
        result = ap_per_class(np.concatenate(tps), np.concatenate(confs),
                              np.concatenate(pred_cls), target)
        ap, classes = result[5], result[6]
    per_class = {CATEGORIES[int(c)]: {'map50': round(float(ap[i, 0]), 4),
                                      'map50_95': round(float(ap[i].mean()), 4)}
                 for i, c in enumerate(classes)}
    return {'images': used, 'items': int(target.size),
            'map50': round(float(ap[:, 0].mean()), 4),
            'map50_95': round(float(ap.mean()), 4), 'per_class': per_class}
