"""Wider chamber geometry for the dataset: slots, back-light, dark surroundings, side views.

:func:`render_chamber_still` places the renderer's items (:mod:`rvm_training.synthetic_shapes`)
in the chambers of :mod:`rvm_training.chamber_backgrounds` and seen in new ways:

* ``view='side'``: the camera looks across the chamber; items *stand upright* on a floor line or
  *lie* on it; ``view='above'``: the camera looks down, items lie at any angle;
* a *narrow vertical slot* (everything outside it is dark panel that hides the item there);
* *back-light*: a bright wall behind, items darker (lit from behind) with a thin bright rim.

Labels are exact in the same way as :mod:`rvm_training.synthetic_scene`: the visible part of
each item after the slot panel and other items are taken away.
"""

import cv2
import numpy as np

from rvm_training import synthetic_shapes as shapes
from rvm_training.chamber_backgrounds import make_background
from rvm_training.synthetic_scene import CLASS_NAMES, SceneStill, compose_scene

VIEWS = ('side', 'above')


def _slot_panel(rng, width, height):
    """A dark panel with a vertical opening: (colour, alpha, (x0, x1)) of the opening."""
    centre = rng.uniform(0.35, 0.65) * width
    half = rng.uniform(0.12, 0.25) * width
    x0, x1 = int(max(0, centre - half)), int(min(width, centre + half))
    alpha = np.ones((height, width), np.float32)
    alpha[:, x0:x1] = 0.0
    alpha = cv2.GaussianBlur(alpha, (5, 5), 0)
    colour = np.empty((height, width, 3), np.float32)
    colour[:] = rng.uniform(5, 35)
    colour += rng.normal(0, 2, (height, width, 1)).astype(np.float32)
    return colour, alpha, (x0, x1)


def _backlit(patch, rng):
    """The item lit from behind: darker body, brighter outline (a copy; the patch is kept)."""
    colour = patch.colour * np.float32(rng.uniform(0.25, 0.55))
    edge = cv2.morphologyEx((patch.alpha > 0.5).astype(np.uint8), cv2.MORPH_GRADIENT,
                            np.ones((3, 3), np.uint8)).astype(bool)
    colour[edge] = np.float32(rng.uniform(160, 240))
    return shapes.ItemPatch(patch.class_name, colour, patch.alpha)


def _pose(rng, patch, view, width, height, span):
    """Centre and angle of one item: upright or lying on the floor (side) or any angle (above)."""
    length, thick = patch.size
    x = rng.uniform(span[0] + 0.3 * (span[1] - span[0]), span[1] - 0.3 * (span[1] - span[0]))
    if view == 'above':
        return np.array([x, rng.uniform(0.3, 0.7) * height]), rng.uniform(0, 360)
    floor = rng.uniform(0.8, 0.97) * height
    if rng.random() < 0.5:  # standing upright, cap up or down
        angle = rng.uniform(-8, 8) + (90.0 if rng.random() < 0.85 else -90.0)
        return np.array([x, floor - length / 2]), angle
    angle = rng.uniform(-6, 6) + (180.0 if rng.random() < 0.5 else 0.0)
    return np.array([x, floor - thick / 2]), angle


def render_chamber_still(rng, width=640, height=480, hard=True, max_objects=2, view=None):
    """One still in a wider chamber; ``flags`` says which of slot/backlit/view/hand it shows."""
    view = view or VIEWS[int(rng.random() < 0.35)]
    backlit = rng.random() < 0.4
    background = make_background(rng, width, height, 'backlit_slot' if backlit else None)
    slot = rng.random() < 0.4
    occluders, span = [], (0, width)
    if slot:
        colour, alpha, span = _slot_panel(rng, width, height)
        occluders.append((colour, alpha))
    roll = rng.random()
    n = 0 if roll < 0.08 else (2 if max_objects > 1 and roll > 0.85 else 1)
    placed = []
    for _ in range(n):
        patch = shapes.make_item(rng, CLASS_NAMES[rng.integers(0, len(CLASS_NAMES))], width)
        if backlit:
            patch = _backlit(patch, rng)
        centre, angle = _pose(rng, patch, view, width, height, span)
        placed.append((patch, shapes.warp_matrix(patch, centre, angle)))
    has_hand = bool(placed) and rng.random() < (0.3 if hard else 0.1)
    if has_hand:
        tip = np.array([span[0] + 0.5 * (span[1] - span[0]), height * rng.uniform(0.2, 0.5)])
        occluders.append(shapes.make_hand(rng, width, height, tip, (rng.uniform(-1, 1), 1.0)))
    glare = shapes.glare_layer(rng, width, height) if rng.random() < 0.3 else None
    optics = shapes.random_optics(rng, hard, width)
    image, objects, _ = compose_scene(
        rng, background, placed, occluders, glare, optics, width, height)
    flags = {'view': view, 'slot': slot, 'backlit': backlit, 'hand': has_hand,
             'n_objects': len(objects)}
    return SceneStill(image, objects, flags)


def write_chamber_split(out, split, count, seed, imgsz, render_size=(640, 480)):
    """``count`` wide-geometry stills ``view_NNNNNN`` (YOLO-seg labels) in one split."""
    from pathlib import Path

    from rvm_training.dataset import label_lines

    img_dir, lbl_dir = Path(out) / 'images' / split, Path(out) / 'labels' / split
    img_dir.mkdir(parents=True, exist_ok=True)
    lbl_dir.mkdir(parents=True, exist_ok=True)
    width, height = render_size
    out_h = int(round(imgsz * height / width))
    split_id = {'train': 20, 'val': 21, 'test': 22}[split]
    for i in range(count):
        still = render_chamber_still(np.random.default_rng([seed, split_id, i]), width, height)
        image = cv2.resize(still.image, (imgsz, out_h), interpolation=cv2.INTER_AREA)
        cv2.imwrite(str(img_dir / f'view_{i:06d}.jpg'), image, [cv2.IMWRITE_JPEG_QUALITY, 95])
        lines = label_lines(still.objects, width, height)
        (lbl_dir / f'view_{i:06d}.txt').write_text('\n'.join(lines) + ('\n' if lines else ''))
    return count
