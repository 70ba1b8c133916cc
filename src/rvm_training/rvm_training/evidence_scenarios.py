"""Scenario kinds for "credit only on evidence" (issue 24), played on the scenario stage.

===================== ============================================= ==============================
kind                  steps                                         expected verdicts
===================== ============================================= ==============================
occluded_after_judge  enter, rest, a hand covers the item 0.8 s,    1, by category policy
                      rest, leave to the exit
dark_frames           enter, rest, lights out 0.6 s, rest, leave    1, by category policy
fast_yank             enter, rest at 0.52-0.58 of the width, gone   1 withdrawn
                      the next frame
fast_push             enter, rest at 0.47, pushed out through the   1, by category policy
                      exit in 0.3 s
swap                  A enters, rests, is pulled out; 2 frames      A withdrawn, B by policy
                      later B (another class) enters, rests, exits
close_pair            A rests, exits; 2 frames later B enters,      A and B, by category policy
                      rests, exits
enter_while_clearing  A (other) rests, is rejected; B enters while  A category_not_accepted,
                      A leaves; B rests, exits                      B by category policy
beside_rejected       A (other) rests; B enters beside it, rests;   A category_not_accepted,
                      both exit                                     B by category policy
background_flicker    clutter lies in the chamber (calibrated with  1, by category policy
                      it), the light flickers 10 %; one item
lighting_change       the light changes by 35-50 % after the        1, by category policy;
                      calibration; one item                         the recalibrate alert
camera_moved          the camera shifts 4-5 % after the             1, by category policy;
                      calibration; one item                         the recalibrate alert
===================== ============================================= ==============================
"""
from __future__ import annotations

import cv2
import numpy as np

from rvm_training import synthetic_shapes as shapes
from rvm_training.synthetic_shapes import CLASS_NAMES

REJECTED_CLASS = 'other'


def prepare(kind, stage, rng) -> None:
    """Before the calibration frames: what lies in the empty chamber (background_flicker)."""
    if kind == 'background_flicker':
        stage.add('clutter', str(CLASS_NAMES[int(rng.integers(0, len(CLASS_NAMES)))]), 0.0)
        stage.items['clutter'][1] = np.array([stage.w * rng.uniform(0.7, 0.85),
                                              stage.h * rng.uniform(0.1, 0.16)])


def script(kind, stage, rng, cls):
    """Play ``kind`` on ``stage`` after the calibration frames; (expected verdicts, alert)."""
    from rvm_training.synthetic_scenarios import ExpectedVerdict, _rest_point
    w, h = stage.w, stage.h
    expected, alert = [ExpectedVerdict(cls)], False
    if kind in ('swap', 'close_pair'):
        other = _other_class(rng, cls)
        stage.enter('a', cls, _rest_point(rng, w, h))
        stage.wait(1.0, stage.step('rest'))
        stage.leave(['a'], 'entry' if kind == 'swap' else 'exit')
        stage.wait(0.2, 'gap')
        stage.enter('b', other, _rest_point(rng, w, h), 'second_enters')
        stage.wait(1.0, stage.step('rest'))
        stage.leave(['b'], 'exit')
        first = ExpectedVerdict(cls, 'withdrawn') if kind == 'swap' else ExpectedVerdict(cls)
        return [first, ExpectedVerdict(other)], False
    if kind in ('enter_while_clearing', 'beside_rejected'):
        stage.enter('a', REJECTED_CLASS, _rest_point(rng, w, h, 0.27))
        stage.wait(1.0, stage.step('rest'))
        b_rest = _rest_point(rng, w, h, 0.75)
        if kind == 'enter_while_clearing':
            stage.add('b', cls, b_rest[1])
            exit_a = stage.outside(stage.items['a'][0], 'exit', stage.items['a'][1][1])
            stage.move({'a': exit_a, 'b': b_rest}, 0.7, stage.step('enter_while_leaving'))
            del stage.items['a']
            stage.wait(1.0, stage.step('rest'))
            stage.leave(['b'], 'exit')
        else:
            stage.enter('b', cls, b_rest, 'second_enters')
            stage.wait(1.0, stage.step('rest'))
            stage.leave(['a', 'b'], 'exit')
        return [ExpectedVerdict(REJECTED_CLASS), ExpectedVerdict(cls)], False
    if kind == 'lighting_change':
        _lighting(stage, rng)
        alert = True
    elif kind == 'camera_moved':
        _camera_shift(stage, rng)
        alert = True
    elif kind == 'background_flicker':
        gains = iter(np.tile([1.0, 0.9], 10_000))
        stage.post = lambda image: _gain(image, next(gains))
    rest_x = {'fast_yank': rng.uniform(0.52, 0.58), 'fast_push': 0.47}.get(kind)
    rest = _rest_point(rng, w, h)
    if rest_x is not None:
        rest[0] = w * rest_x
    stage.enter('a', cls, rest)
    stage.wait(1.0, stage.step('rest'))
    if kind == 'occluded_after_judge':
        _cover_with_hand(stage, rng)
        stage.wait(0.5, stage.step('rest'))
    elif kind == 'dark_frames':
        stage.post = lambda image: _gain(image, 0.04)
        stage.wait(0.6, stage.step('dark'))
        stage.post = None
        stage.wait(0.5, stage.step('rest'))
    if kind == 'fast_yank':
        del stage.items['a']
        stage.step('yank')
        expected = [ExpectedVerdict(cls, 'withdrawn')]
    elif kind == 'fast_push':
        _push_out(stage, 'a', 0.3)
    else:
        stage.leave(['a'], 'exit')
    return expected, alert


