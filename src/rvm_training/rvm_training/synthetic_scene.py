"""Synthetic RVM inspection-chamber scenes with exact segmentation labels (numpy + OpenCV only).

Two entry points:

* :func:`render_sequence` — a video-like sequence: items enter the chamber through the entry flap,
  rest, and leave through the far side, ONE at a time, with empty frames between them. Used for the
  bundled sample video/bag and for the detector's item-logic tests.
* :func:`render_image` — one random still with 0..N items, used to generate the segmentation
  dataset.

Labels are the *visible* part of each item (after hands, entry flap, other items and the frame
border are taken away): the largest visible region as a polygon in pixels plus its bounding box.
Hands, clutter, stains and the flap are never labelled. ``hard=True`` adds hands occluding items,
glare, clutter at the chamber edge, partial occlusion, items cut by the frame edge, and harsher
optics. Everything is deterministic for a given seed / generator state.
"""

from dataclasses import dataclass, field
from typing import Iterator

import cv2
import numpy as np

from rvm_training import synthetic_shapes as shapes
from rvm_training.synthetic_shapes import CLASS_NAMES

__all__ = [
    'CLASS_NAMES', 'PHASES', 'SceneObject', 'SceneFrame', 'SceneStill', 'render_sequence',
    'render_image', 'compose_scene']

PHASES = ('empty', 'entering', 'resting', 'leaving')
# an item less visible than this (of its full in-frame size) is not labelled
MIN_VISIBLE_FRACTION = 0.1


@dataclass
class SceneObject:
    """One labelled item: class, visible outline (N,2) float32 px, bbox (x1, y1, x2, y2) px."""

    class_name: str
    polygon: np.ndarray
    bbox: tuple
    visible_fraction: float = 1.0


@dataclass
class SceneFrame:
    """One sequence frame: BGR uint8 image, labelled objects, frame index, phase of the item."""

    image: np.ndarray
    objects: list
    index: int
    phase: str


@dataclass
class SceneStill:
    """One random still for the dataset; ``flags`` says which hard conditions it contains."""

    image: np.ndarray
    objects: list
    flags: dict = field(default_factory=dict)


def _min_visible_px(width, height):
    return max(12.0, 6e-4 * width * height)


def _compose(rng, background, placed, occluders, glare, optics, width, height):
    """Draw items (with shadows) and occluders on the background; return image, objects, stats."""
    canvas = background.copy()
    layers = []
    for patch, matrix in placed:
        colour, alpha = shapes.warp_patch(patch, matrix, width, height)
        shapes.cast_shadow(canvas, alpha, width, 0.35)
        shapes.composite(canvas, colour, alpha)
        layers.append((patch, alpha))
    for colour, alpha in occluders:
        shapes.composite(canvas, colour, alpha)
    if glare is not None:
        canvas += glare[..., None]
    image = shapes.apply_optics(rng, canvas, optics)
    objects, stats = [], []
    blocked = np.zeros((height, width), bool)
    for colour, alpha in occluders:
        blocked |= alpha > 0.6
    for patch, alpha in reversed(layers):  # later items lie on top of earlier ones
        full = float(patch.alpha.sum())
        own = alpha > 0.5
        visible = own & ~blocked
        blocked |= own
        fraction = float(visible.sum()) / max(full, 1.0)
        stats.append({'in_frame': float(alpha.sum()) / max(full, 1.0), 'visible': fraction})
        obj = _mask_to_object(patch.class_name, visible, fraction, width, height)
        if obj is not None:
            objects.append(obj)
    objects.reverse()
    stats.reverse()
    return image, objects, stats


def compose_scene(rng, background, placed, occluders, glare, optics, width, height):
    """Draw items and occluders on ``background``; (image, visible-part objects, stats).

    ``placed``: (ItemPatch, affine matrix) pairs, later ones on top; ``occluders``: (colour,
    alpha) layers that hide items (hands, flap, a slot's panel). Used by other chamber layouts
    (:mod:`rvm_training.chamber_views`)."""
    return _compose(rng, background, placed, occluders, glare, optics, width, height)


