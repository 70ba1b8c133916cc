"""Importing labelled real photos: the three layouts, class mapping, masks, the real mix."""

import json

import cv2
import numpy as np
import pytest
import yaml

from real_fixtures import SOURCE_CLASSES, write_coco, write_folders, write_yolo
from rvm_training.box_masks import mask_iou
from rvm_training.class_mapping import ClassMappingError, load_class_mapping
from rvm_training.dataset import main as make_dataset_main
from rvm_training.mixed_dataset import synthetic_count, write_mixed_dataset
from rvm_training.real_import import (
    RealImportError, detect_layout, read_photos, source_classes)
from rvm_training.real_samples import write_real_split
from rvm_training.synthetic_scene import CLASS_NAMES

MAPPING = {'bottle': 'pet_bottle', 'can_alu': 'aluminium_can', 'Jar': 'glass_bottle'}


def _labels(folder):
    return {p.stem: [line.split() for line in p.read_text().splitlines()]
            for p in sorted(folder.glob('*.txt'))}


def _polygon_mask(parts, shape):
    h, w = shape
    pts = (np.array([float(v) for v in parts[1:]]).reshape(-1, 2) * [w, h]).astype(np.int32)
    mask = np.zeros((h, w), np.uint8)
    cv2.fillPoly(mask, [pts], 1)
    return mask.astype(bool)


@pytest.mark.parametrize('layout,writer', [
    ('yolo', write_yolo), ('coco', write_coco), ('folders', write_folders)])
def test_each_layout_is_detected_and_read(tmp_path, layout, writer):
    writer(tmp_path / 'src')
    assert detect_layout(tmp_path / 'src') == layout
    photos = read_photos(tmp_path / 'src')
    assert photos and set(source_classes(photos)) <= set(SOURCE_CLASSES)
    if layout == 'folders':
        assert all(len(p.items) == 1 and p.items[0].box is None for p in photos)
    else:
        boxed = [i for p in photos for i in p.items]
        assert boxed and all(0 <= b <= 1 for i in boxed for b in i.box)


def test_yolo_boxes_become_masks_close_to_the_true_shape(tmp_path):
    truth = write_yolo(tmp_path / 'src', n=6)
    photos = read_photos(tmp_path / 'src', 'yolo')
    stats = write_real_split(photos, load_class_mapping(MAPPING), tmp_path / 'out', 'train', 200,
                             'r0')
    assert stats['images'] == 7 and stats['background_only'] == 1
    assert stats['masks'].get('grabcut', 0) >= 6  # every box item got a made mask
    meta = [json.loads(line) for line in
            (tmp_path / 'out' / 'meta' / 'train_r0.jsonl').read_text().splitlines()]
    labels = _labels(tmp_path / 'out' / 'labels' / 'train')
    ious = []
    for record in meta:
        name = record['source'].rsplit('/', 1)[-1]
        stem = record['image'][:-4]
        items = truth[name]
        assert len(labels[stem]) == len(items)
        for parts, (cls, mask) in zip(labels[stem], items):
            expected = CLASS_NAMES.index(MAPPING[
                {'Bottle': 'bottle', 'Can-Alu': 'can_alu', 'jar': 'Jar'}[SOURCE_CLASSES[cls]]])
            assert int(parts[0]) == expected
            ious.append(mask_iou(_polygon_mask(parts, mask.shape), mask))
    assert min(ious) > 0.8, ious


def test_yolo_polygons_are_kept(tmp_path):
    write_yolo(tmp_path / 'src', n=3, polygons=True, background_only=0)
    photos = read_photos(tmp_path / 'src')
    assert all(i.polygon is not None for p in photos for i in p.items)
    stats = write_real_split(photos, load_class_mapping(MAPPING), tmp_path / 'out', 'train', 200,
                             'r0')
    assert stats['masks'] == {'polygon': sum(len(p.items) for p in photos)}


def test_coco_boxes_are_imported_with_mapped_classes(tmp_path):
    write_coco(tmp_path / 'src', n=4)
    photos = read_photos(tmp_path / 'src')
    stats = write_real_split(photos, load_class_mapping(MAPPING), tmp_path / 'out', 'val', 160,
                             'r1')
    assert stats['images'] == 4
    assert sum(stats['items'].values()) == 4
    img = cv2.imread(str(next((tmp_path / 'out' / 'images' / 'val').glob('r1_*.jpg'))))
    assert max(img.shape[:2]) == 160


def test_a_standard_coco_file_with_a_long_header_is_read_as_coco(tmp_path):
    """info, licences and images first: 'annotations' starts far past the first kilobytes."""
    write_coco(tmp_path / 'src', n=4)
    path = tmp_path / 'src' / 'annotations.json'
    data = json.loads(path.read_text())
    licences = [{'id': k, 'name': f'licence {k}', 'url': 'https://example.org/' + 'x' * 80}
                for k in range(60)]
    standard = {'info': {'description': 'exported by a labelling tool'}, 'licenses': licences,
                'images': data['images'], 'annotations': data['annotations'],
                'categories': data['categories']}
    path.write_text(json.dumps(standard))
    assert path.read_text().index('"annotations"') > 4096
    assert detect_layout(tmp_path / 'src') == 'coco'
    assert len(read_photos(tmp_path / 'src')) == 4


