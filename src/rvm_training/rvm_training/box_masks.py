"""Instance masks for photos that only have a box or a class (OpenCV only).

* :func:`grabcut_mask` -- GrabCut initialised with the item's box: everything outside the box is
  background, the box's inside is "probably foreground".
* :func:`plain_background_mask` -- for one item on a plain background (a class-per-folder photo):
  the background colour is estimated from the image border and every pixel far enough from it is
  the item; the largest connected region is kept.
* :func:`make_mask` -- the method used by the importer: ``threshold`` for class-only photos,
  ``grabcut`` for boxes; a result that is implausible (almost empty, or filling nearly the whole
  box) falls back to the filled box, so an item is never lost.

:func:`mask_iou` compares two masks; ``rvm-mask-check`` (:mod:`rvm_training.mask_check`) reports
the IoU of the made masks against photos that have true polygons.
"""

import cv2
import numpy as np

# a made mask covering less than this share of its box is taken as failed (box used instead)
MIN_BOX_FILL = 0.15
# GrabCut runs on the box plus this margin (share of the box size) and at most this many pixels
_CONTEXT = 0.25
_MAX_SIDE = 320


def _clip_box(box, width, height):
    x1, y1, x2, y2 = (float(v) for v in box)
    x1, x2 = sorted((min(max(x1, 0.0), width - 1.0), min(max(x2, 0.0), width - 1.0)))
    y1, y2 = sorted((min(max(y1, 0.0), height - 1.0), min(max(y2, 0.0), height - 1.0)))
    return int(np.floor(x1)), int(np.floor(y1)), int(np.ceil(x2)), int(np.ceil(y2))


def box_mask(shape, box):
    """The filled box as a bool mask of ``shape`` (h, w)."""
    mask = np.zeros(shape[:2], bool)
    x1, y1, x2, y2 = _clip_box(box, shape[1], shape[0])
    mask[y1:y2 + 1, x1:x2 + 1] = True
    return mask


def _largest_component(mask):
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), 8)
    if n <= 1:
        return mask.astype(bool)
    best = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    return labels == best


def _fill_holes(mask):
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_SIMPLE)
    filled = np.zeros(mask.shape, np.uint8)
    cv2.drawContours(filled, contours, -1, 1, -1)
    return filled.astype(bool)


def grabcut_mask(image, box, iterations=4):
    """GrabCut from a box on a crop around it (downscaled to <= 320 px); bool mask of ``image``."""
    height, width = image.shape[:2]
    x1, y1, x2, y2 = _clip_box(box, width, height)
    bw, bh = max(x2 - x1, 1), max(y2 - y1, 1)
    cx1, cy1 = max(0, int(x1 - _CONTEXT * bw)), max(0, int(y1 - _CONTEXT * bh))
    cx2, cy2 = min(width, int(x2 + _CONTEXT * bw) + 1), min(height, int(y2 + _CONTEXT * bh) + 1)
    crop = image[cy1:cy2, cx1:cx2]
    scale = min(1.0, _MAX_SIDE / max(crop.shape[:2]))
    small = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) \
        if scale < 1.0 else crop.copy()
    rect = (int((x1 - cx1) * scale), int((y1 - cy1) * scale),
            max(2, int(bw * scale)), max(2, int(bh * scale)))
    rect = (rect[0], rect[1], min(rect[2], small.shape[1] - rect[0] - 1),
            min(rect[3], small.shape[0] - rect[1] - 1))
    out = np.zeros(image.shape[:2], bool)
    if rect[2] < 2 or rect[3] < 2:
        return box_mask(image.shape, box)
    gc = np.zeros(small.shape[:2], np.uint8)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    try:
        cv2.grabCut(small, gc, rect, bgd, fgd, iterations, cv2.GC_INIT_WITH_RECT)
    except cv2.error:
        return box_mask(image.shape, box)
    fg = np.isin(gc, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.uint8)
    fg = cv2.resize(fg, (crop.shape[1], crop.shape[0]), interpolation=cv2.INTER_NEAREST)
    out[cy1:cy2, cx1:cx2] = fg.astype(bool)
    out &= box_mask(image.shape, box)
    return _fill_holes(_largest_component(out)) if out.any() else out


def _border_background(lab, b):
    """Smooth background (quadratic in x, y per Lab channel) fitted to the border; its spread.

    Fitted twice: the second fit leaves out the border pixels far from the first (where the item
    reaches the edge), so the background's shading and not the item is what is modelled."""
    h, w = lab.shape[:2]
    ring = np.zeros((h, w), bool)
    ring[:b], ring[-b:], ring[:, :b], ring[:, -b:] = True, True, True, True
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    xx, yy = xx / w - 0.5, yy / h - 0.5
    basis = np.stack([np.ones_like(xx), xx, yy, xx * xx, yy * yy, xx * yy], axis=2)
    a, values = basis[ring], lab[ring]
    keep = np.ones(len(values), bool)
    for _ in range(2):
        coef, *_ = np.linalg.lstsq(a[keep], values[keep], rcond=None)
        residual = np.linalg.norm(values - a @ coef, axis=1)
        keep = residual <= max(np.percentile(residual, 50) * 2.5, 4.0)
    spread = float(np.percentile(residual[keep], 60))
    return basis @ coef, spread