def _mask_to_object(class_name, visible, fraction, width, height):
    """Largest visible region of an item as a SceneObject, or None if too little is visible."""
    if fraction < MIN_VISIBLE_FRACTION or visible.sum() < _min_visible_px(width, height):
        return None
    contours, _ = cv2.findContours(
        visible.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    contour = max(contours, key=cv2.contourArea)
    if cv2.contourArea(contour) < _min_visible_px(width, height) / 2:
        return None
    contour = cv2.approxPolyDP(contour, max(0.5, width / 1000.0), True)
    polygon = contour.reshape(-1, 2).astype(np.float32)
    if len(polygon) < 3:
        return None
    x1, y1 = polygon.min(axis=0)
    x2, y2 = polygon.max(axis=0)
    return SceneObject(
        class_name, polygon, (float(x1), float(y1), float(x2), float(y2)), round(fraction, 3))


def _chamber(rng, width, height, hard):
    background = shapes.make_chamber(rng, width, height)
    if hard or rng.random() < 0.25:
        shapes.add_stains_and_clutter(rng, background, width, height, edge_only=True)
    return background


def _ends(patch, centre, angle_deg):
    length = patch.size[0]
    axis = np.array([np.cos(np.deg2rad(angle_deg)), np.sin(np.deg2rad(angle_deg))])
    a, b = np.asarray(centre) - axis * length / 2, np.asarray(centre) + axis * length / 2
    return (a, b) if a[0] <= b[0] else (b, a)


def render_sequence(
    seed=0, width=640, height=480, n_items=6, hard=False, fps=15.0
) -> Iterator[SceneFrame]:
    """Yield frames: items one at a time enter (left, through the flap), rest and leave (right).

    Classes cycle through a shuffled order so every class appears when ``n_items >= 4``. Phase
    timing scales with ``fps``: ~0.4-0.8 s empty, ~0.7 s entering, ~1.2-2 s resting, ~0.6 s
    leaving.
    """
    rng = np.random.default_rng(seed)
    background = _chamber(rng, width, height, hard)
    optics = shapes.random_optics(rng, hard, width)
    flap = shapes.flap_layer(rng, width, height) if hard or rng.random() < 0.5 else None
    glare = (
        shapes.glare_layer(rng, width, height, (width / 2, height / 2))
        if hard or rng.random() < 0.3
        else None
    )
    order = [
        CLASS_NAMES[i]
        for _ in range((n_items + 3) // 4)
        for i in rng.permutation(len(CLASS_NAMES))
    ]
    index = 0

    def frames(n):
        return max(1, int(round(n * fps)))

    def emit(phase, placed, hand=None):
        nonlocal index
        occluders = ([hand] if hand is not None else []) + ([flap] if flap is not None else [])
        image, objects, _ = _compose(
            rng, background, placed, occluders, glare, optics, width, height)
        frame = SceneFrame(image, objects, index, phase)
        index += 1
        return frame

    for item in range(n_items):
        for _ in range(frames(rng.uniform(0.4, 0.8))):
            yield emit('empty', [])
        patch = shapes.make_item(rng, order[item], width)
        angle = rng.uniform(-15, 15) + (180.0 if rng.random() < 0.5 else 0.0)
        rest = np.array([width * rng.uniform(0.4, 0.6), height * rng.uniform(0.4, 0.6)])
        half_extent = patch.size[0] / 2 + patch.size[1] / 2 + 2
        start = np.array([-half_extent, rest[1] + rng.uniform(-0.1, 0.1) * height])
        end = np.array([width + half_extent, rest[1] + rng.uniform(-0.1, 0.1) * height])
        n_enter, n_rest, n_leave = (frames(rng.uniform(0.5, 0.9)), frames(rng.uniform(1.2, 2.0)),
                                    frames(rng.uniform(0.5, 0.8)))
        pushed = hard and rng.random() < 0.75
        hand_seed = int(rng.integers(0, 2**31))
        for i in range(n_enter):
            t = 1 - (1 - (i + 1) / n_enter) ** 2
            centre = start + (rest - start) * t
            hand = None
            if pushed:
                rear, _ = _ends(patch, centre, angle)
                hand = shapes.make_hand(np.random.default_rng(hand_seed), width, height,
                                        rear + np.array([patch.size[0] * 0.12, 0]), (1.0, 0.05))
            yield emit('entering', [(patch, shapes.warp_matrix(patch, centre, angle))], hand)
        for i in range(n_rest):
            centre = rest + rng.normal(0, 0.3, 2)
            hand = None
            if pushed and i < max(1, n_rest // 4):  # the hand withdraws to the left
                rear, _ = _ends(patch, rest, angle)
                back = rear + np.array([patch.size[0] * 0.12 - (i + 1) * width * 0.08, 0])
                hand = shapes.make_hand(
                    np.random.default_rng(hand_seed), width, height, back, (1.0, 0.05))
            yield emit('resting', [(patch, shapes.warp_matrix(patch, centre, angle))], hand)
        for i in range(n_leave):
            t = ((i + 1) / n_leave) ** 2
            centre = rest + (end - rest) * t
            yield emit('leaving', [(patch, shapes.warp_matrix(patch, centre, angle))])
    for _ in range(frames(0.5)):
        yield emit('empty', [])


def render_image(
    rng, width=640, height=480, hard=False, max_objects=1, hand_probability=None
) -> SceneStill:
    """Render one random still with 0..``max_objects`` items (usually one) for the dataset.

    ``flags``: hand, glare, clutter, flap, occluded (an item is < 90 % visible), edge (an item is
    cut by the frame border), n_objects.
    """
    background = _chamber(rng, width, height, hard)
    clutter = hard or rng.random() < 0.2
    if clutter and not hard:
        shapes.add_stains_and_clutter(rng, background, width, height, edge_only=rng.random() < 0.7)
    optics = shapes.random_optics(rng, hard, width)
    roll = rng.random()
    n = (
        0
        if roll < 0.07
        else (int(rng.integers(2, max_objects + 1)) if max_objects > 1 and roll > 0.9 else 1)
    )
    placed, edge_item = [], False
    for _ in range(n):
        patch = shapes.make_item(rng, CLASS_NAMES[rng.integers(0, len(CLASS_NAMES))], width)
        if rng.random() < 0.8:
            angle = rng.uniform(-25, 25) + (180.0 if rng.random() < 0.5 else 0.0)
        else:
            angle = rng.uniform(0, 360)
        centre = np.array([width * rng.uniform(0.25, 0.75), height * rng.uniform(0.3, 0.7)])
        if hard and rng.random() < 0.35:  # partly outside the frame
            side = rng.integers(0, 4)
            reach = patch.size[0] * rng.uniform(0.05, 0.35)
            centre = np.array(
                [
                    reach if side == 0 else width - reach if side == 1 else centre[0],
                    reach * 0.6 if side == 2 else height - reach * 0.6 if side == 3 else centre[1]]
            )
            edge_item = True
        placed.append((patch, shapes.warp_matrix(patch, centre, angle), centre, angle))
    occluders, has_hand = [], False
    p_hand = (0.55 if hard else 0.1) if hand_probability is None else hand_probability
    if rng.random() < p_hand:
        has_hand = True
        if placed:
            patch, _, centre, angle = placed[0]
            ends = _ends(patch, centre, angle)
            grip = ends[int(rng.integers(0, 2))]
            direction = grip - np.asarray(centre)
            direction = -direction if rng.random() < 0.2 else direction
            tip = grip - direction / (np.linalg.norm(direction) + 1e-6) * patch.size[
                0] * rng.uniform(0.05, 0.3)
            occluders.append(shapes.make_hand(rng, width, height, tip, -direction))
        else:
            tip = (width * rng.uniform(0.2, 0.7), height * rng.uniform(0.2, 0.8))
            occluders.append(
                shapes.make_hand(rng, width, height, tip, (1.0, rng.uniform(-0.5, 0.5))))
    has_flap = rng.random() < (0.5 if hard else 0.3)
    if has_flap:
        occluders.append(shapes.flap_layer(rng, width, height))
    has_glare = rng.random() < (0.7 if hard else 0.2)
    glare = None
    if has_glare:
        glare = shapes.glare_layer(rng, width, height, tuple(placed[0][2]) if placed else None)
    image, objects, stats = _compose(
        rng, background, [(p, m) for p, m, _, _ in placed], occluders, glare, optics, width, height
    )
    flags = {
        'hand': has_hand, 'glare': has_glare, 'clutter': clutter, 'flap': has_flap,
        'occluded': any(s['visible'] < 0.9 * s['in_frame'] for s in stats),
        'edge': edge_item or any(s['in_frame'] < 0.97 for s in stats), 'n_objects': len(objects)}
    return SceneStill(image, objects, flags)
