"""Tests of the synthetic YOLO-seg dataset generator (tiny dataset; format, split properties)."""

import json

import cv2
import numpy as np
import pytest
import yaml

from rvm_training.synthetic_scene import CLASS_NAMES
from rvm_training.dataset import SPLITS, main, write_dataset


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp('ds')
    data = write_dataset(out, n_train=10, n_val=4, n_test=12, seed=1, imgsz=160)
    return out, data


def test_data_yaml_names_the_splits_and_classes(tiny):
    out, data = tiny
    cfg = yaml.safe_load(data.read_text())
    assert cfg['names'] == dict(enumerate(CLASS_NAMES))
    for split in SPLITS:
        assert (out / cfg[split]).is_dir()
    counts = {s: len(list((out / 'images' / s).glob('*.jpg'))) for s in SPLITS}
    assert counts == {'train': 10, 'val': 4, 'test': 12}
    for split in SPLITS:
        assert len(list((out / 'labels' / split).glob('*.txt'))) == counts[split]


def test_images_have_the_requested_size(tiny):
    out, _ = tiny
    img = cv2.imread(str(next((out / 'images' / 'train').glob('*.jpg'))))
    assert img.shape == (120, 160, 3)


def test_labels_are_valid_normalised_polygons(tiny):
    out, _ = tiny
    n_objects = 0
    for label in (out / 'labels').rglob('*.txt'):
        for line in label.read_text().splitlines():
            parts = line.split()
            assert int(parts[0]) in range(len(CLASS_NAMES))
            coords = np.array(parts[1:], float)
            assert coords.size >= 6 and coords.size % 2 == 0
            assert ((coords >= 0) & (coords <= 1)).all()
            n_objects += 1
    assert n_objects >= 15


def test_meta_matches_labels_and_test_split_is_hard(tiny):
    out, _ = tiny
    test_meta = [
        json.loads(line) for line in (out / 'meta' / 'test.jsonl').read_text().splitlines()]
    assert len(test_meta) == 12 and all(m['hard'] for m in test_meta)
    for m in test_meta:
        lines = (
            (out / 'labels' / 'test' / m['image'].replace('.jpg', '.txt')).read_text().splitlines()
        )
        assert len(lines) == m['n_objects']
    assert all(m['clutter'] for m in test_meta)
    assert sum(m['hand'] for m in test_meta) >= 2
    assert sum(m['glare'] for m in test_meta) >= 2
    assert sum(m['occluded'] or m['edge'] for m in test_meta) >= 2
    info = json.loads((out / 'dataset.json').read_text())
    assert info['seed'] == 1 and info['splits']['test']['hard_fraction'] == 1.0
    assert info['splits']['test']['flags']['hand'] == sum(m['hand'] for m in test_meta)


def test_same_seed_gives_the_same_dataset(tiny, tmp_path):
    out, _ = tiny
    main(
        [
            '--out', str(tmp_path), '--train', '2', '--val', '1', '--test', '1', '--seed', '1',
            '--imgsz', '160']
    )
    for split, name in (('train', '000001'), ('test', '000000')):
        assert (tmp_path / 'labels' / split / f'{name}.txt').read_text() == \
            (out / 'labels' / split / f'{name}.txt').read_text()


def test_train_start_adds_fresh_train_images_and_keeps_val_and_test(tiny, tmp_path):
    out, _ = tiny
    main(
        [
            '--out', str(tmp_path), '--train', '4', '--train-start', '8', '--val', '1', '--test',
            '2', '--seed', '1', '--imgsz', '160', '--train-hard-fraction', '0.5']
    )
    names = sorted(p.name for p in (tmp_path / 'images' / 'train').glob('*.jpg'))
    assert names == ['000008.jpg', '000009.jpg', '000010.jpg', '000011.jpg']
    for name in ('000008', '000009'):
        # overlap with the tiny set: the same samples, hard flag included
        assert (tmp_path / 'labels' / 'train' / f'{name}.txt').read_text() == \
            (out / 'labels' / 'train' / f'{name}.txt').read_text()
    for name in ('000000', '000001'):
        assert (tmp_path / 'labels' / 'test' / f'{name}.txt').read_text() == \
            (out / 'labels' / 'test' / f'{name}.txt').read_text()
    meta = [
        json.loads(line) for line in (tmp_path / 'meta' / 'train.jsonl').read_text().splitlines()]
    assert [m['image'] for m in meta] == names
    assert json.loads((tmp_path / 'dataset.json').read_text())['train_start'] == 8