def plain_background_mask(image, border=0.04, iterations=4):
    """Item on a plain background: GrabCut seeded by the distance to the border colour.

    The background colour is the median of the image border (the background fills most of it
    even where the item reaches the edge); pixels close to it seed "probably background", the
    rest "probably foreground", and GrabCut refines both. Returns a bool mask of ``image``.
    """
    height, width = image.shape[:2]
    scale = min(1.0, _MAX_SIDE / max(height, width))
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) \
        if scale < 1.0 else image.copy()
    lab = cv2.cvtColor(cv2.GaussianBlur(small, (5, 5), 0), cv2.COLOR_BGR2LAB).astype(np.float32)
    h, w = lab.shape[:2]
    b = max(2, int(border * min(h, w)))
    background, spread = _border_background(lab, b)
    dist = np.linalg.norm(lab - background, axis=2)
    low = max(10.0, 2.5 * spread)
    gc = np.where(dist < low, cv2.GC_PR_BGD, cv2.GC_PR_FGD).astype(np.uint8)
    gc[dist < low / 2] = cv2.GC_BGD
    if not (gc == cv2.GC_PR_FGD).any() or not (gc != cv2.GC_PR_FGD).any():
        return np.zeros((height, width), bool)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    try:
        cv2.grabCut(small, gc, None, bgd, fgd, iterations, cv2.GC_INIT_WITH_MASK)
    except cv2.error:
        pass
    fg = np.isin(gc, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.uint8)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    fg = cv2.morphologyEx(fg, cv2.MORPH_OPEN, kernel)
    mask = _fill_holes(_largest_component(fg)) if fg.any() else fg.astype(bool)
    return cv2.resize(mask.astype(np.uint8), (width, height),
                      interpolation=cv2.INTER_NEAREST).astype(bool)


def _plausible(mask, box, shape):
    area = int(box_mask(shape, box).sum())
    return area > 0 and MIN_BOX_FILL * area <= int(mask.sum())


def make_mask(image, box=None, method='auto'):
    """Mask for one item: ``(mask, method used)``; the box itself when a method fails.

    ``box=None`` means a class-only photo of one item (the whole image is its box).
    ``method``: ``auto`` (threshold without a box, GrabCut with one), ``grabcut``, ``threshold``
    or ``box``.
    """
    height, width = image.shape[:2]
    whole = box is None
    if whole:
        box = (0, 0, width - 1, height - 1)
    if method == 'auto':
        method = 'threshold' if whole else 'grabcut'
    if method == 'box':
        return box_mask(image.shape, box), 'box'
    if method == 'threshold':
        mask = plain_background_mask(image)
        if not whole:
            mask &= box_mask(image.shape, box)
        # a class-only photo whose "item" touches three or four image sides is no plain background
        touches = sum((mask[0].any(), mask[-1].any(), mask[:, 0].any(), mask[:, -1].any()))
        if whole and (touches >= 3 or mask.sum() > 0.9 * mask.size):
            return grabcut_mask(image, _inset(box, 0.03)), 'grabcut'
    elif method == 'grabcut':
        mask = grabcut_mask(image, box)
    else:
        raise ValueError(f'unknown mask method {method!r} (auto, grabcut, threshold, box)')
    if not _plausible(mask, box, image.shape) and not whole:
        return box_mask(image.shape, box), 'box'
    if not mask.any():
        return box_mask(image.shape, _inset(box, 0.1)), 'box'
    return mask, method


def _inset(box, share):
    x1, y1, x2, y2 = box
    dx, dy = (x2 - x1) * share, (y2 - y1) * share
    return (x1 + dx, y1 + dy, x2 - dx, y2 - dy)


def mask_iou(a, b):
    """Intersection over union of two bool masks (1.0 when both are empty)."""
    union = np.logical_or(a, b).sum()
    return 1.0 if union == 0 else float(np.logical_and(a, b).sum()) / float(union)


def mask_to_polygon(mask, epsilon_share=0.002):
    """Largest outer contour of ``mask`` as an (N, 2) float32 pixel polygon, or ``None``."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    contour = max(contours, key=cv2.contourArea)
    eps = max(0.5, epsilon_share * max(mask.shape))
    contour = cv2.approxPolyDP(contour, eps, True).reshape(-1, 2)
    return contour.astype(np.float32) if len(contour) >= 3 else None
