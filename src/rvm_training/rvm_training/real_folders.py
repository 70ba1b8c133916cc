"""Photo folders for ``rvm-eval-real``, read with the importer's readers (:mod:`real_import`).

The layouts (YOLO txt, COCO json, class-per-folder) are parsed by
:func:`rvm_training.real_import.read_photos`, the same code ``rvm-make-dataset --real`` uses.  This
module adds what an evaluation needs on top: empty frames from ``empty/`` or ``background/``
folders (beside any layout, or alone), one :class:`RealDataError` naming the accepted layouts, and
items whose coordinates turn into pixels once the image size is known.  Images are not decoded
here (see :func:`load_image`), so a corrupt file is found, named and counted by the evaluation.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rvm_training.real_import import IMAGE_SUFFIXES, RealImportError, detect_layout, read_photos

EMPTY_FOLDERS = ('empty', 'background', 'backgrounds')
LAYOUT_HELP = (
    'images/ + labels/ with data.yaml or classes.txt (YOLO), a COCO .json, one sub-folder per '
    'class, and/or empty/ or background/ for empty frames')


class RealDataError(ValueError):
    """A folder of photos that cannot be read as any accepted layout, or a bad label in it."""


@dataclass(frozen=True)
class LabelledItem:
    """One labelled item: class name as the source spells it; box / outline normalised 0..1."""

    class_name: str
    bbox: tuple[float, float, float, float] | None = None
    polygon: np.ndarray | None = None

    def in_pixels(self, width: int, height: int) -> 'LabelledItem':
        """The same item with its box and outline in pixels of a ``width`` x ``height`` image."""
        bbox = None if self.bbox is None else (
            self.bbox[0] * width, self.bbox[1] * height, self.bbox[2] * width,
            self.bbox[3] * height)
        polygon = None if self.polygon is None else (
            np.asarray(self.polygon, np.float64) * [width, height]).astype(np.float32)
        return LabelledItem(self.class_name, bbox, polygon)


@dataclass
class LabelledImage:
    """One photo and its items; ``empty`` marks a frame that must give no detection."""

    path: Path
    items: list[LabelledItem] = field(default_factory=list)
    empty: bool = False
    source: str = ''     # the layout it came from: yolo, coco, folders, empty


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


def _labelled_images(root: Path, empty_dirs: list[Path]) -> tuple[list[LabelledImage], str]:
    """Photos of the labelled layout in ``root`` (none if none), outside ``empty_dirs``."""
    try:
        layout = detect_layout(root)
    except RealImportError:
        return [], ''                       # nothing labelled; maybe only empty frames
    try:
        photos = read_photos(root, layout)
    except RealImportError as exc:
        raise RealDataError(str(exc)) from exc
    except (KeyError, TypeError, ValueError, json.JSONDecodeError) as exc:
        raise RealDataError(f'{root}: the {layout} labels cannot be read '
                            f'({type(exc).__name__}: {exc})') from exc
    images = []
    for photo in photos:
        if any(Path(photo.path).is_relative_to(d) for d in empty_dirs):
            continue                        # taken as empty frames, whatever the layout
        items = [LabelledItem(i.source_class, i.box, i.polygon) for i in photo.items]
        images.append(LabelledImage(Path(photo.path), items, empty=not items, source=layout))
    return images, layout


def read_folder(root: str | Path) -> RealFolder:
    """Every image under ``root`` in the accepted layouts; :class:`RealDataError` if none."""
    root = Path(root).expanduser()
    if not root.is_dir():
        raise RealDataError(
            f'photo folder not found: {root} (expected a folder with {LAYOUT_HELP})')
    empty_dirs = [p for p in root.iterdir() if p.is_dir() and p.name.lower() in EMPTY_FOLDERS]
    images, layout = _labelled_images(root, empty_dirs)
    layouts = [layout] if images else []
    empties = [LabelledImage(p, [], empty=True, source='empty')
               for folder in empty_dirs for p in _images_under(folder)]
    if empties:
        images += empties
        layouts.append('empty')
    if not images:
        raise RealDataError(f'no images found in {root}: expected {LAYOUT_HELP} '
                            f'(image files ending in {", ".join(IMAGE_SUFFIXES)})')
    return RealFolder(root, images, layouts)
