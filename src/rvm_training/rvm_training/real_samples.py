"""Turn imported real photos into YOLO-seg samples: class mapping, masks, resizing.

An item with a true polygon keeps it; an item with only a box gets a box-prompted GrabCut mask;
a class-only photo (class-per-folder) gets a plain-background mask of its one item
(:mod:`rvm_training.box_masks`). A class-only photo whose mask is implausible (the item seems to
fill the photo or to vanish) is skipped and counted, since a wrong outline would teach the model
wrong edges. A photo with an item whose class maps to ``drop`` is skipped whole (its item would
otherwise be taught as background).
"""

import hashlib
import json
from collections import Counter
from pathlib import Path

import cv2
import numpy as np

from rvm_training.box_masks import make_mask, mask_to_polygon
from rvm_training.synthetic_scene import CLASS_NAMES

# a class-only photo's mask must cover this share of the photo (else the photo is skipped)
WHOLE_MASK_AREA = (0.02, 0.75)


def split_of(path, val_share):
    """``val`` or ``train`` for a photo, fixed by a hash of its file name (stable across runs)."""
    digest = hashlib.sha1(Path(path).name.encode()).digest()
    return 'val' if digest[0] / 256.0 < val_share else 'train'


def _resize_long_side(image, long_side):
    h, w = image.shape[:2]
    scale = long_side / max(h, w)
    if scale >= 1.0:
        return image
    return cv2.resize(image, (int(round(w * scale)), int(round(h * scale))),
                      interpolation=cv2.INTER_AREA)


def _polygon_line(cls, polygon_px, width, height):
    pts = np.clip(np.asarray(polygon_px, np.float64) / [width, height], 0.0, 1.0)
    return f'{cls} ' + ' '.join(f'{v:.6f}' for v in pts.reshape(-1))


def photo_sample(photo, mapping, mask_method='auto', work_side=640):
    """``(image, label lines, info)`` of one photo, or ``(None, None, reason)`` if skipped."""
    image = cv2.imread(str(photo.path), cv2.IMREAD_COLOR)
    if image is None:
        return None, None, 'unreadable'
    image = _resize_long_side(image, work_side)
    height, width = image.shape[:2]
    classes = [mapping.index(item.source_class) for item in photo.items]
    if any(c is None for c in classes):
        return None, None, 'dropped_class'
    lines, methods = [], []
    for item, cls in zip(photo.items, classes):
        if item.polygon is not None and len(item.polygon) >= 3:
            polygon, method = np.asarray(item.polygon) * [width, height], 'polygon'
        else:
            box = None if item.box is None else tuple(
                np.asarray(item.box) * [width, height, width, height])
            mask, method = make_mask(image, box, mask_method)
            if box is None:
                share = mask.sum() / mask.size
                if method != 'threshold' or not WHOLE_MASK_AREA[0] <= share <= WHOLE_MASK_AREA[1]:
                    return None, None, 'implausible_mask'
            polygon = mask_to_polygon(mask)
            if polygon is None:
                return None, None, 'empty_mask'
        lines.append(_polygon_line(cls, polygon, width, height))
        methods.append(method)
    return image, lines, {'classes': [CLASS_NAMES[c] for c in classes], 'masks': methods}


def write_real_split(photos, mapping, out, split, imgsz, prefix, mask_method='auto'):
    """Write ``photos`` into ``out/images|labels/split`` as ``prefix_NNNNNN``; returns stats.

    Images are saved with their long side at ``imgsz`` (the model's input size)."""
    out = Path(out)
    img_dir, lbl_dir = out / 'images' / split, out / 'labels' / split
    img_dir.mkdir(parents=True, exist_ok=True)
    lbl_dir.mkdir(parents=True, exist_ok=True)
    (out / 'meta').mkdir(exist_ok=True)
    stats = {'images': 0, 'items': Counter(), 'masks': Counter(), 'skipped': Counter(),
             'background_only': 0}
    with open(out / 'meta' / f'{split}_{prefix}.jsonl', 'w') as meta:
        for i, photo in enumerate(photos):
            image, lines, info = photo_sample(photo, mapping, mask_method, work_side=2 * imgsz)
            if image is None:
                stats['skipped'][info] += 1
                continue
            name = f'{prefix}_{i:06d}'
            cv2.imwrite(str(img_dir / f'{name}.jpg'), _resize_long_side(image, imgsz),
                        [cv2.IMWRITE_JPEG_QUALITY, 95])
            (lbl_dir / f'{name}.txt').write_text('\n'.join(lines) + ('\n' if lines else ''))
            meta.write(json.dumps(dict(info, image=f'{name}.jpg', source=str(photo.path))) + '\n')
            stats['images'] += 1
            stats['background_only'] += int(not lines)
            stats['items'].update(info['classes'])
            stats['masks'].update(info['masks'])
    return {k: dict(v) if isinstance(v, Counter) else v for k, v in stats.items()}
