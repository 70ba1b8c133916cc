"""Build a real-photo evaluation folder from a labelled photo set (``rvm-make-holdout``).

The hold-out keeps the source's own labels (boxes stay boxes, polygons stay polygons; no masks
are made, so box metrics are measured against what a person drew), maps the classes onto the
model's four, and adds *background-only* frames cut from the same photos away from every
labelled item (``--empty-crops``): real floors, walls, furniture and clutter that must give no
detection. Layout (YOLO, readable by ``rvm-eval-real`` and Ultralytics)::

    OUT/images/NAME.jpg   OUT/labels/NAME.txt   # "cls cx cy w h" or "cls x1 y1 ..." normalised
    OUT/data.yaml         # names: the model's classes; train/val/test: images
    OUT/holdout.json      # source, class map, items per class, empty frames, skipped photos

Never pass a hold-out's source folder to ``rvm-make-dataset --real``.
"""

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import yaml

from rvm_training.class_mapping import load_class_mapping
from rvm_training.real_import import read_photos, source_classes
from rvm_training.synthetic_scene import CLASS_NAMES

LONG_SIDE = 640
# a background crop keeps this margin (share of the photo) from every labelled box
CROP_MARGIN = 0.03


def _resize(image, long_side=LONG_SIDE):
    h, w = image.shape[:2]
    scale = min(1.0, long_side / max(h, w))
    return image if scale == 1.0 else cv2.resize(
        image, (int(round(w * scale)), int(round(h * scale))), interpolation=cv2.INTER_AREA)


def _item_line(cls, item):
    if item.polygon is not None:
        return f'{cls} ' + ' '.join(f'{v:.6f}' for v in np.asarray(item.polygon).reshape(-1))
    x1, y1, x2, y2 = np.clip(item.box, 0.0, 1.0)
    return f'{cls} {(x1 + x2) / 2:.6f} {(y1 + y2) / 2:.6f} {x2 - x1:.6f} {y2 - y1:.6f}'


def background_crop(rng, photo, min_share=0.25, tries=60):
    """A window (x1, y1, x2, y2, normalised, 4:3) clear of every labelled item, or ``None``."""
    boxes = [np.asarray(i.box) + [-CROP_MARGIN, -CROP_MARGIN, CROP_MARGIN, CROP_MARGIN]
             for i in photo.items]
    for _ in range(tries):
        w = rng.uniform(min_share, 0.7)
        h = w * 0.75
        x1, y1 = rng.uniform(0, 1 - w), rng.uniform(0, 1 - h)
        window = (x1, y1, x1 + w, y1 + h)
        if all(b[2] <= window[0] or b[0] >= window[2] or b[3] <= window[1] or b[1] >= window[3]
               for b in boxes):
            return window
    return None


def write_holdout(folder, class_map, out, layout='auto', empty_crops=0, seed=0, limit=None,
                  reject_empty=()):
    """Write the hold-out folder; returns the summary written to holdout.json.

    ``reject_empty``: indices of background crops that a person looked at and found to show an
    item after all (unlabelled in the source); they are drawn but not written."""
    mapping = load_class_mapping(class_map)
    photos = read_photos(folder, layout)
    mapping.check(source_classes(photos))
    out = Path(out)
    (out / 'images').mkdir(parents=True, exist_ok=True)
    (out / 'labels').mkdir(parents=True, exist_ok=True)
    items, skipped, written = Counter(), Counter(), 0
    for i, photo in enumerate(photos[:limit] if limit else photos):
        classes = [mapping.index(item.source_class) for item in photo.items]
        if any(c is None for c in classes):
            skipped['dropped_class'] += 1
            continue
        image = cv2.imread(str(photo.path))
        if image is None:
            skipped['unreadable'] += 1
            continue
        name = f'h_{i:06d}'
        cv2.imwrite(str(out / 'images' / f'{name}.jpg'), _resize(image),
                    [cv2.IMWRITE_JPEG_QUALITY, 95])
        lines = [_item_line(c, item) for c, item in zip(classes, photo.items)]
        (out / 'labels' / f'{name}.txt').write_text('\n'.join(lines) + ('\n' if lines else ''))
        items.update(CLASS_NAMES[c] for c in classes)
        written += 1
    empties = _write_empty_crops(photos, out, empty_crops, seed, set(reject_empty))
    data = {'path': str(out.resolve()), 'train': 'images', 'val': 'images', 'test': 'images',
            'names': dict(enumerate(CLASS_NAMES))}
    (out / 'data.yaml').write_text(yaml.safe_dump(data, sort_keys=False))
    summary = {'source': str(folder), 'class_map': mapping.as_dict(), 'photos': written,
               'items': dict(items), 'empty_frames': empties, 'skipped': dict(skipped)}
    (out / 'holdout.json').write_text(json.dumps(summary, indent=2) + '\n')
    return summary


def _write_empty_crops(photos, out, count, seed, reject):
    rng = np.random.default_rng(seed)
    written = drawn = 0
    for index in rng.permutation(len(photos)):
        if drawn >= count:
            break
        photo = photos[int(index)]
        window = background_crop(rng, photo)
        if window is None:
            continue
        image = cv2.imread(str(photo.path))
        if image is None:
            continue
        h, w = image.shape[:2]
        x1, y1, x2, y2 = (int(window[0] * w), int(window[1] * h), int(window[2] * w),
                          int(window[3] * h))
        crop = _resize(image[y1:y2, x1:x2])
        drawn += 1
        if drawn - 1 in reject:
            continue
        name = f'empty_{drawn - 1:06d}'
        cv2.imwrite(str(out / 'images' / f'{name}.jpg'), crop, [cv2.IMWRITE_JPEG_QUALITY, 95])
        (out / 'labels' / f'{name}.txt').write_text('')
        written += 1
    return written


def main(argv=None):
    """Console script ``rvm-make-holdout``."""
    parser = argparse.ArgumentParser(
        description='Make a real-photo hold-out folder (mapped classes, background-only crops).')
    parser.add_argument('--real', required=True, help='labelled photo folder (YOLO/COCO/folders)')
    parser.add_argument('--layout', default='auto', choices=('auto', 'yolo', 'coco', 'folders'),
                        help='layout of the source folder (auto = detect it)')
    parser.add_argument('--class-map', required=True, help='YAML/JSON file or "src=dst,..."')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--empty-crops', type=int, default=0,
                        help='background-only crops to draw away from every labelled item')
    parser.add_argument('--reject-empty', default='',
                        help='comma-separated indices of drawn crops found by eye to show an item')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the background crops drawn from the photos')
    parser.add_argument('--limit', type=int, default=None, help='use only the first N photos')
    args = parser.parse_args(argv)
    summary = write_holdout(args.real, args.class_map, args.out, args.layout, args.empty_crops,
                            args.seed, args.limit,
                            [int(v) for v in args.reject_empty.split(',') if v.strip()])
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == '__main__':
    sys.exit(main())