def _other_class(rng, cls):
    others = [c for c in CLASS_NAMES if c != cls]
    return str(others[int(rng.integers(0, len(others)))])


def _gain(image, gain):
    return np.clip(image.astype(np.float32) * gain, 0, 255).astype(np.uint8)


def _lighting(stage, rng):
    """The light changes by 35-50 % over 1 s after the calibration, then stays."""
    target = float(rng.choice([0.6, 0.65, 1.4, 1.5]))
    count = stage.n(1.0)
    for i in range(count):
        gain = 1.0 + (target - 1.0) * (i + 1) / count
        stage.post = lambda image, g=gain: _gain(image, g)
        stage.emit(stage.step('light_change') if i == 0 else 'light_change')
    stage.post = lambda image: _gain(image, target)
    stage.wait(1.5, 'empty')


def _camera_shift(stage, rng):
    """The camera is knocked: the view shifts by 4-5 % of the width (and a little down/up)."""
    dx = float(rng.choice([-1, 1])) * stage.w * rng.uniform(0.04, 0.05)
    dy = float(rng.choice([-1, 1])) * stage.h * rng.uniform(0.02, 0.03)
    matrix = np.float32([[1, 0, dx], [0, 1, dy]])
    stage.post = lambda image: cv2.warpAffine(image, matrix, (stage.w, stage.h),
                                              borderMode=cv2.BORDER_REFLECT)
    stage.step('camera_moved')
    stage.wait(2.5, 'empty')


def _cover_with_hand(stage, rng):
    """A hand from the entry covers the resting item for 0.8 s, then withdraws."""
    centre = stage.items['a'][1].copy()
    hand_seed = int(rng.integers(0, 2**31))
    start = np.array([-0.25 * stage.w, centre[1]])
    path = [start + (centre - start) * s for s in np.linspace(0.3, 1.0, stage.n(0.4))]
    path += [centre] * stage.n(0.8) + path[::-1]
    stage.step('hand_covers')
    for point in path:
        hand = shapes.make_hand(np.random.default_rng(hand_seed), stage.w, stage.h,
                                point + np.array([0.08 * stage.w, 0.0]), (1.0, 0.0))
        stage.emit('hand_covers', hand)


def _push_out(stage, key, seconds):
    """Pushed straight out through the exit at constant speed (no easing)."""
    patch, start, _ = stage.items[key]
    start = start.copy()
    end = stage.outside(patch, 'exit', start[1])
    count = stage.n(seconds)
    stage.step('push_exit')
    for i in range(count):
        stage.items[key][1] = start + (end - start) * (i + 1) / count
        stage.emit('push_exit')
    del stage.items[key]
