"""Tiny generated photo sets in the three layouts (YOLO txt, COCO json, class folders).

Each photo is a plain, slightly shaded background with one or two filled shapes of known
outline, so tests know the true mask of every item.
"""

import json
from pathlib import Path

import cv2
import numpy as np
import yaml

SOURCE_CLASSES = ('Bottle', 'Can-Alu', 'jar')


def draw_photo(rng, width=200, height=150, n_items=1):
    """``(image, [(class index, true bool mask)])`` of one generated photo."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    base = rng.uniform(150, 230)
    image = np.dstack([base + 20 * xx / width - 10 * yy / height] * 3)
    image += rng.normal(0, 2, image.shape)
    items = []
    for k in range(n_items):
        mask = np.zeros((height, width), np.uint8)
        cx = int(width * (0.3 + 0.4 * k) + rng.uniform(-10, 10))
        cy = int(height * 0.5 + rng.uniform(-10, 10))
        axes = (int(rng.uniform(18, 30)), int(rng.uniform(30, 45)))
        cv2.ellipse(mask, (cx, cy), axes, rng.uniform(0, 180), 0, 360, 1, -1)
        colour = rng.uniform(10, 90, 3) if rng.random() < 0.5 else rng.uniform(0, 255, 3) * [
            1, 0.2, 0.2]
        image[mask.astype(bool)] = colour
        items.append((int(rng.integers(0, len(SOURCE_CLASSES))), mask.astype(bool)))
    return np.clip(image, 0, 255).astype(np.uint8), items


def _box(mask):
    ys, xs = np.nonzero(mask)
    return xs.min(), ys.min(), xs.max(), ys.max()


def write_yolo(root, n=6, seed=0, polygons=False, background_only=1):
    """YOLO txt layout: data.yaml + images/train + labels/train (boxes, or polygons)."""
    rng = np.random.default_rng(seed)
    root = Path(root)
    (root / 'images' / 'train').mkdir(parents=True)
    (root / 'labels' / 'train').mkdir(parents=True)
    (root / 'data.yaml').write_text(yaml.safe_dump({'names': list(SOURCE_CLASSES)}))
    truth = {}
    for i in range(n + background_only):
        image, items = draw_photo(rng, n_items=0 if i >= n else 1 + i % 2)
        h, w = image.shape[:2]
        cv2.imwrite(str(root / 'images' / 'train' / f'p{i}.jpg'), image)
        lines = []
        for cls, mask in items:
            if polygons:
                cnt, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL,
                                          cv2.CHAIN_APPROX_SIMPLE)
                pts = cnt[0].reshape(-1, 2) / [w, h]
                lines.append(f'{cls} ' + ' '.join(f'{v:.5f}' for v in pts.reshape(-1)))
            else:
                x1, y1, x2, y2 = _box(mask)
                lines.append(f'{cls} {(x1 + x2) / 2 / w:.5f} {(y1 + y2) / 2 / h:.5f} '
                             f'{(x2 - x1) / w:.5f} {(y2 - y1) / h:.5f}')
        (root / 'labels' / 'train' / f'p{i}.txt').write_text('\n'.join(lines))
        truth[f'p{i}.jpg'] = items
    return truth


def write_coco(root, n=5, seed=1):
    """COCO layout: annotations.json + images/ (bbox only, no segmentation)."""
    rng = np.random.default_rng(seed)
    root = Path(root)
    (root / 'images').mkdir(parents=True)
    images, anns = [], []
    for i in range(n):
        image, items = draw_photo(rng, n_items=1)
        h, w = image.shape[:2]
        cv2.imwrite(str(root / 'images' / f'c{i}.jpg'), image)
        images.append({'id': i + 1, 'file_name': f'c{i}.jpg', 'width': w, 'height': h})
        for cls, mask in items:
            x1, y1, x2, y2 = _box(mask)
            anns.append({'id': len(anns) + 1, 'image_id': i + 1, 'category_id': cls + 1,
                         'bbox': [int(x1), int(y1), int(x2 - x1), int(y2 - y1)]})
    cats = [{'id': k + 1, 'name': name} for k, name in enumerate(SOURCE_CLASSES)]
    (root / 'annotations.json').write_text(
        json.dumps({'images': images, 'annotations': anns, 'categories': cats}))


def write_folders(root, per_class=3, seed=2):
    """Class-per-folder layout: one sub-folder per source class, one item per photo."""
    rng = np.random.default_rng(seed)
    root = Path(root)
    for name in SOURCE_CLASSES:
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            image, _ = draw_photo(rng, n_items=1)
            cv2.imwrite(str(root / name / f'{name}{i}.jpg'), image)
