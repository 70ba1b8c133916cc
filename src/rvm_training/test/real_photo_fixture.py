"""Folders of rendered 'photos' in each accepted layout, and an oracle segmenter for them.

The stills come from :func:`rvm_training.synthetic_scene.render_image` (one known item each, or
none), written as PNG so the decoded pixels equal the rendered ones: :class:`OracleSegmenter`
answers a photo with the rendered items themselves (exact boxes and outlines, conf 0.9), so
every figure of the evaluation is known in advance.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import cv2
import numpy as np

from rvm_detector.detection import Detection, FrameDetections
from rvm_training.synthetic_scene import CLASS_NAMES, render_image

WIDTH, HEIGHT = 256, 192


def draw_stills(per_class: int, empties: int, seed: int = 7) -> tuple[list, list]:
    """``per_class`` stills with exactly one clearly visible item of each class, and empties."""
    rng = np.random.default_rng(seed)
    wanted = {c: [] for c in CLASS_NAMES}
    empty = []
    while any(len(v) < per_class for v in wanted.values()) or len(empty) < empties:
        still = render_image(rng, width=WIDTH, height=HEIGHT, hard=False, max_objects=1)
        flags = still.flags
        if not still.objects:
            if len(empty) < empties and not flags['hand']:
                empty.append(still)
            continue
        if flags['hand'] or flags['occluded'] or flags['edge'] or flags['flap']:
            continue
        name = still.objects[0].class_name
        if len(wanted[name]) < per_class:
            wanted[name].append(still)
    return [s for c in CLASS_NAMES for s in wanted[c]], empty


def image_key(image: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(image).tobytes()).hexdigest()


def _write_png(path: Path, image: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), image), path


def write_yolo(root: Path, stills, labels=None, names=CLASS_NAMES) -> None:
    """images/ + labels/ (polygon lines) + data.yaml; ``labels[i]`` overrides a class name."""
    for i, still in enumerate(stills):
        _write_png(root / 'images' / f'photo_{i:03d}.png', still.image)
        lines = []
        for obj in still.objects:
            name = labels[i] if labels else obj.class_name
            xy = (obj.polygon / np.array([WIDTH, HEIGHT])).reshape(-1)
            lines.append(f'{names.index(name)} ' + ' '.join(f'{v:.6f}' for v in xy))
        label = root / 'labels' / f'photo_{i:03d}.txt'
        label.parent.mkdir(parents=True, exist_ok=True)
        label.write_text('\n'.join(lines) + '\n')
    listed = ''.join(f'  {i}: {n}\n' for i, n in enumerate(names))
    (root / 'data.yaml').write_text('names:\n' + listed)


def write_coco(root: Path, stills, labels=None) -> None:
    """images/ + annotations/instances.json (bbox and polygon segmentation)."""
    images, annotations = [], []
    for i, still in enumerate(stills):
        _write_png(root / 'images' / f'photo_{i:03d}.png', still.image)
        images.append({'id': i + 1, 'file_name': f'photo_{i:03d}.png', 'width': WIDTH,
                       'height': HEIGHT})
        for obj in still.objects:
            x1, y1, x2, y2 = (float(v) for v in obj.bbox)
            name = labels[i] if labels else obj.class_name
            annotations.append({
                'id': len(annotations) + 1, 'image_id': i + 1,
                'category_id': CLASS_NAMES.index(name) + 1, 'bbox': [x1, y1, x2 - x1, y2 - y1],
                'segmentation': [obj.polygon.reshape(-1).astype(float).tolist()]})
    data = {'images': images, 'annotations': annotations,
            'categories': [{'id': k + 1, 'name': n} for k, n in enumerate(CLASS_NAMES)]}
    (root / 'annotations').mkdir(parents=True, exist_ok=True)
    (root / 'annotations' / 'instances.json').write_text(json.dumps(data))


def write_class_folders(root: Path, stills, labels=None) -> None:
    """One sub-folder per class name (``labels[i]`` overrides the folder of still i)."""
    for i, still in enumerate(stills):
        name = labels[i] if labels else still.objects[0].class_name
        _write_png(root / name / f'photo_{i:03d}.png', still.image)


def write_empty(root: Path, empties, folder: str = 'empty') -> None:
    for i, still in enumerate(empties):
        _write_png(root / folder / f'empty_{i:03d}.png', still.image)


class OracleSegmenter:
    """Answers each known photo with its rendered items (conf 0.9), or with set detections."""

    def __init__(self, stills, empties=()):
        self.answers: dict[str, list[Detection]] = {}
        for still in [*stills, *empties]:
            self.answers[image_key(still.image)] = [
                Detection(CLASS_NAMES.index(o.class_name), o.class_name, 0.9,
                          tuple(float(v) for v in o.bbox), np.asarray(o.polygon, np.float32))
                for o in still.objects]
        self.calls = 0

    def set_answer(self, still, detections: list[Detection]) -> None:
        self.answers[image_key(still.image)] = detections

    def predict(self, image: np.ndarray) -> FrameDetections:
        self.calls += 1
        detections = self.answers[image_key(image)]
        return FrameDetections(list(detections), image.shape[1], image.shape[0])
