"""Read a folder of labelled real photos in one of three layouts (``rvm-make-dataset --real``).

* ``yolo`` -- Ultralytics/Roboflow export: ``data.yaml`` (or ``classes.txt``) names the classes;
  every ``.../images/.../X.jpg`` has ``.../labels/.../X.txt`` with ``class cx cy w h`` (a box) or
  ``class x1 y1 x2 y2 ...`` (a polygon) per line, normalised 0..1. An image without a label file,
  or with an empty one, is a background-only photo.
* ``coco`` -- a COCO ``.json`` (``images``, ``annotations``, ``categories``) anywhere in the
  folder; images are looked up by ``file_name`` beside the json or under ``images/``. Polygon
  ``segmentation`` is used when present, else the ``bbox``.
* ``folders`` -- one sub-folder per class, one item per photo (``glass/img1.jpg``); no box.

Readers return :class:`RealPhoto` records with the *source* class names; the class mapping
(:mod:`rvm_training.class_mapping`) and the mask maker (:mod:`rvm_training.box_masks`) turn them
into YOLO-seg samples in :mod:`rvm_training.real_samples`.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.webp')
LAYOUTS = ('yolo', 'coco', 'folders')


class RealImportError(ValueError):
    """A photo folder cannot be read: wrong layout, broken label file, unknown class id."""


@dataclass
class RealItem:
    """One labelled item: source class; box (x1, y1, x2, y2) and/or polygon (N, 2), normalised.

    Both are ``None`` for a class-only photo (the item fills the photo's one subject)."""

    source_class: str
    box: tuple = None
    polygon: np.ndarray = None


@dataclass
class RealPhoto:
    """One photo and its items (an empty list: a background-only photo)."""

    path: Path
    items: list = field(default_factory=list)


def _images_under(folder):
    return sorted(p for p in Path(folder).rglob('*')
                  if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def detect_layout(folder):
    """``yolo``, ``coco`` or ``folders`` from what the folder holds; error if none fits."""
    folder = Path(folder)
    if not folder.is_dir():
        raise RealImportError(f'photo folder not found: {folder}')
    if any(folder.rglob('data.yaml')) or any(folder.rglob('classes.txt')) or any(
            p.is_dir() and p.name == 'labels' for p in folder.rglob('labels')):
        return 'yolo'
    for path in folder.rglob('*.json'):
        if _is_coco(path):
            return 'coco'
    if any(p.is_dir() and any(c.suffix.lower() in IMAGE_SUFFIXES for c in p.iterdir())
           for p in folder.iterdir()):
        return 'folders'
    raise RealImportError(
        f'{folder}: no YOLO labels (data.yaml, labels/), COCO json or class sub-folders found')


def _is_coco(path):
    """Whether ``path`` is a COCO json: an object with images, annotations and categories."""
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and all(
        isinstance(data.get(key), list) for key in ('images', 'annotations', 'categories'))


def read_photos(folder, layout='auto'):
    """All photos of ``folder`` as :class:`RealPhoto` records (source class names)."""
    layout = detect_layout(folder) if layout == 'auto' else layout
    if layout == 'yolo':
        return read_yolo(folder)
    if layout == 'coco':
        return read_coco(folder)
    if layout == 'folders':
        return read_folders(folder)
    raise RealImportError(f'unknown layout {layout!r} (auto, {", ".join(LAYOUTS)})')


def _yolo_names(folder):
    for path in sorted(Path(folder).rglob('data.yaml')):
        data = yaml.safe_load(path.read_text()) or {}
        names = data.get('names')
        if isinstance(names, dict):
            return [names[k] for k in sorted(names, key=int)]
        if isinstance(names, list):
            return names
    for path in sorted(Path(folder).rglob('classes.txt')):
        return [line.strip() for line in path.read_text().splitlines() if line.strip()]
    raise RealImportError(f'{folder}: YOLO layout without class names (data.yaml or classes.txt)')


def _label_path(image):
    parts = list(image.parts)
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] == 'images':
            parts[i] = 'labels'
            return Path(*parts).with_suffix('.txt')
    return image.with_suffix('.txt')


def parse_yolo_line(line, names, where):
    """One YOLO label line -> :class:`RealItem` (box or polygon, normalised)."""
    values = line.split()
    try:
        cls, coords = int(values[0]), np.array([float(v) for v in values[1:]], np.float64)
    except ValueError as exc:
        raise RealImportError(f'{where}: not a YOLO label line: {line!r}') from exc
    if not 0 <= cls < len(names):
        raise RealImportError(f'{where}: class id {cls} outside the {len(names)} names')
    if len(coords) == 4:
        cx, cy, w, h = coords
        return RealItem(str(names[cls]), box=(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))
    if len(coords) >= 6 and len(coords) % 2 == 0:
        polygon = np.clip(coords.reshape(-1, 2), 0.0, 1.0)
        x1, y1 = polygon.min(axis=0)
        x2, y2 = polygon.max(axis=0)
        return RealItem(str(names[cls]), box=(x1, y1, x2, y2), polygon=polygon)
    raise RealImportError(f'{where}: a line needs 4 box values or >= 3 points: {line!r}')


def read_yolo(folder):
    """Photos of a YOLO txt layout (boxes or polygons)."""
    names = _yolo_names(folder)
    photos = []
    for image in _images_under(folder):
        label = _label_path(image)
        items = []
        if label.is_file():
            for n, line in enumerate(label.read_text().splitlines(), 1):
                if line.strip():
                    items.append(parse_yolo_line(line, names, f'{label}:{n}'))
        photos.append(RealPhoto(image, items))
    if not photos:
        raise RealImportError(f'{folder}: no images found')
    return photos


def read_coco(folder):
    """Photos of every COCO json under ``folder``."""
    folder = Path(folder)
    jsons = [p for p in sorted(folder.rglob('*.json')) if _is_coco(p)]
    if not jsons:
        raise RealImportError(f'{folder}: no COCO json found')
    photos = []
    for path in jsons:
        data = json.loads(path.read_text())
        cats = {c['id']: c['name'] for c in data.get('categories', [])}
        by_image = {}
        for ann in data.get('annotations', []):
            by_image.setdefault(ann['image_id'], []).append(ann)
        for img in data.get('images', []):
            image = _find_image(path.parent, img['file_name'])
            w, h = float(img['width']), float(img['height'])
            items = []
            for ann in by_image.get(img['id'], []):
                if ann['category_id'] not in cats:
                    raise RealImportError(
                        f'{path}: annotation {ann.get("id")} has unknown category '
                        f'{ann["category_id"]}')
                items.append(_coco_item(cats[ann['category_id']], ann, w, h))
            photos.append(RealPhoto(image, items))
    return photos


def _find_image(base, file_name):
    for candidate in (base / file_name, base / 'images' / file_name,
                      base.parent / 'images' / file_name):
        if candidate.is_file():
            return candidate
    raise RealImportError(f'COCO image {file_name} not found beside {base}')


def _coco_item(name, ann, w, h):
    x, y, bw, bh = (float(v) for v in ann['bbox'])
    box = (x / w, y / h, (x + bw) / w, (y + bh) / h)
    seg = ann.get('segmentation')
    polygon = None
    if isinstance(seg, list) and seg:
        largest = max(seg, key=len)
        if len(largest) >= 6:
            polygon = np.clip(np.array(largest, np.float64).reshape(-1, 2) / [w, h], 0.0, 1.0)
    return RealItem(name, box=box, polygon=polygon)


def read_folders(folder):
    """Photos of a class-per-folder layout: one item of the folder's class per photo."""
    folder = Path(folder)
    photos = []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        for image in _images_under(sub):
            photos.append(RealPhoto(image, [RealItem(sub.name)]))
    if not photos:
        raise RealImportError(f'{folder}: no class sub-folders with images')
    return photos


def source_classes(photos):
    """The set of source class names used by ``photos``."""
    return sorted({item.source_class for photo in photos for item in photo.items})
