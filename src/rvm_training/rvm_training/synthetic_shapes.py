"""Drawing primitives for the synthetic RVM chamber: items, hands, chamber background, optics.

Pure numpy + OpenCV. Every function takes a ``numpy.random.Generator`` so a seed fixes the picture.
Items are drawn once as an axis-aligned *patch* (colour + alpha, item axis along x) and then warped
into the frame with an affine transform, so an item that moves through a sequence keeps its look.
Sizes are relative to the frame width, so the scene looks the same at any resolution.
"""

from dataclasses import dataclass

import cv2
import numpy as np

CLASS_NAMES = ('pet_bottle', 'aluminium_can', 'glass_bottle', 'other')

_SKIN_TONES = ((150, 172, 224), (118, 146, 205), (92, 120, 172), (60, 82, 122), (44, 58, 88))
_GLOVES = ((205, 125, 45), (38, 38, 40), (225, 228, 230), (60, 150, 60))


@dataclass
class ItemPatch:
    """One item drawn along the x axis: its class, BGR colour (float32), alpha coverage (0..1)."""

    class_name: str
    colour: np.ndarray
    alpha: np.ndarray

    @property
    def size(self):
        """(length, thickness) of the patch in pixels."""
        return self.alpha.shape[1], self.alpha.shape[0]


def _smooth(t):
    return 0.5 - 0.5 * np.cos(np.pi * np.clip(t, 0.0, 1.0))


def _random_colour(rng, lo=30, hi=235):
    return rng.uniform(lo, hi, 3)


