"""The real-photo hold-out builder and the made-mask check against true outlines."""

import json

import numpy as np
import pytest
import yaml

from real_fixtures import write_yolo
from rvm_training.class_mapping import ClassMappingError
from rvm_training.mask_check import check_masks, main as mask_check_main
from rvm_training.real_holdout import background_crop, write_holdout
from rvm_training.real_import import RealItem, RealPhoto
from rvm_training.synthetic_scene import CLASS_NAMES

MAP = 'bottle=pet_bottle,can_alu=aluminium_can,jar=glass_bottle'


def test_holdout_keeps_source_boxes_and_maps_classes(tmp_path):
    write_yolo(tmp_path / 'src', n=4, background_only=1)
    summary = write_holdout(tmp_path / 'src', MAP, tmp_path / 'out')
    assert summary['photos'] == 5 and sum(summary['items'].values()) == 6
    data = yaml.safe_load((tmp_path / 'out' / 'data.yaml').read_text())
    assert data['names'] == dict(enumerate(CLASS_NAMES))
    src = (tmp_path / 'src' / 'labels' / 'train' / 'p0.txt').read_text().split()
    out = (tmp_path / 'out' / 'labels' / 'h_000000.txt').read_text().split()
    # the same box (no made mask), class renumbered onto the model's classes
    assert len(out) == 5 and np.allclose([float(v) for v in out[1:]],
                                         [float(v) for v in src[1:]], atol=1e-5)
    assert json.loads((tmp_path / 'out' / 'holdout.json').read_text())['photos'] == 5


def test_holdout_refuses_an_unmapped_class(tmp_path):
    write_yolo(tmp_path / 'src', n=4)
    with pytest.raises(ClassMappingError, match='has no entry'):
        write_holdout(tmp_path / 'src', 'bottle=pet_bottle', tmp_path / 'out')


def test_background_crops_keep_clear_of_every_box():
    photo = RealPhoto('x.jpg', [RealItem('a', box=(0.1, 0.1, 0.4, 0.5)),
                                RealItem('b', box=(0.6, 0.5, 0.9, 0.9))])
    rng = np.random.default_rng(0)
    found = 0
    for _ in range(50):
        window = background_crop(rng, photo)
        if window is None:
            continue
        found += 1
        for item in photo.items:
            x1, y1, x2, y2 = item.box
            assert window[2] <= x1 or window[0] >= x2 or window[3] <= y1 or window[1] >= y2
    assert found > 10
    full = RealPhoto('y.jpg', [RealItem('a', box=(0.0, 0.0, 1.0, 1.0))])
    assert background_crop(rng, full) is None


def test_rejected_crops_are_not_written_and_names_keep_their_index(tmp_path):
    write_yolo(tmp_path / 'src', n=6, background_only=0)
    first = write_holdout(tmp_path / 'src', MAP, tmp_path / 'a', empty_crops=4, seed=3)
    assert first['empty_frames'] >= 2
    second = write_holdout(tmp_path / 'src', MAP, tmp_path / 'b', empty_crops=4, seed=3,
                           reject_empty=[0])
    assert second['empty_frames'] == first['empty_frames'] - 1
    assert not (tmp_path / 'b' / 'images' / 'empty_000000.jpg').exists()
    assert (tmp_path / 'b' / 'images' / 'empty_000001.jpg').exists()
    assert (tmp_path / 'b' / 'labels' / 'empty_000001.txt').read_text() == ''


def test_mask_check_measures_made_masks_against_true_outlines(tmp_path, capsys):
    write_yolo(tmp_path / 'src', n=4, polygons=True, background_only=0)
    summary = check_masks(tmp_path / 'src', overlays=tmp_path / 'png')
    made, box = summary['made_mask_iou'], summary['box_iou']
    assert made['items'] == 6 and made['mean'] > 0.85 and made['mean'] > box['mean']
    assert list((tmp_path / 'png').glob('*.png'))
    assert mask_check_main(['--data', str(tmp_path / 'src'), '--out',
                            str(tmp_path / 's.json')]) == 0
    assert json.loads((tmp_path / 's.json').read_text())['made_mask_iou']['items'] == 6


def test_mask_check_without_outlines_is_an_error(tmp_path, capsys):
    write_yolo(tmp_path / 'src', n=2)  # boxes only
    assert mask_check_main(['--data', str(tmp_path / 'src')]) == 2
    assert 'no item with a polygon' in capsys.readouterr().err