def test_class_folders_get_a_plain_background_mask(tmp_path):
    write_folders(tmp_path / 'src', per_class=2)
    stats = write_real_split(read_photos(tmp_path / 'src'), load_class_mapping(MAPPING),
                             tmp_path / 'out', 'train', 200, 'r0')
    assert stats['images'] == 6 and stats['masks'] == {'threshold': 6}
    assert stats['items'] == {'pet_bottle': 2, 'aluminium_can': 2, 'glass_bottle': 2}


def test_unknown_source_class_is_a_clear_error(tmp_path):
    write_folders(tmp_path / 'src', per_class=1)
    mapping = load_class_mapping('bottle=pet_bottle, jar=glass_bottle')
    with pytest.raises(ClassMappingError, match="'Can-Alu' has no entry in the class map"):
        mapping.check(source_classes(read_photos(tmp_path / 'src')))
    with pytest.raises(ClassMappingError, match="has no entry"):
        write_mixed_dataset(tmp_path / 'out', [(tmp_path / 'src', 'auto')],
                            'bottle=pet_bottle', n_train=1, n_val=1, n_test=0)


def test_class_map_errors_name_the_problem(tmp_path):
    with pytest.raises(ClassMappingError, match="target 'bottel' of 'a' is not one of"):
        load_class_mapping('a=bottel')
    with pytest.raises(ClassMappingError, match='not "source=target"'):
        load_class_mapping('a:pet_bottle')
    with pytest.raises(ClassMappingError, match='class map file not found'):
        load_class_mapping(str(tmp_path / 'missing.yaml'))
    path = tmp_path / 'map.yaml'
    path.write_text(yaml.safe_dump({'Glass Bottle': 'glass_bottle', 'cable': 'drop'}))
    mapping = load_class_mapping(str(path))
    assert mapping.index('glass-bottle') == CLASS_NAMES.index('glass_bottle')
    assert mapping.index('Cable') is None


def test_a_dropped_class_skips_the_whole_photo(tmp_path):
    write_folders(tmp_path / 'src', per_class=2)
    mapping = load_class_mapping('bottle=pet_bottle, can_alu=drop, jar=glass_bottle')
    stats = write_real_split(read_photos(tmp_path / 'src'), mapping, tmp_path / 'out', 'train',
                             200, 'r0')
    assert stats['images'] == 4 and stats['skipped'] == {'dropped_class': 2}


def test_broken_yolo_label_names_file_and_line(tmp_path):
    write_yolo(tmp_path / 'src', n=1, background_only=0)
    label = tmp_path / 'src' / 'labels' / 'train' / 'p0.txt'
    label.write_text('0 0.5 0.5 0.2 0.2\n9 0.1 0.1 0.1 0.1\n')
    with pytest.raises(RealImportError, match=r'p0\.txt:2: class id 9'):
        read_photos(tmp_path / 'src')


def test_missing_folder_and_unknown_layout_are_errors(tmp_path):
    with pytest.raises(RealImportError, match='photo folder not found'):
        detect_layout(tmp_path / 'nope')
    (tmp_path / 'empty').mkdir()
    with pytest.raises(RealImportError, match='no YOLO labels'):
        detect_layout(tmp_path / 'empty')


def test_real_share_sets_the_synthetic_count():
    assert synthetic_count(300, 0.5) == 300
    assert synthetic_count(300, 0.25) == 900
    assert synthetic_count(300, 1.0) == 0
    with pytest.raises(ValueError, match='--real-share'):
        synthetic_count(10, 0.0)


def test_make_dataset_mixes_real_synthetic_and_empty_in_the_given_ratio(tmp_path):
    write_folders(tmp_path / 'src', per_class=4)
    out = tmp_path / 'ds'
    assert make_dataset_main([
        '--out', str(out), '--real', str(tmp_path / 'src'), '--class-map',
        'bottle=pet_bottle,can_alu=aluminium_can,jar=glass_bottle', '--real-share', '0.25',
        '--real-val-share', '0.0', '--empty', '10', '--views', '4', '--val', '2', '--test', '0',
        '--imgsz', '160']) == 0
    train = [p.stem for p in (out / 'images' / 'train').glob('*.jpg')]
    real = [n for n in train if n.startswith('r0_')]
    empty = [n for n in train if n.startswith('empty_')]
    synthetic = [n for n in train if n.isdigit()]
    views = [n for n in train if n.startswith('view_')]
    assert len(real) == 12 and len(empty) == 10 and len(views) == 4
    assert len(synthetic) == 36  # real photos are a quarter of real + synthetic
    for name in empty:
        assert (out / 'labels' / 'train' / f'{name}.txt').read_text() == ''
    info = json.loads((out / 'dataset.json').read_text())
    assert info['real_train_images'] == 12 and info['real_share'] == 0.25
    assert len(list((out / 'images' / 'val').glob('empty_*.jpg'))) == 1
    assert yaml.safe_load((out / 'data.yaml').read_text())['names'] == dict(
        enumerate(CLASS_NAMES))


def test_make_dataset_refuses_real_without_class_map(tmp_path, capsys):
    with pytest.raises(SystemExit):
        make_dataset_main(['--out', str(tmp_path / 'x'), '--real', str(tmp_path)])
    assert '--real needs --class-map' in capsys.readouterr().err
