"""Scripted chamber scenarios: deterministic frames, steps and ground truth per kind."""
import numpy as np
import pytest

from rvm_training.synthetic_scenarios import ACCEPTED_CLASSES, KINDS, SESSION_END, build


@pytest.mark.parametrize('kind', KINDS)
def test_every_kind_renders_deterministically_with_its_ground_truth(kind):
    a, b = build(kind, seed=3, index=1, width=160, height=120), build(
        kind, seed=3, index=1, width=160, height=120)
    assert len(a.frames) == len(b.frames) > 20
    assert all(np.array_equal(x.image, y.image) for x, y in zip(a.frames, b.frames))
    assert a.expected == b.expected and a.steps == b.steps
    # starts and ends empty (background_flicker: only the clutter that lies there all along)
    assert len(a.frames[0].objects) == len(a.frames[-1].objects) == (
        1 if kind == 'background_flicker' else 0)
    assert all(f.image.shape == (120, 160, 3) and f.image.dtype == np.uint8 for f in a.frames)
    times = [f.t for f in a.frames]
    assert times == sorted(times)


def test_ground_truth_per_kind():
    want = {
        'single': (1, None), 'nudge': (1, None), 'two_items': (1, 'multiple_objects'),
        'hand_only': (0, None), 'withdraw': (1, 'withdrawn'), 'camera_gap': (1, None),
        'session_end': (1, 'not_cleared')}
    for kind, (count, reason) in want.items():
        scenario = build(kind, seed=0, width=160, height=120)
        assert len(scenario.expected) == count, kind
        assert all(e.reason == reason for e in scenario.expected), kind
    evidence = {
        'occluded_after_judge': [None], 'dark_frames': [None], 'fast_yank': ['withdrawn'],
        'fast_push': [None], 'swap': ['withdrawn', None], 'close_pair': [None, None],
        'enter_while_clearing': [None, None], 'beside_rejected': [None, None],
        'background_flicker': [None], 'lighting_change': [None], 'camera_moved': [None]}
    for kind, reasons in evidence.items():
        scenario = build(kind, seed=0, width=160, height=120)
        assert [e.reason for e in scenario.expected] == reasons, kind
        assert scenario.expect_alert == (kind in ('lighting_change', 'camera_moved')), kind
    pair = build('enter_while_clearing', seed=0, width=160, height=120).expected
    assert pair[0].class_name == 'other' and pair[1].class_name in ACCEPTED_CLASSES
    dark = build('dark_frames', seed=0, width=160, height=120)
    assert min(f.image.mean() for f in dark.frames if f.step == 'dark') < 10
    two = build('two_items', seed=0, width=160, height=120)
    assert len(two.expected[0].classes) == 2
    # both items are really in view
    assert max(len(f.objects) for f in two.frames) == 2
    assert 'second_enters' in two.steps


def test_hand_only_never_shows_a_labelled_item_and_the_hand_is_drawn():
    scenario = build('hand_only', seed=0, width=160, height=120)
    assert all(f.objects == [] for f in scenario.frames)
    plain = scenario.frames[0].image.astype(int)
    assert max(np.abs(f.image.astype(int) - plain).mean() for f in scenario.frames) > 2.0


def test_withdraw_leaves_through_the_entry_and_single_through_the_exit():
    def last_centre(scenario):
        last = [f for f in scenario.frames if f.objects][-1].objects[0].bbox
        return (last[0] + last[2]) / 2
    assert last_centre(build('withdraw', seed=0, width=160, height=120)) < 80
    assert last_centre(build('single', seed=0, width=160, height=120)) > 80
    assert (
        build('withdraw', seed=0, width=160, height=120).expected[0].class_name in ACCEPTED_CLASSES
    )


def test_camera_gap_skips_time_and_session_end_is_an_event_with_the_item_present():
    gap = build('camera_gap', seed=0, width=160, height=120)
    assert max(b.t - a.t for a, b in zip(gap.frames, gap.frames[1:])) >= 15.0
    end = build('session_end', seed=0, width=160, height=120)
    (marked,) = [f for f in end.frames if SESSION_END in f.events]
    assert marked.objects and marked.step == 'rest'


def test_nudge_moves_the_item_by_about_80_px_at_640():
    scenario = build('nudge', seed=2, width=640, height=480)
    centres = [
        ((f.objects[0].bbox[0] + f.objects[0].bbox[2]) / 2, f.step)
        for f in scenario.frames
        if f.objects
    ]
    before = [c for c, step in centres if step == 'rest'][0]
    after = [c for c, step in centres if step == 'nudge'][-1]
    assert 60 <= abs(after - before) <= 100


def test_unknown_kind_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown scenario kind 'juggle'"):
        build('juggle')
