"""Empty chamber frames and the wider chamber geometry (slots, back-light, side/top views)."""

import cv2
import numpy as np
import pytest

from rvm_training.chamber_backgrounds import STYLES, make_background, render_empty
from rvm_training.chamber_views import render_chamber_still, write_chamber_split
from rvm_training.mixed_dataset import write_empty_split
from rvm_training.synthetic_scene import CLASS_NAMES


@pytest.mark.parametrize('style', STYLES)
def test_every_background_style_renders_and_is_seeded(style):
    a = make_background(np.random.default_rng(3), 160, 120, style)
    b = make_background(np.random.default_rng(3), 160, 120, style)
    assert a.shape == (120, 160, 3) and np.array_equal(a, b)
    assert 0 <= a.min() and a.max() <= 255


def test_backgrounds_differ_and_cover_dark_and_bright_scenes():
    means = [render_empty(np.random.default_rng([1, i]), 160, 120).mean() for i in range(40)]
    assert len({round(m, 1) for m in means}) > 30
    assert min(means) < 60 and max(means) > 110


def test_empty_frames_have_empty_label_files(tmp_path):
    assert write_empty_split(tmp_path, 'train', 5, seed=0, imgsz=160) == 5
    labels = sorted((tmp_path / 'labels' / 'train').glob('empty_*.txt'))
    assert len(labels) == 5 and all(p.read_text() == '' for p in labels)
    image = cv2.imread(str(tmp_path / 'images' / 'train' / 'empty_000000.jpg'))
    assert image.shape == (120, 160, 3)


def _stills(view, n=20):
    return [render_chamber_still(np.random.default_rng([5, i]), 160, 120, view=view)
            for i in range(n)]


def test_side_view_items_stand_upright_or_lie_on_the_floor():
    upright = lying = 0
    for still in _stills('side'):
        assert still.flags['view'] == 'side'
        for obj in still.objects:
            x1, y1, x2, y2 = obj.bbox
            assert obj.class_name in CLASS_NAMES
            if y2 - y1 > 1.5 * (x2 - x1):
                upright += 1
            elif x2 - x1 > 1.5 * (y2 - y1):
                lying += 1
    assert upright >= 3 and lying >= 3


def test_slot_panel_hides_what_is_outside_the_opening():
    seen = 0
    for i in range(40):
        still = render_chamber_still(np.random.default_rng([6, i]), 160, 120)
        if not still.flags['slot'] or not still.objects:
            continue
        seen += 1
        dark = still.image.mean(axis=2) < 60
        for obj in still.objects:
            mask = np.zeros(still.image.shape[:2], np.uint8)
            cv2.fillPoly(mask, [obj.polygon.astype(np.int32)], 1)
            # the labelled outline lies inside the lit opening, not on the dark panel
            assert dark[mask.astype(bool)].mean() < 0.95
    assert seen >= 5


def test_flags_cover_backlight_views_and_empty_stills():
    stills = [render_chamber_still(np.random.default_rng([7, i]), 160, 120) for i in range(50)]
    assert any(s.flags['backlit'] for s in stills) and not all(s.flags['backlit'] for s in stills)
    assert {s.flags['view'] for s in stills} == {'side', 'above'}
    assert any(not s.objects for s in stills)


def test_write_chamber_split_labels_match_objects(tmp_path):
    assert write_chamber_split(tmp_path, 'train', 6, seed=1, imgsz=160) == 6
    for label in (tmp_path / 'labels' / 'train').glob('view_*.txt'):
        for line in label.read_text().splitlines():
            parts = line.split()
            assert 0 <= int(parts[0]) < len(CLASS_NAMES)
            coords = np.array([float(v) for v in parts[1:]])
            assert len(coords) >= 6 and coords.min() >= 0 and coords.max() <= 1
