"""Scripted chamber scenarios with ground truth: the verdicts a deposit system must produce.

Each scenario is a short list of steps played in the synthetic chamber of
:mod:`rvm_training.synthetic_scene` (same drawing, same entry flap on the left and exit on the
right):

===========  ============================================================  ========================
kind         steps                                                         expected verdicts
===========  ============================================================  ========================
single       enter, rest, leave to the exit                                1, by category policy
nudge        enter, rest, nudge (~80 px at 640 wide), rest, leave          1, by category policy
two_items    enter A (accepted class), rest, second item B enters, rest,   1 multiple_objects (A+B)
             both leave
hand_only    a hand reaches in, hovers, withdraws                          none
withdraw     enter, rest, withdraw through the entry                       1 withdrawn
             ("bottle on a string")
camera_gap   enter, rest 0.3 s, camera gap (15 s, no frames), rest, leave  1, by category policy
session_end  enter, rest, session end with the item present, leave         1 not_cleared
===========  ============================================================  ========================

The evidence kinds (``occluded_after_judge`` ... ``camera_moved``) are scripted in
:mod:`rvm_training.evidence_scenarios`. Every scene opens with ``CALIBRATION_S`` of empty chamber:
the suite calibrates from those frames as ``rvm-edge calibrate`` would.

Ground truth (:class:`ExpectedVerdict`) names the item's class and, for rule-driven outcomes, the
reject reason; ``reason=None`` means "decided by the category policy" (accepted categories are
accepted, others ``category_not_accepted``), which the scorer resolves with the class map. Scenes
are deterministic for a (seed, kind, index).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rvm_training import synthetic_shapes as shapes
from rvm_training.synthetic_scene import _chamber, _compose
from rvm_training.synthetic_shapes import CLASS_NAMES

BASIC_KINDS = (
    'single', 'nudge', 'two_items', 'hand_only', 'withdraw', 'camera_gap', 'session_end')
EVIDENCE_KINDS = (
    'occluded_after_judge', 'dark_frames', 'fast_yank', 'fast_push', 'swap', 'close_pair',
    'enter_while_clearing', 'beside_rejected', 'background_flicker', 'lighting_change',
    'camera_moved')
KINDS = BASIC_KINDS + EVIDENCE_KINDS     # appended: older kinds keep their seeds
#: seconds of empty chamber every scene opens with (the calibration frames)
CALIBRATION_S = 0.6
#: classes the bundled class map accepts (withdraw / session_end need an accept to take back)
ACCEPTED_CLASSES = ('pet_bottle', 'aluminium_can', 'glass_bottle')
SESSION_END = 'session_end'


@dataclass
class ExpectedVerdict:
    """One verdict the scenario must produce: item class, the rule's reason (None: by policy)."""

    class_name: str
    reason: str | None = None
    classes: tuple = ()          # every object the verdict must account for (multiple_objects)


@dataclass
class ScenarioFrame:
    """One frame: BGR image, labelled objects, index, camera time (s), step, events after it."""

    image: np.ndarray
    objects: list
    index: int
    t: float
    step: str
    events: list = field(default_factory=list)    # e.g. ['session_end'] after this frame


@dataclass
class Scenario:
    """A rendered scenario and its ground truth."""

    kind: str
    seed: int
    index: int
    steps: list
    frames: list
    expected: list
    expect_alert: bool = False     # the recalibrate alert must be raised (camera / light)
    calibration_frames: int = 0    # the opening empty frames to calibrate from


class _Stage:
    """The chamber with items placed by name; emits frames as items move."""

    def __init__(self, rng, width, height, fps, hard):
        self.rng, self.w, self.h, self.fps = rng, width, height, fps
        self.background = _chamber(rng, width, height, hard)
        self.optics = shapes.random_optics(rng, hard, width)
        self.flap = shapes.flap_layer(rng, width, height) if hard or rng.random() < 0.5 else None
        self.glare = (
            shapes.glare_layer(rng, width, height, (width / 2, height / 2)) if hard else None)
        self.items: dict[str, list] = {}
        self.frames: list[ScenarioFrame] = []
        self.t = 0.0
        self.steps: list[str] = []
        self.post = None      # optional image -> image (light, camera pose) of evidence kinds

    def n(self, seconds):
        return max(1, int(round(seconds * self.fps)))

    def emit(self, step, hand=None):
        placed = [(p, shapes.warp_matrix(p, c, a)) for p, c, a in self.items.values()]
        occluders = ([hand] if hand is not None else []) + (
            [self.flap] if self.flap is not None else [])
        image, objects, _ = _compose(
            self.rng, self.background, placed, occluders, self.glare, self.optics, self.w, self.h)
        if self.post is not None:
            image = self.post(image)
        self.frames.append(ScenarioFrame(image, objects, len(self.frames), round(self.t, 4), step))
        self.t += 1.0 / self.fps

    def step(self, name):
        self.steps.append(name)
        return name

    def wait(self, seconds, name):
        for _ in range(self.n(seconds)):
            for item in self.items.values():      # resting items shake a little (sub-pixel)
                item[1] = item[1] + self.rng.normal(0, 0.2, 2)
            self.emit(name)

    def move(self, targets, seconds, name, ease_out=True):
        """Move named items to target centres over ``seconds`` (eased)."""
        starts = {k: self.items[k][1].copy() for k in targets}
        count = self.n(seconds)
        for i in range(count):
            s = (i + 1) / count
            s = 1 - (1 - s) ** 2 if ease_out else s ** 2
            for k, target in targets.items():
                self.items[k][1] = starts[k] + (np.asarray(target, float) - starts[k]) * s
            self.emit(name)

    def outside(self, patch, side, y):
        ext = patch.size[0] / 2 + patch.size[1] / 2 + 2
        return np.array([-ext if side == 'entry' else self.w + ext, y])

    def add(self, key, class_name, y, angle=None):
        patch = shapes.make_item(self.rng, class_name, self.w)
        angle = (
            self.rng.uniform(-12, 12) + (180.0 if self.rng.random() < 0.5 else 0.0)
            if angle is None
            else angle
        )
        self.items[key] = [patch, self.outside(patch, 'entry', y), angle]
        return patch

    def enter(self, key, class_name, rest, step='enter'):
        self.add(key, class_name, rest[1])
        self.move({key: rest}, 0.7, self.step(step))

    def leave(self, keys, side):
        name = self.step('leave_exit' if side == 'exit' else 'withdraw_entry')
        self.move(
            {k: self.outside(self.items[k][0], side, self.items[k][1][1]) for k in keys}, 0.6,
            name, ease_out=False)
        for k in keys:
            del self.items[k]

    def empty(self, seconds=0.6):
        self.wait(seconds, 'empty')