def _label_texture(rng, h, w):
    """A printed label: base colour, stripes, logo blob and text-like blocks."""
    tex = np.empty((h, w, 3), np.float32)
    tex[:] = _random_colour(rng)
    for _ in range(rng.integers(1, 4)):
        y0 = int(rng.uniform(0, h))
        cv2.rectangle(tex, (0, y0), (w, y0 + int(rng.uniform(0.05, 0.3) * h)),
                      _random_colour(rng).tolist(), -1)
    if w > 8 and h > 8:
        cv2.ellipse(
            tex, (int(rng.uniform(0.2, 0.8) * w), h // 2),
            (max(2, int(rng.uniform(0.1, 0.3) * w)), max(2, int(rng.uniform(0.15, 0.35) * h))), 0,
            0, 360, _random_colour(rng).tolist(), -1)
        for _ in range(rng.integers(2, 7)):
            x, y = int(rng.uniform(0, w)), int(rng.uniform(0, h))
            cv2.rectangle(tex, (x, y), (x + int(rng.uniform(0.05, 0.4) * w), y + max(1, h // 25)),
                          _random_colour(rng, 0, 255).tolist(), -1)
    return tex


def _cylinder(rng, radius, base, alpha_col, spec=0.6, clear=False, flat=False):
    """Shade a body of revolution: per-column radius ``radius``, base colour image ``base``."""
    half = int(np.ceil(radius.max())) + 2
    yy = np.arange(2 * half, dtype=np.float32) - half + 0.5
    r = np.maximum(radius, 1e-3)[None, :]
    v = yy[:, None] / r
    coverage = np.clip(r - np.abs(yy[:, None]) + 0.5, 0.0, 1.0)
    if flat:
        shade = np.where(v < 0, 1.0, 0.82) * np.ones_like(v)
        highlight = 0.15 * np.exp(-((v + 0.5) / 0.3) ** 2)
    else:
        nz = np.sqrt(np.clip(1.0 - v * v, 0.0, 1.0))
        shade = np.clip(0.32 + 0.55 * nz - 0.18 * v, 0.15, 1.1)
        v0 = rng.uniform(-0.6, -0.2)
        highlight = spec * np.exp(-((v - v0) / rng.uniform(0.06, 0.16)) ** 2)
        highlight += 0.3 * spec * np.exp(-((v - 0.7) / 0.08) ** 2)
    colour = base[:2 * half] * shade[..., None] + (255.0 * highlight)[..., None]
    alpha = coverage * alpha_col[None, :]
    if clear:  # clear plastic/glass: edges are more visible than the middle
        rim = np.clip(np.abs(v), 0, 1) ** 4
        alpha = coverage * np.clip(
            alpha_col[None, :] + (1 - alpha_col[None, :]) * rim + highlight, 0, 1)
    return colour.astype(np.float32), alpha.astype(np.float32)


def _base_image(length, radius, colour):
    half = int(np.ceil(radius.max())) + 2
    base = np.empty((2 * half, length, 3), np.float32)
    base[:] = colour
    return base, half


def _bottle_profile(x, body_r, neck_r, cap_end, neck_end, shoulder_end):
    r = np.full_like(x, body_r)
    shoulder = x < shoulder_end
    r[shoulder] = neck_r + (body_r - neck_r) * _smooth(
        (x[shoulder] - neck_end) / (shoulder_end - neck_end))
    r[x < neck_end] = neck_r
    return r, x < cap_end


def make_item(rng, class_name, frame_width):
    """Draw one random item of ``class_name`` sized for a frame ``frame_width`` px wide."""
    if class_name == 'pet_bottle':
        length = int(rng.uniform(0.42, 0.72) * frame_width)
        x = np.linspace(0, 1, length, dtype=np.float32)
        body_r = rng.uniform(0.13, 0.19) * length
        cap_end, neck_end, sh_end = (
            rng.uniform(0.04, 0.06), rng.uniform(0.1, 0.14), rng.uniform(0.25, 0.4))
        r, cap = _bottle_profile(x, body_r, 0.3 * body_r, cap_end, neck_end, sh_end)
        r[cap] = 0.36 * body_r
        ribs = rng.uniform(8, 20)
        r *= 1 - 0.035 * (np.sin(x * ribs * 2 * np.pi) > 0.6) * (x > sh_end)
        r[x > 0.96] *= 0.9
        tint = np.array(
            [rng.uniform(190, 240), rng.uniform(200, 240), rng.uniform(170, 225)], np.float32)
        if rng.random() < 0.3:  # green/blue/brown tinted PET
            tint = tint * rng.uniform(0.45, 0.9, 3)
        base, half = _base_image(length, r, tint)
        alpha_col = np.full(length, rng.uniform(0.25, 0.5), np.float32)
        if rng.random() < 0.85:
            l0, l1 = int(rng.uniform(0.4, 0.5) * length), int(rng.uniform(0.68, 0.85) * length)
            base[:, l0:l1] = _label_texture(rng, 2 * half, l1 - l0)
            alpha_col[l0:l1] = 1.0
        base[:, cap] = _random_colour(rng, 20, 240)
        alpha_col[cap] = 1.0
        return ItemPatch(class_name, *_cylinder(rng, r, base, alpha_col, spec=0.7, clear=True))
    if class_name == 'aluminium_can':
        length = int(rng.uniform(0.22, 0.4) * frame_width)
        x = np.linspace(0, 1, length, dtype=np.float32)
        body_r = rng.uniform(0.2, 0.36) * length
        r = np.full_like(x, body_r)
        neck = rng.uniform(0.05, 0.1)
        r[x < neck] = body_r * (0.82 + 0.18 * _smooth(x[x < neck] / neck))
        r[x > 0.96] *= 0.92
        if rng.random() < 0.2:  # dented
            r *= 1 - 0.08 * np.abs(np.sin(x * rng.uniform(3, 9)))
        base, half = _base_image(length, r, _random_colour(rng))
        base[:] = _label_texture(rng, 2 * half, length)
        silver = rng.uniform(170, 215)
        base[:, (x < neck) | (x > 0.96)] = silver
        return ItemPatch(class_name, *_cylinder(rng, r, base, np.ones(length, np.float32),
                                                spec=rng.uniform(0.7, 1.0)))
    if class_name == 'glass_bottle':
        length = int(rng.uniform(0.45, 0.7) * frame_width)
        x = np.linspace(0, 1, length, dtype=np.float32)
        body_r = rng.uniform(0.11, 0.16) * length
        cap_end, neck_end, sh_end = (
            rng.uniform(0.02, 0.04), rng.uniform(0.25, 0.38), rng.uniform(0.4, 0.5))
        r, cap = _bottle_profile(
            x, body_r, rng.uniform(0.26, 0.34) * body_r, cap_end, neck_end, sh_end)
        r[(x > cap_end) & (x < cap_end + 0.02)] *= 1.25  # lip
        glass = [(30, 75, 120), (35, 95, 45), (40, 60, 75), (190, 200, 195),
                 (110, 70, 40)][rng.integers(0, 5)]
        base, half = _base_image(length, r, np.array(glass, np.float32) * rng.uniform(0.8, 1.2))
        alpha_col = np.full(length, rng.uniform(0.7, 0.92), np.float32)
        if rng.random() < 0.7:
            l0, l1 = int(rng.uniform(0.55, 0.65) * length), int(rng.uniform(0.75, 0.9) * length)
            base[:, l0:l1] = _label_texture(rng, 2 * half, l1 - l0)
            alpha_col[l0:l1] = 1.0
        if rng.random() < 0.6:
            base[:, cap] = rng.uniform(120, 210, 3)
            alpha_col[cap] = 1.0
        return ItemPatch(class_name, *_cylinder(rng, r, base, alpha_col, spec=1.0, clear=True))
    return _make_other(rng, frame_width)


def _make_other(rng, frame_width):
    """Non-returnable things: drink cartons, paper cups, crumpled paper/foil/bags."""
    kind = rng.integers(0, 3)
    if kind == 0:  # carton: flat-shaded box with a folded gable end
        length = int(rng.uniform(0.28, 0.5) * frame_width)
        x = np.linspace(0, 1, length, dtype=np.float32)
        r = np.full_like(x, rng.uniform(0.16, 0.3) * length)
        gable = rng.uniform(0.08, 0.18)
        r[x < gable] *= 0.55 + 0.45 * x[x < gable] / gable
        base, half = _base_image(length, r, 0)
        base[:] = _label_texture(rng, 2 * half, length)
        return ItemPatch('other', *_cylinder(rng, r, base, np.ones(length, np.float32), flat=True))
    if kind == 1:  # paper / plastic cup lying down: tapered cylinder
        length = int(rng.uniform(0.2, 0.35) * frame_width)
        x = np.linspace(0, 1, length, dtype=np.float32)
        big = rng.uniform(0.3, 0.45) * length
        r = big * (rng.uniform(0.6, 0.75) + (1 - 0.7) * x)
        base, half = _base_image(length, r, _random_colour(rng, 150, 250))
        if rng.random() < 0.6:
            base[:] = _label_texture(rng, 2 * half, length) * 0.5 + base * 0.5
        return ItemPatch('other', *_cylinder(rng, r, base, np.ones(length, np.float32), spec=0.3))
    size = int(rng.uniform(0.15, 0.32) * frame_width)  # crumpled paper / foil / bag
    ang = np.sort(rng.uniform(0, 2 * np.pi, rng.integers(9, 18)))
    rad = size / 2 * rng.uniform(0.55, 1.0, ang.size)
    pts = np.stack(
        [size / 2 + rad * np.cos(ang), size / 2 + rad * np.sin(ang) * rng.uniform(0.6, 1.0)], 1)
    alpha = np.zeros((size, size), np.float32)
    cv2.fillPoly(alpha, [np.round(pts * 16).astype(np.int32)], 1.0, lineType=cv2.LINE_AA, shift=4)
    noise = cv2.resize(rng.uniform(0.55, 1.15, (6, 6)).astype(np.float32), (size, size),
                       interpolation=cv2.INTER_CUBIC)
    colour = _random_colour(rng, 60, 245).astype(np.float32) * noise[..., None]
    return ItemPatch('other', colour, alpha)


def warp_matrix(patch, centre, angle_deg):
    """Affine matrix mapping patch pixels to the frame: patch centre -> ``centre``, rotated."""
    length, thick = patch.size
    a = np.deg2rad(angle_deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, centre[0] - c * length / 2 + s * thick / 2],
                     [s, c, centre[1] - s * length / 2 - c * thick / 2]], np.float32)


def warp_patch(patch, matrix, width, height):
    """Warp an item patch into a frame-sized (colour, alpha) layer."""
    colour = cv2.warpAffine(patch.colour, matrix, (width, height), flags=cv2.INTER_LINEAR)
    alpha = cv2.warpAffine(patch.alpha, matrix, (width, height), flags=cv2.INTER_LINEAR)
    return colour, alpha


def composite(canvas, colour, alpha):
    """Alpha-blend a layer onto the float canvas in place."""
    canvas *= 1.0 - alpha[..., None]
    canvas += colour * alpha[..., None]


def cast_shadow(canvas, alpha, width, strength):
    """Darken the floor under an item (soft, offset shadow)."""
    k = max(3, int(width * 0.02) | 1)
    shift = np.float32([[1, 0, width * 0.008], [0, 1, width * 0.012]])
    shadow = cv2.GaussianBlur(cv2.warpAffine(alpha, shift, alpha.shape[::-1]), (k, k), 0)
    canvas *= 1.0 - strength * shadow[..., None]


def make_hand(rng, width, height, tip, direction):
    """A hand (glove or skin): fingertips at ``tip``, arm running back along -``direction``.

    Returns (colour layer, alpha) frame-sized float32 layers.
    """
    d = np.asarray(direction, np.float32)
    d /= np.linalg.norm(d) + 1e-6
    n = np.array([-d[1], d[0]], np.float32)
    tip = np.asarray(tip, np.float32)
    unit = width * rng.uniform(0.9, 1.2)
    finger_len, palm_len = 0.085 * unit, 0.11 * unit
    palm = tip - d * (finger_len + palm_len / 2)
    mask = np.zeros((height, width), np.uint8)
    s = 16

    def p(pt):
        return tuple(int(round(v * s)) for v in pt)

    angle = float(np.degrees(np.arctan2(d[1], d[0])))
    cv2.ellipse(mask, p(palm), (int(palm_len / 2 * s), int(0.055 * unit * s)), angle, 0, 360, 255,
                -1, cv2.LINE_AA, 4)
    fw = max(2, int(0.022 * unit))
    for i, off in enumerate(np.linspace(-0.035, 0.035, 4) * unit):
        base = palm + d * palm_len * 0.35 + n * off
        end = (base + d * finger_len * (0.8 + 0.2 * (i in (1, 2))) + n * off * 0.2
               + rng.normal(0, 0.005 * unit, 2))
        cv2.line(mask, p(base), p(end), 255, fw, cv2.LINE_AA, 4)
        cv2.circle(mask, p(end), int(fw / 2 * s), 255, -1, cv2.LINE_AA, 4)
    side = 1 if rng.random() < 0.5 else -1
    cv2.line(
        mask, p(palm + n * side * 0.04 * unit),
        p(palm + n * side * 0.085 * unit + d * 0.05 * unit), 255, int(fw * 1.2), cv2.LINE_AA, 4)
    cv2.line(mask, p(palm), p(palm - d * 2 * width), 255, int(0.1 * unit), cv2.LINE_AA, 4)
    alpha = mask.astype(np.float32) / 255.0
    depth = cv2.distanceTransform((mask > 127).astype(np.uint8), cv2.DIST_L2, 3)
    depth = np.sqrt(np.clip(depth / max(1.0, 0.03 * unit), 0, 1))
    tone = (_GLOVES[rng.integers(0, len(_GLOVES))] if rng.random() < 0.3
            else _SKIN_TONES[rng.integers(0, 5)])
    colour = (np.asarray(tone, np.float32) * rng.uniform(0.85, 1.1)
              * (0.55 + 0.5 * depth)[..., None])
    return colour.astype(np.float32), alpha


def make_chamber(rng, width, height):
    """Empty inspection chamber: textured floor, side walls, optional rollers, entry flap marks."""
    floor = np.array([(70, 72, 75), (35, 35, 38), (160, 162, 165), (200, 200, 195), (95, 105, 110),
                      (120, 110, 100)][rng.integers(0, 6)], np.float32) * rng.uniform(0.8, 1.2, 3)
    img = np.empty((height, width, 3), np.float32)
    img[:] = floor
    low = cv2.resize(rng.normal(0, 1, (8, 10)).astype(np.float32), (width, height),
                     interpolation=cv2.INTER_CUBIC)
    img += (low * rng.uniform(3, 14))[..., None]
    img += rng.normal(0, rng.uniform(1, 6), (height, width, 1)).astype(np.float32)
    if rng.random() < 0.5:  # rollers / conveyor slats across the travel direction
        pitch = int(width * rng.uniform(0.04, 0.1))
        for x in range(int(rng.uniform(0, pitch)), width, pitch):
            cv2.line(img, (x, 0), (x, height), (floor * rng.uniform(0.55, 0.8)).tolist(),
                     max(1, width // 320))
    wall = floor * rng.uniform(0.4, 0.75)
    top = (0, int(height * rng.uniform(0.05, 0.14)))
    for y0, y1 in (top, (height - int(height * rng.uniform(0.05, 0.14)), height)):
        img[y0:y1] = img[y0:y1] * 0.3 + wall * 0.7
    return img


def add_stains_and_clutter(rng, canvas, width, height, edge_only=True, count=None):
    """Unlabelled debris: liquid stains, paper scraps, bottle caps, tape; edge-only by default."""
    for _ in range(rng.integers(2, 7) if count is None else count):
        if edge_only:
            m = rng.uniform(0.0, 0.13)
            side = rng.integers(0, 4)
            x = (rng.uniform(0, width) if side < 2
                 else (m * width if side == 2 else (1 - m) * width))
            y = ((m * height if side == 0 else (1 - m) * height) if side < 2
                 else rng.uniform(0, height))
        else:
            x, y = rng.uniform(0, width), rng.uniform(0, height)
        r = width * rng.uniform(0.01, 0.05)
        layer = np.zeros((height, width), np.float32)
        kind = rng.integers(0, 3)
        if kind == 0:  # cap
            cv2.circle(layer, (int(x), int(y)), max(2, int(r * 0.6)), 1.0, -1, cv2.LINE_AA)
        else:
            ang = np.sort(rng.uniform(0, 2 * np.pi, 7))
            pts = np.stack([x + r * rng.uniform(0.4, 1.3, 7) * np.cos(ang),
                            y + r * rng.uniform(0.4, 1.3, 7) * np.sin(ang)], 1)
            cv2.fillPoly(layer, [pts.astype(np.int32)], 1.0, cv2.LINE_AA)
        opacity = rng.uniform(0.25, 0.6) if kind == 2 else 1.0
        colour = np.broadcast_to(_random_colour(rng, 10, 250).astype(np.float32), canvas.shape)
        composite(canvas, colour, layer * opacity)


def glare_layer(rng, width, height, near=None):
    """Specular glare of the chamber light: bright soft blobs/streaks, optionally near a point."""
    layer = np.zeros((height, width), np.float32)
    for _ in range(rng.integers(1, 4)):
        c = (near if near is not None and rng.random() < 0.7
             else (rng.uniform(0, width), rng.uniform(0, height)))
        axes = (int(width * rng.uniform(0.03, 0.2)), int(width * rng.uniform(0.01, 0.06)))
        cv2.ellipse(layer, (int(c[0]), int(c[1])), axes, rng.uniform(0, 180), 0, 360,
                    rng.uniform(0.5, 1.0), -1)
    k = max(3, int(width * 0.05) | 1)
    return cv2.GaussianBlur(layer, (k, k), 0) * np.float32(rng.uniform(120, 230))


def flap_layer(rng, width, height):
    """Rubber entry-flap strips hanging at the entry (left) side: (colour, alpha) layers."""
    alpha = np.zeros((height, width), np.float32)
    x1 = int(width * rng.uniform(0.05, 0.14))
    n = int(rng.integers(3, 7))
    edges = np.linspace(0, height, n + 1).astype(int)
    for i in range(n):
        sway = int(rng.uniform(-0.02, 0.02) * width)
        pts = np.array([[0, edges[i] + 1], [x1, edges[i] + 1], [x1 + sway, edges[i + 1] - 1],
                        [0, edges[i + 1] - 1]])
        cv2.fillConvexPoly(alpha, pts.astype(np.int32), float(rng.uniform(0.75, 0.95)),
                           cv2.LINE_AA)
    colour = np.empty((height, width, 3), np.float32)
    colour[:] = rng.uniform(15, 60)
    return colour, alpha


def random_optics(rng, hard, width):
    """Per-scene camera look: gain, BGR cast, vignette, blur, noise sigma, JPEG quality."""
    blur = None
    if rng.random() < (0.6 if hard else 0.3):
        if rng.random() < 0.5:
            blur = (
                'motion', int(rng.integers(1, 4 if not hard else 7)) * max(1, width // 320) + 1)
        else:
            blur = ('gauss', rng.uniform(0.5, 1.5 if not hard else 2.5) * width / 640)
    return dict(
        gain=np.float32(rng.uniform(0.55, 1.35) if hard else rng.uniform(0.75, 1.2)),
        cast=rng.uniform(0.85, 1.15, 3).astype(np.float32),
        vignette=np.float32(rng.uniform(0.0, 1.6)), blur=blur,
        noise=rng.uniform(1, 10 if hard else 5), jpeg=int(rng.integers(35 if hard else 60, 95)))


def apply_optics(rng, canvas, optics):
    """Lighting gain/cast/vignette, blur, sensor noise (from ``rng``), JPEG -> uint8 BGR image."""
    height, width = canvas.shape[:2]
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    r2 = ((xx - width / 2) / width) ** 2 + ((yy - height / 2) / height) ** 2
    canvas = (canvas * (optics['gain'] * optics['cast'])[None, None, :]
              * (1 - optics['vignette'] * r2)[..., None])
    img = np.clip(canvas, 0, 255).astype(np.uint8)
    if optics['blur'] is not None:
        kind, size = optics['blur']
        if kind == 'motion':
            kernel = np.zeros((size, size), np.float32)
            kernel[size // 2, :] = 1.0 / size
            img = cv2.filter2D(img, -1, kernel)
        else:
            img = cv2.GaussianBlur(img, (0, 0), size)
    noise = rng.normal(0, optics['noise'], img.shape).astype(np.float32)
    img = np.clip(img + noise, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode('.jpg', img, [cv2.IMWRITE_JPEG_QUALITY, optics['jpeg']])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else img
