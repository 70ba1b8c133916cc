"""Tests of the synthetic RVM chamber renderer (determinism, one item at a time, labels)."""

import numpy as np
import pytest

from rvm_training.synthetic_scene import (CLASS_NAMES, PHASES, SceneFrame, render_image,
                                          render_sequence)


def _frames(**kw):
    kw.setdefault('width', 320)
    kw.setdefault('height', 240)
    kw.setdefault('fps', 8.0)
    return list(render_sequence(**kw))


def test_sequence_is_deterministic_for_a_seed():
    a, b = _frames(seed=3, n_items=2), _frames(seed=3, n_items=2)
    assert len(a) == len(b)
    for fa, fb in zip(a, b):
        assert np.array_equal(fa.image, fb.image)
        assert [o.class_name for o in fa.objects] == [o.class_name for o in fb.objects]
    c = _frames(seed=4, n_items=2)
    assert len(c) != len(a) or any(not np.array_equal(x.image, y.image) for x, y in zip(a, c))


@pytest.mark.parametrize('hard', [False, True])
def test_one_item_at_a_time_with_phases_in_order(hard):
    frames = _frames(seed=7, n_items=4, hard=hard)
    assert all(isinstance(f, SceneFrame) for f in frames)
    assert [f.index for f in frames] == list(range(len(frames)))
    assert all(f.phase in PHASES for f in frames)
    assert all(len(f.objects) <= 1 for f in frames)
    assert all(not f.objects for f in frames if f.phase == 'empty')
    assert all(f.objects for f in frames if f.phase == 'resting' and not hard)
    # collapse runs of phases: every item goes empty -> entering -> resting -> leaving
    runs = [f.phase for i, f in enumerate(frames) if i == 0 or frames[i - 1].phase != f.phase]
    assert runs == ['empty', 'entering', 'resting', 'leaving'] * 4 + ['empty']
    # one class per item visit (between empty runs), and the 4 items cover the 4 classes
    visits, current = [], set()
    for f in frames:
        if f.phase == 'empty':
            if current:
                visits.append(current)
            current = set()
        current |= {o.class_name for o in f.objects}
    assert len(visits) == 4 and all(len(v) == 1 for v in visits)
    assert set().union(*visits) == set(CLASS_NAMES)


def test_frames_have_requested_shape_and_dtype():
    f = next(iter(render_sequence(seed=0, width=200, height=150, n_items=1)))
    assert f.image.shape == (150, 200, 3) and f.image.dtype == np.uint8


@pytest.mark.parametrize('hard', [False, True])
def test_polygons_lie_inside_bbox_and_frame(hard):
    rng = np.random.default_rng(11)
    seen = 0
    for _ in range(12):
        still = render_image(rng, width=320, height=240, hard=hard, max_objects=3)
        for obj in still.objects:
            seen += 1
            assert obj.class_name in CLASS_NAMES
            assert (
                obj.polygon.dtype == np.float32
                and obj.polygon.ndim == 2
                and obj.polygon.shape[1] == 2
            )
            assert len(obj.polygon) >= 3
            x1, y1, x2, y2 = obj.bbox
            assert 0 <= x1 < x2 <= 319 and 0 <= y1 < y2 <= 239
            assert (obj.polygon[:, 0] >= x1).all() and (obj.polygon[:, 0] <= x2).all()
            assert (obj.polygon[:, 1] >= y1).all() and (obj.polygon[:, 1] <= y2).all()
    assert seen >= 8


def test_polygon_covers_the_drawn_item():
    """The labelled region differs from the empty chamber: the item is really drawn there."""
    rng = np.random.default_rng(5)
    still = render_image(rng, width=320, height=240, hard=False, hand_probability=0.0)
    while not still.objects:
        still = render_image(rng, width=320, height=240, hard=False, hand_probability=0.0)
    import cv2
    mask = np.zeros((240, 320), np.uint8)
    cv2.fillPoly(mask, [still.objects[0].polygon.round().astype(np.int32)], 1)
    assert mask.sum() > 0.01 * 320 * 240


def test_hard_stills_carry_hard_conditions():
    rng = np.random.default_rng(2)
    flags = [render_image(rng, width=320, height=240, hard=True).flags for _ in range(16)]
    assert sum(f['hand'] for f in flags) >= 3
    assert sum(f['glare'] for f in flags) >= 3
    assert all(f['clutter'] for f in flags)
    assert sum(f['occluded'] or f['edge'] for f in flags) >= 3
    easy = [
        render_image(rng, width=320, height=240, hard=False, hand_probability=0.0).flags
        for _ in range(6)
    ]
    assert not any(f['hand'] for f in easy)


def test_hand_is_not_a_labelled_object():
    rng = np.random.default_rng(9)
    for _ in range(20):
        still = render_image(
            rng, width=320, height=240, hard=True, max_objects=1, hand_probability=1.0)
        if still.flags['n_objects'] == 0:
            continue
        assert len(still.objects) == 1  # the hand never adds a label
