"""How good are made masks? ``rvm-mask-check`` compares them with true polygons.

For every item of a YOLO or COCO photo folder that has a true polygon (at least
``--min-points`` points, so rotated boxes are not taken for outlines), the mask maker is run
from the polygon's bounding box alone and its IoU with the true mask is measured, next to the
IoU of the plain box (what a box-only label would give). Prints a JSON summary (mean, median,
10th percentile, share of items above 0.5 / 0.75, per source class) and optionally writes PNG
overlays (true outline green, made outline red) to look at by eye::

    rvm-mask-check --data /work/data_real/holdout_src --limit 200 --overlays /tmp/mask_check
"""

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

from rvm_training.box_masks import box_mask, make_mask, mask_iou
from rvm_training.real_import import read_photos

WORK_SIDE = 640


def _stats(values):
    v = np.asarray(values, np.float64)
    if not len(v):
        return {'items': 0}
    return {'items': int(len(v)), 'mean': round(float(v.mean()), 3),
            'median': round(float(np.median(v)), 3),
            'p10': round(float(np.percentile(v, 10)), 3),
            'share_ge_0.5': round(float((v >= 0.5).mean()), 3),
            'share_ge_0.75': round(float((v >= 0.75).mean()), 3)}


def _outline(image, mask, colour):
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(image, contours, -1, colour, 2)


def check_masks(folder, layout='auto', method='grabcut', min_points=5, limit=None,
                overlays=None):
    """IoU of made masks vs true polygons; returns the summary dict."""
    made, boxes, per_class, methods = [], [], {}, {}
    count = 0
    if overlays:
        Path(overlays).mkdir(parents=True, exist_ok=True)
    for photo in read_photos(folder, layout):
        items = [i for i in photo.items if i.polygon is not None and len(i.polygon) >= min_points]
        if not items:
            continue
        image = cv2.imread(str(photo.path))
        if image is None:
            continue
        scale = min(1.0, WORK_SIDE / max(image.shape[:2]))
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        h, w = image.shape[:2]
        view = image.copy() if overlays else None
        for item in items:
            pts = (item.polygon * [w, h]).astype(np.int32)
            truth = np.zeros((h, w), np.uint8)
            cv2.fillPoly(truth, [pts], 1)
            truth = truth.astype(bool)
            if truth.sum() < 50:
                continue
            box = (pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max())
            mask, used = make_mask(image, box, method)
            iou = mask_iou(mask, truth)
            made.append(iou)
            boxes.append(mask_iou(box_mask(image.shape, box), truth))
            per_class.setdefault(item.source_class, []).append(iou)
            methods[used] = methods.get(used, 0) + 1
            if view is not None:
                _outline(view, truth, (0, 255, 0))
                _outline(view, mask, (0, 0, 255))
                cv2.putText(view, f'{iou:.2f}', (int(box[0]), int(box[1]) + 18), 0, 0.6,
                            (255, 255, 0), 2)
            count += 1
        if view is not None:
            cv2.imwrite(str(Path(overlays) / f'{photo.path.stem[:40]}.png'), view)
        if limit and count >= limit:
            break
    return {'folder': str(folder), 'method': method, 'min_points': min_points,
            'made_mask_iou': _stats(made), 'box_iou': _stats(boxes),
            'methods_used': methods,
            'per_class_made_mask_iou': {k: _stats(v) for k, v in sorted(per_class.items())}}


def main(argv=None):
    """Console script ``rvm-mask-check``."""
    parser = argparse.ArgumentParser(
        description='IoU of box-prompted masks against true polygons of a labelled photo folder.')
    parser.add_argument('--data', required=True, help='YOLO or COCO photo folder with polygons')
    parser.add_argument('--layout', default='auto', choices=('auto', 'yolo', 'coco'),
                        help='layout of the folder with true outlines (auto = detect it)')
    parser.add_argument('--method', default='grabcut', choices=('grabcut', 'threshold', 'box'),
                        help='mask maker to score against the true outlines')
    parser.add_argument('--min-points', type=int, default=5,
                        help='least polygon points for a true outline (4 = a rotated box)')
    parser.add_argument('--limit', type=int, default=None, help='stop after this many items')
    parser.add_argument('--overlays', default=None, help='write PNG overlays to this folder')
    parser.add_argument('--out', default=None, help='also write the summary JSON here')
    args = parser.parse_args(argv)
    summary = check_masks(args.data, args.layout, args.method, args.min_points, args.limit,
                          args.overlays)
    if not summary['made_mask_iou']['items']:
        print(f'error: no item with a polygon of >= {args.min_points} points in {args.data}',
              file=sys.stderr)
        return 2
    text = json.dumps(summary, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
