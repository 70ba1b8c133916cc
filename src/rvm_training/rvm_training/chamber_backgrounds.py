"""Real-looking chamber backgrounds and empty frames (negatives) for the dataset.

The first renderer's chamber is a lit floor seen from above. Real machines also look like this:
a dark rail beside a back-lit wall, a narrow vertical slot, brushed metal, black plastic, rubber
flaps, specular reflections. :func:`make_background` draws one such scene as float32 BGR;
:func:`render_empty` gives a finished empty frame (optics applied) that must yield no detection.
Every element is drawn from the generator, so a seed fixes the picture.
"""

import cv2
import numpy as np

from rvm_training import synthetic_shapes as shapes

STYLES = ('backlit_slot', 'dark_rails', 'metal_box', 'plastic_bin', 'floor')


def _noise_field(rng, height, width, cells=(6, 8), amount=10.0):
    low = rng.normal(0, 1, cells).astype(np.float32)
    return cv2.resize(low, (width, height), interpolation=cv2.INTER_CUBIC) * np.float32(amount)


def _brushed(rng, height, width, base, vertical):
    """Brushed metal: noise stretched along one direction plus a broad sheen."""
    noise = rng.normal(0, 1, (height, width)).astype(np.float32)
    k = max(3, (height if vertical else width) // 8) | 1
    noise = cv2.blur(noise, (1, k) if vertical else (k, 1)) * np.float32(rng.uniform(6, 18))
    img = np.empty((height, width, 3), np.float32)
    img[:] = base
    img += noise[..., None]
    axis = np.linspace(-1, 1, width if vertical else height, dtype=np.float32)
    sheen = np.exp(-((axis - rng.uniform(-0.6, 0.6)) / rng.uniform(0.15, 0.4)) ** 2)
    sheen *= np.float32(rng.uniform(20, 90))
    img += (sheen[None, :, None] if vertical else sheen[:, None, None])
    return img


def _backlight(rng, img, x0, x1, y0, y1):
    """A bright, slightly uneven back-lit panel (light box behind the chamber)."""
    h, w = y1 - y0, x1 - x0
    if h < 2 or w < 2:
        return
    level = rng.uniform(190, 255)
    tint = np.array([rng.uniform(0.9, 1.0), rng.uniform(0.92, 1.0), rng.uniform(0.85, 1.0)])
    panel = np.empty((h, w, 3), np.float32)
    panel[:] = level * tint
    panel += _noise_field(rng, h, w, (3, 4), rng.uniform(3, 15))[..., None]
    img[y0:y1, x0:x1] = panel


def _rail(rng, img, vertical, pos, thick):
    """A dark metal rail with a thin specular edge."""
    h, w = img.shape[:2]
    dark = rng.uniform(10, 55)
    lo, hi = int(pos - thick / 2), int(pos + thick / 2)
    if vertical:
        img[:, max(lo, 0):min(hi, w)] = dark
        edge = min(max(lo + int(thick * rng.uniform(0.1, 0.3)), 0), w - 1)
        img[:, edge:edge + max(1, w // 300)] = rng.uniform(120, 230)
    else:
        img[max(lo, 0):min(hi, h)] = dark
        edge = min(max(lo + int(thick * rng.uniform(0.1, 0.3)), 0), h - 1)
        img[edge:edge + max(1, h // 300)] = rng.uniform(120, 230)


def _reflections(rng, img, count):
    h, w = img.shape[:2]
    layer = np.zeros((h, w), np.float32)
    for _ in range(count):
        x, y = int(rng.uniform(0, w)), int(rng.uniform(0, h))
        axes = (max(2, int(rng.uniform(0.005, 0.05) * w)), max(2, int(rng.uniform(0.05, 0.4) * h)))
        cv2.ellipse(layer, (x, y), axes, rng.uniform(-30, 30), 0, 360, 1.0, -1)
    k = max(3, w // 60) | 1
    img += (cv2.GaussianBlur(layer, (k, k), 0) * np.float32(rng.uniform(40, 160)))[..., None]


def _flaps(rng, img):
    """Rubber strip curtain hanging across part of the frame (dark strips with gaps)."""
    h, w = img.shape[:2]
    x0 = int(rng.uniform(0, 0.6) * w)
    x1 = min(w, x0 + int(rng.uniform(0.15, 0.45) * w))
    strip = max(4, int(rng.uniform(0.03, 0.07) * w))
    bottom = int(rng.uniform(0.5, 1.0) * h)
    for x in range(x0, x1, strip):
        shade = rng.uniform(8, 45)
        length = int(bottom * rng.uniform(0.85, 1.0))
        img[:length, x:min(x + strip - 1, w)] = img[:length, x:min(x + strip - 1, w)] * 0.1 + shade


def make_background(rng, width, height, style=None):
    """One chamber background (float32 BGR); ``style`` is one of :data:`STYLES` or random."""
    style = style or STYLES[int(rng.integers(0, len(STYLES)))]
    if style == 'floor':
        img = shapes.make_chamber(rng, width, height)
    elif style == 'metal_box':
        img = _brushed(rng, height, width, rng.uniform(70, 170) * np.ones(3), rng.random() < 0.5)
    elif style == 'plastic_bin':
        img = np.empty((height, width, 3), np.float32)
        img[:] = [(20, 20, 22), (45, 45, 48), (190, 190, 185), (60, 70, 95)][
            int(rng.integers(0, 4))] * rng.uniform(0.8, 1.2, 3)
        img += _noise_field(rng, height, width, amount=rng.uniform(4, 14))[..., None]
    else:  # backlit_slot, dark_rails: dark surroundings
        img = np.empty((height, width, 3), np.float32)
        img[:] = rng.uniform(5, 40)
        img += _noise_field(rng, height, width, amount=rng.uniform(2, 8))[..., None]
    if style == 'backlit_slot':
        centre, half = rng.uniform(0.3, 0.7) * width, rng.uniform(0.08, 0.25) * width
        _backlight(rng, img, int(centre - half), int(centre + half), 0, height)
    if style in ('dark_rails', 'backlit_slot') or rng.random() < 0.3:
        if style == 'dark_rails' and rng.random() < 0.7:  # a back-lit wall beside the rail
            x = int(rng.uniform(0.4, 0.8) * width)
            _backlight(rng, img, x, width, 0, height)
        vertical = rng.random() < 0.6
        span = width if vertical else height
        for _ in range(int(rng.integers(1, 4))):
            _rail(rng, img, vertical, rng.uniform(0.05, 0.95) * span,
                  rng.uniform(0.02, 0.12) * span)
    if rng.random() < 0.5:
        _reflections(rng, img, int(rng.integers(1, 4)))
    if rng.random() < 0.3:
        _flaps(rng, img)
    if rng.random() < 0.3:
        shapes.add_stains_and_clutter(rng, img, width, height, edge_only=rng.random() < 0.5)
    return np.clip(img, 0, 255)


def render_empty(rng, width=640, height=480, hard=True):
    """A finished empty-chamber frame (uint8 BGR): background, optional glare, camera optics."""
    img = make_background(rng, width, height)
    if rng.random() < 0.4:
        img += shapes.glare_layer(rng, width, height)[..., None]
    return shapes.apply_optics(rng, img, shapes.random_optics(rng, hard, width))