def _rest_point(rng, w, h, y=None):
    return np.array(
        [w * rng.uniform(0.45, 0.55), h * (rng.uniform(0.42, 0.58) if y is None else y)])


def build(kind, seed=0, index=0, width=320, height=240, fps=10.0, hard=False) -> Scenario:
    """Render one scenario of ``kind``; deterministic for (seed, kind, index)."""
    if kind not in KINDS:
        raise ValueError(f'unknown scenario kind {kind!r}; one of {", ".join(KINDS)}')
    rng = np.random.default_rng([seed, KINDS.index(kind), index])
    stage = _Stage(rng, width, height, fps, hard)
    # withdraw / session_end need an accept to take back; two_items a pending accept the second
    # item joins
    held = ('withdraw', 'session_end', 'two_items') + EVIDENCE_KINDS   # need an accept to hold
    pool = ACCEPTED_CLASSES if kind in held else CLASS_NAMES
    cls = str(pool[int(rng.integers(0, len(pool)))])
    if kind in EVIDENCE_KINDS:
        from rvm_training.evidence_scenarios import prepare, script
        prepare(kind, stage, rng)
    stage.empty(CALIBRATION_S)
    calibration_frames = len(stage.frames)
    if kind in EVIDENCE_KINDS:
        expected, alert = script(kind, stage, rng, cls)
        stage.empty()
        return Scenario(kind, seed, index, stage.steps, stage.frames, expected, alert,
                        calibration_frames)
    expected = [ExpectedVerdict(cls)]
    if kind == 'two_items':
        other = str(CLASS_NAMES[int(rng.integers(0, len(CLASS_NAMES)))])
        stage.enter('a', cls, _rest_point(rng, width, height, 0.27))
        stage.wait(1.0, stage.step('rest'))
        stage.enter('b', other, _rest_point(rng, width, height, 0.75), 'second_enters')
        stage.wait(1.0, stage.step('rest'))
        stage.leave(['a', 'b'], 'exit')
        expected = [ExpectedVerdict(cls, 'multiple_objects', (cls, other))]
    elif kind == 'hand_only':
        tip = np.array([width * rng.uniform(0.35, 0.6), height * rng.uniform(0.35, 0.65)])
        hand_rng = int(rng.integers(0, 2**31))
        path = [
            tip * s + np.array([-0.3 * width, tip[1]]) * (1 - s)
            for s in np.linspace(0, 1, stage.n(0.6))
        ]
        path += [tip] * stage.n(0.8) + path[::-1]
        stage.step('hand_only')
        for point in path:
            stage.emit(
                'hand_only',
                shapes.make_hand(
                    np.random.default_rng(hand_rng), width, height, point, (1.0, 0.05)),
            )
        expected = []
    else:
        stage.enter('a', cls, _rest_point(rng, width, height))
        if kind == 'camera_gap':
            stage.wait(0.3, stage.step('rest'))
            stage.t += 15.0
            stage.step('camera_gap')
        stage.wait(1.0, stage.step('rest'))
        if kind == 'nudge':
            centre = stage.items['a'][1]
            stage.move({'a': centre + np.array([0.125 * width * rng.choice([-1, 1]), 0.0])}, 0.1,
                       stage.step('nudge'))
            stage.wait(1.0, stage.step('rest'))
        if kind == 'session_end':
            stage.frames[-1].events.append(SESSION_END)
            stage.step(SESSION_END)
            stage.wait(0.5, 'rest')
            expected = [ExpectedVerdict(cls, 'not_cleared')]
        if kind == 'withdraw':
            stage.leave(['a'], 'entry')
            expected = [ExpectedVerdict(cls, 'withdrawn')]
        else:
            stage.leave(['a'], 'exit')
    stage.empty()
    return Scenario(kind, seed, index, stage.steps, stage.frames, expected,
                    calibration_frames=calibration_frames)
