"""Readers for folders of labelled photos: YOLO txt, COCO json, class-per-folder, empty frames.

:func:`read_folder` finds the layout of a folder and returns every image with its labelled items
(class name as the folder spells it, box and outline when the labels have them).  Accepted layouts:

* **YOLO**: ``images/`` and ``labels/`` (same relative paths, ``.txt`` per image; a line is
  ``class cx cy w h`` or ``class x1 y1 x2 y2 ...``, normalised) with the class names in
  ``data.yaml`` (``names``) or ``classes.txt`` / ``obj.names`` (one per line).  An image without
  a label file is an empty frame (YOLO's own convention).
* **COCO**: a ``*.json`` with ``images``, ``annotations`` and ``categories`` at the top of the
  folder or in ``annotations/``; ``bbox`` is ``[x, y, w, h]`` px, polygon ``segmentation`` is
  kept (RLE masks are not: those items keep only their box).
* **class-per-folder**: one sub-folder per class, the folder name is the class; one item per
  image, no box.
* **empty frames**: images in ``empty/`` or ``background/`` (beside any of the above, or alone)
  must give no detection.

Images are not decoded here (see :func:`load_image`), so a corrupt file is found, named and
counted by whoever reads the pixels.  Bad labels raise :class:`RealDataError` naming the file.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff')
EMPTY_FOLDERS = ('empty', 'background', 'backgrounds')
CLASS_FILES = ('classes.txt', 'obj.names', 'classes.names')
LAYOUT_HELP = (
    'images/ + labels/ with data.yaml or classes.txt (YOLO), a COCO .json (at the top or in '
    'annotations/), one sub-folder per class, and/or empty/ or background/ for empty frames')


class RealDataError(ValueError):
    """A folder of photos that cannot be read as any accepted layout, or a bad label in it."""


@dataclass(frozen=True)
class LabelledItem:
    """One labelled item: class name as the source spells it, box and outline if known.

    ``normalised`` says the coordinates are fractions of the image size (YOLO); use
    :meth:`in_pixels` once the image size is known.
    """

    class_name: str
    bbox: tuple[float, float, float, float] | None = None
    polygon: np.ndarray | None = None
    normalised: bool = False

    def in_pixels(self, width: int, height: int) -> 'LabelledItem':
        if not self.normalised:
            return self
        scale = np.array([width, height], dtype=np.float64)
        bbox = None if self.bbox is None else (
            self.bbox[0] * width, self.bbox[1] * height, self.bbox[2] * width,
            self.bbox[3] * height)
        polygon = None if self.polygon is None else (self.polygon * scale).astype(np.float32)
        return LabelledItem(self.class_name, bbox, polygon, normalised=False)


@dataclass
class LabelledImage:
    """One photo and its items; ``empty`` marks a frame that must give no detection."""

    path: Path
    items: list[LabelledItem] = field(default_factory=list)
    empty: bool = False
    source: str = ''     # the layout it came from: yolo, coco, class-folder, empty


@dataclass
class RealFolder:
    """Everything found in a folder: the images, the layouts seen and the class names used."""

    root: Path
    images: list[LabelledImage]
    layouts: list[str]

    @property
    def class_names(self) -> list[str]:
        return sorted({item.class_name for img in self.images for item in img.items})


def load_image(path: Path):
    """BGR uint8 pixels of ``path``, or None when the file cannot be decoded."""
    import cv2
    data = np.fromfile(str(path), dtype=np.uint8) if path.is_file() else np.empty(0, np.uint8)
    if data.size == 0:
        return None
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    return image if image is not None and image.size else None


def _images_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob('*')
                  if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def _yolo_names(root: Path) -> list[str]:
    for name in ('data.yaml', 'dataset.yaml', 'data.yml'):
        path = root / name
        if path.is_file():
            try:
                data = yaml.safe_load(path.read_text(encoding='utf-8')) or {}
            except yaml.YAMLError as exc:
                raise RealDataError(f'{path}: not valid YAML ({exc})') from exc
            names = data.get('names') if isinstance(data, dict) else None
            if isinstance(names, dict):
                return [str(names[k]) for k in sorted(names, key=int)]
            if isinstance(names, list) and names:
                return [str(n) for n in names]
            raise RealDataError(f'{path}: no "names" list or mapping of class names')
    for name in CLASS_FILES:
        path = root / name
        if path.is_file():
            names = [ln.strip() for ln in path.read_text(encoding='utf-8').splitlines()]
            names = [n for n in names if n]
            if names:
                return names
            raise RealDataError(f'{path}: lists no class names')
    raise RealDataError(
        f'YOLO layout in {root} has no data.yaml (with "names") or {" / ".join(CLASS_FILES)} '
        'saying which class each id is')


def _yolo_item(line: str, names: list[str], where: str) -> LabelledItem:
    parts = line.split()
    try:
        cls, values = int(float(parts[0])), [float(v) for v in parts[1:]]
    except ValueError as exc:
        raise RealDataError(f'{where}: not numbers: {line!r}') from exc
    if not 0 <= cls < len(names):
        raise RealDataError(f'{where}: class id {cls} is not in the {len(names)} class names')
    if len(values) == 4:
        cx, cy, w, h = values
        return LabelledItem(names[cls], (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2),
                            normalised=True)
    if len(values) >= 6 and len(values) % 2 == 0:
        polygon = np.asarray(values, dtype=np.float64).reshape(-1, 2)
        x1, y1 = polygon.min(0)
        x2, y2 = polygon.max(0)
        return LabelledItem(names[cls], (x1, y1, x2, y2), polygon, normalised=True)
    raise RealDataError(
        f'{where}: expected "class cx cy w h" or "class x1 y1 x2 y2 x3 y3 ...", got {line!r}')


def read_yolo(root: Path) -> list[LabelledImage]:
    """Images of a YOLO layout (``images/``, ``labels/``) with their items."""
    names = _yolo_names(root)
    out = []
    for path in _images_under(root / 'images'):
        rel = path.relative_to(root / 'images')
        label = (root / 'labels' / rel).with_suffix('.txt')
        items = []
        if label.is_file():
            for number, line in enumerate(label.read_text(encoding='utf-8').splitlines(), 1):
                if line.strip():
                    items.append(_yolo_item(line, names, f'{label}:{number}'))
        out.append(LabelledImage(path, items, empty=not items, source='yolo'))
    return out


def _coco_files(root: Path) -> list[Path]:
    found = []
    for path in sorted([*root.glob('*.json'), *root.glob('annotations/*.json')]):
        try:
            data = json.loads(path.read_text(encoding='utf-8'))
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue
        if isinstance(data, dict) and {'images', 'annotations', 'categories'} <= set(data):
            found.append(path)
    return found


def _coco_image_path(root: Path, json_path: Path, file_name: str) -> Path:
    for base in (root, root / 'images', json_path.parent, json_path.parent.parent / 'images'):
        if (base / file_name).is_file():
            return base / file_name
    return root / file_name


def read_coco(root: Path, json_path: Path) -> list[LabelledImage]:
    """Images of one COCO json with their items (polygon segmentation kept, RLE dropped)."""
    data = json.loads(json_path.read_text(encoding='utf-8'))
    try:
        categories = {int(c['id']): str(c['name']) for c in data['categories']}
        images = {int(i['id']): i for i in data['images']}
        by_image: dict[int, list[LabelledItem]] = {k: [] for k in images}
        for number, ann in enumerate(data['annotations']):
            where = f'{json_path}: annotation {ann.get("id", number)}'
            if int(ann['category_id']) not in categories:
                raise RealDataError(f'{where}: category_id {ann["category_id"]} is not defined')
            if int(ann['image_id']) not in images:
                raise RealDataError(f'{where}: image_id {ann["image_id"]} is not defined')
            x, y, w, h = (float(v) for v in ann['bbox'])
            segmentation = ann.get('segmentation')
            polygon = None
            if isinstance(segmentation, list) and segmentation and len(segmentation[0]) >= 6:
                largest = max(segmentation, key=len)
                polygon = np.asarray(largest, dtype=np.float32).reshape(-1, 2)
            by_image[int(ann['image_id'])].append(LabelledItem(
                categories[int(ann['category_id'])], (x, y, x + w, y + h), polygon))
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, RealDataError):
            raise
        raise RealDataError(f'{json_path}: not a usable COCO file ({type(exc).__name__}: '
                            f'{exc})') from exc
    return [LabelledImage(_coco_image_path(root, json_path, str(images[k]['file_name'])),
                          items, empty=not items, source='coco')
            for k, items in sorted(by_image.items())]


def read_class_folders(root: Path, folders: list[Path]) -> list[LabelledImage]:
    """One item per image, its class the name of the sub-folder it is in."""
    return [LabelledImage(path, [LabelledItem(folder.name)], source='class-folder')
            for folder in folders for path in _images_under(folder)]


def read_folder(root: str | Path) -> RealFolder:
    """Every image under ``root`` in the accepted layouts; :class:`RealDataError` if none."""
    root = Path(root).expanduser()
    if not root.is_dir():
        raise RealDataError(
            f'photo folder not found: {root} (expected a folder with {LAYOUT_HELP})')
    images: list[LabelledImage] = []
    layouts = []
    coco = _coco_files(root)
    if (root / 'images').is_dir() and (root / 'labels').is_dir():
        images += read_yolo(root)
        layouts.append('yolo')
    elif coco:
        for path in coco:
            images += read_coco(root, path)
        layouts.append('coco')
    else:
        folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith('.')
                         and p.name.lower() not in EMPTY_FOLDERS and _images_under(p))
        if folders:
            images += read_class_folders(root, folders)
            layouts.append('class-folder')
    for name in EMPTY_FOLDERS:
        for folder in [p for p in root.iterdir() if p.is_dir() and p.name.lower() == name]:
            images += [LabelledImage(p, [], empty=True, source='empty')
                       for p in _images_under(folder)]
            if 'empty' not in layouts:
                layouts.append('empty')
    if not images:
        raise RealDataError(f'no images found in {root}: expected {LAYOUT_HELP} '
                            f'(image files ending in {", ".join(IMAGE_SUFFIXES)})')
    return RealFolder(root, images, layouts)
