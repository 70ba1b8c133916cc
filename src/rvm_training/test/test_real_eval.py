"""rvm-eval-real on rendered photo folders in each layout: counts, confusion, mAP, errors."""

import json

import numpy as np
import pytest
from real_photo_fixture import (
    OracleSegmenter, draw_stills, write_class_folders, write_coco, write_empty, write_yolo)

from rvm_detector.detection import Detection
from rvm_training import real_eval
from rvm_training.real_eval import evaluate_photos, parse_mapping
from rvm_training.real_folders import RealDataError, read_folder
from rvm_training.real_report import format_report

PER_CLASS, EMPTIES = 2, 3
# still index (class order: 2 pet, 2 can, 2 glass, 2 other) -> wrong label in the folder
MISLABEL = {2: 'pet_bottle'}          # the first can is labelled as a PET bottle
MISSED_INDEX = 4                      # the oracle finds nothing on the first glass bottle


def identity(name):
    return name


@pytest.fixture(scope='module')
def stills():
    return draw_stills(PER_CLASS, EMPTIES)


def _labels(items):
    return [MISLABEL.get(i, s.objects[0].class_name) for i, s in enumerate(items)]


def _oracle(items, empties):
    oracle = OracleSegmenter(items, empties)
    oracle.set_answer(items[MISSED_INDEX], [])
    # one empty frame shows a confident 'other', another only a weak one under conf 0.25
    oracle.set_answer(empties[0], [Detection(3, 'other', 0.6, (10.0, 10.0, 60.0, 80.0))])
    oracle.set_answer(empties[1], [Detection(2, 'glass_bottle', 0.1, (5.0, 5.0, 40.0, 40.0))])
    return oracle


WRITERS = {'yolo': write_yolo, 'coco': write_coco, 'folders': write_class_folders}


@pytest.mark.parametrize('layout', sorted(WRITERS))
def test_counts_and_confusion_matrix_follow_the_fixture(layout, stills, tmp_path):
    items, empties = stills
    WRITERS[layout](tmp_path, items, labels=_labels(items))
    write_empty(tmp_path, empties, folder='background' if layout == 'coco' else 'empty')
    folder = read_folder(tmp_path)
    assert folder.layouts == [layout, 'empty']
    report = evaluate_photos(folder, {}, _oracle(items, empties), identity)

    confusion = report['confusion']
    assert confusion['pet_bottle'] == {'pet_bottle': 2, 'aluminium_can': 1, 'glass_bottle': 0,
                                       'other': 0, 'missed': 0}
    assert confusion['aluminium_can'] == {'pet_bottle': 0, 'aluminium_can': 1,
                                          'glass_bottle': 0, 'other': 0, 'missed': 0}
    assert confusion['glass_bottle'] == {'pet_bottle': 0, 'aluminium_can': 0,
                                         'glass_bottle': 1, 'other': 0, 'missed': 1}
    assert confusion['other']['other'] == 2
    per = report['per_class']
    assert (per['pet_bottle']['items'], per['pet_bottle']['top1_correct']) == (3, 2)
    assert per['glass_bottle']['detection_rate'] == 0.5
    assert report['overall'] == {
        'items': 8, 'detected': 7, 'detection_rate': 0.875, 'top1_correct': 6,
        'top1_accuracy': 0.75, 'top1_accuracy_of_detected': round(6 / 7, 4)}
    assert report['empty']['frames'] == 3 and report['empty']['with_detection'] == 1
    assert report['empty']['fp_rate'] == round(1 / 3, 4)
    assert report['photos'] == {'found': 11, 'evaluated': 11, 'skipped_unreadable': 0,
                                'dropped_by_map': 0}
    mistakes = {(m['photo'].rsplit('/', 1)[1], m['labelled'], m['predicted'])
                for m in report['mistakes']}
    assert mistakes == {('photo_002.png', 'pet_bottle', 'aluminium_can'),
                        ('photo_004.png', 'glass_bottle', 'missed'),
                        ('empty_000.png', 'empty', 'other')}

    table = format_report(report)
    rates_part, matrix_part = table.split('confusion matrix', 1)
    rows = {ln.split()[0]: ln.split()[1:] for ln in rates_part.splitlines() if ln.strip()}
    assert rows['aluminium_can'][:2] == ['1', '1']               # items, detected
    assert rows['all'][:5] == ['8', '7', '0.875', '6', '0.750']
    matrix = {ln.split()[0]: ln.split()[1:] for ln in matrix_part.splitlines()[2:6]}
    assert matrix['pet_bottle'] == ['2', '1', '0', '0', '0']
    assert matrix['glass_bottle'] == ['0', '0', '1', '0', '1']
    assert 'empty frames: 3, with a detection: 1 (false-positive rate 0.333' in table
    assert '3 mistake(s) (all in --json), first 3:' in table
    assert 'photo_002.png: pet_bottle -> aluminium_can (0.90)' in table


@pytest.mark.parametrize('layout', ['yolo', 'coco'])
def test_box_and_mask_map_from_labelled_outlines(layout, stills, tmp_path):
    items, empties = stills
    WRITERS[layout](tmp_path, items)                       # correct labels
    write_empty(tmp_path, empties)
    report = evaluate_photos(read_folder(tmp_path), {}, _oracle(items, empties), identity)
    for kind in ('box', 'mask'):
        block = report[f'{kind}_map']
        assert block['items'] == 8 and block['images'] == 11
        # exact outlines: every found item is right at every IoU threshold
        for category in ('pet_bottle', 'aluminium_can', 'other'):
            assert block['per_class'][category]['map50_95'] == pytest.approx(1.0, abs=0.01)
        # one of two glass bottles missed: precision 1 up to recall 0.5 (51 of 101 points)
        assert block['per_class']['glass_bottle']['map50'] == pytest.approx(51 / 101, abs=0.01)
    assert 'box mAP50 0.8' in format_report(report)


def test_class_folders_have_no_map_and_say_why(stills, tmp_path):
    items, empties = stills
    write_class_folders(tmp_path, items)
    report = evaluate_photos(read_folder(tmp_path), {}, _oracle(items, empties), identity)
    assert report['box_map'] is None and report['mask_map'] is None
    assert 'box mAP: n/a (no photo whose items all have boxes)' in format_report(report)


def test_corrupt_images_are_skipped_counted_and_named(stills, tmp_path):
    items, empties = stills
    write_yolo(tmp_path, items)
    (tmp_path / 'images' / 'broken.jpg').write_bytes(b'\xff\xd8 not really a jpeg')
    (tmp_path / 'images' / 'zero.png').write_bytes(b'')
    oracle = _oracle(items, empties)
    report = evaluate_photos(read_folder(tmp_path), {}, oracle, identity)
    assert report['photos']['skipped_unreadable'] == 2 and oracle.calls == 8
    assert sorted(s['path'].rsplit('/', 1)[1] for s in report['skipped']) == [
        'broken.jpg', 'zero.png']
    assert report['overall']['items'] == 8
    assert 'skipped 2 unreadable image(s):' in format_report(report)
    assert 'broken.jpg' in format_report(report)


def test_unknown_class_names_are_named_with_the_map_option(stills, tmp_path, capsys):
    items, empties = stills
    names = ['pet', 'cans', 'glass_bottle', 'other']
    write_class_folders(tmp_path, items, labels=[names[i // 2] for i in range(8)])
    assert real_eval.main(['--data', str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "'cans', 'pet'" in err and '--class-map NAME=CATEGORY' in err
    mapping = parse_mapping(['pet=pet_bottle,cans=aluminium_can'])
    report = evaluate_photos(read_folder(tmp_path), mapping, _oracle(items, empties), identity)
    assert report['class_mapping']['cans'] == 'aluminium_can'
    assert report['overall']['top1_correct'] == 7 and report['overall']['items'] == 8
    dropped = parse_mapping(['pet=ignore', 'cans=aluminium_can'])      # ignore: same as drop
    assert dropped == {'pet': 'drop', 'cans': 'aluminium_can'}
    report = evaluate_photos(read_folder(tmp_path), dropped, _oracle(items, empties), identity)
    assert report['photos']['dropped_by_map'] == 2 and report['overall']['items'] == 6


def test_mapping_file_and_bad_mappings(tmp_path):
    path = tmp_path / 'map.yaml'
    path.write_text('PET: pet_bottle\ncan: aluminium_can\n')
    assert parse_mapping([str(path)]) == {'pet': 'pet_bottle', 'can': 'aluminium_can'}
    with pytest.raises(RealDataError, match="target 'bottle' of 'pet' is not one of pet_bottle"):
        parse_mapping(['pet=bottle'])
    with pytest.raises(RealDataError, match='is not "source=target"'):
        parse_mapping(['pet'])


def test_a_folder_of_empty_frames_alone_gives_the_false_positive_rate(stills, tmp_path):
    items, empties = stills
    write_empty(tmp_path, empties, folder='background')
    folder = read_folder(tmp_path)
    assert folder.layouts == ['empty'] and all(img.empty for img in folder.images)
    report = evaluate_photos(folder, {}, _oracle(items, empties), identity)
    assert report['overall']['items'] == 0 and report['box_map'] is None
    assert (report['empty']['frames'], report['empty']['with_detection']) == (3, 1)
    assert report['empty']['top_class']['other'] == 1 and report['empty']['max_conf'] == 0.6


def test_empty_and_missing_folders_are_clear_errors(tmp_path, capsys):
    assert real_eval.main(['--data', str(tmp_path)]) == 2
    assert 'no images found in' in capsys.readouterr().err
    assert real_eval.main(['--data', str(tmp_path / 'nope')]) == 2
    assert 'photo folder not found' in capsys.readouterr().err


def test_bad_yolo_labels_name_the_file(stills, tmp_path):
    items, _ = stills
    write_yolo(tmp_path, items[:1])
    (tmp_path / 'data.yaml').unlink()
    with pytest.raises(RealDataError, match='YOLO layout without class names'):
        read_folder(tmp_path)
    (tmp_path / 'classes.txt').write_text('pet_bottle\n')
    (tmp_path / 'labels' / 'photo_000.txt').write_text('0 0.5 0.5\n')
    with pytest.raises(RealDataError, match=r'photo_000.txt:1: a line needs 4 box values'):
        read_folder(tmp_path)
    (tmp_path / 'labels' / 'photo_000.txt').write_text('3 0.5 0.5 0.1 0.1\n')
    with pytest.raises(RealDataError, match='class id 3 outside the 1 names'):
        read_folder(tmp_path)


@pytest.mark.slow
def test_command_with_the_bundled_model_prints_and_writes_the_same_figures(
        stills, tmp_path, capsys):
    from rvm_detector.model_loader import BUNDLED_MODEL
    if not BUNDLED_MODEL.exists():
        pytest.skip(f'trained model not committed ({BUNDLED_MODEL.name})')
    items, empties = stills
    write_yolo(tmp_path / 'photos', items)
    write_empty(tmp_path / 'photos', empties)
    out = tmp_path / 'figures.json'
    assert real_eval.main(['--data', str(tmp_path / 'photos'), '--threads', '2',
                           '--json', str(out)]) == 0
    printed = capsys.readouterr().out
    report = json.loads(out.read_text())
    assert report['overall']['items'] == 8 and report['empty']['frames'] == 3
    assert report['model'].endswith(BUNDLED_MODEL.name)
    row = next(ln for ln in printed.splitlines() if ln.startswith('all '))
    assert row.split()[:3] == ['all', '8', str(report['overall']['detected'])]
    assert sum(sum(r.values()) for r in report['confusion'].values()) == 8
    # clean renders of the kind the model was trained on: most items are found and named
    assert report['overall']['top1_correct'] >= 6, printed
    assert np.isfinite(report['box_map']['map50'])


@pytest.mark.slow
def test_map_agrees_with_ultralytics_val_on_the_same_photos(tmp_path):
    """Own matching + ap_per_class vs Ultralytics' validator (rect batches, 160 px masks)."""
    from rvm_detector.model_loader import BUNDLED_MODEL, offline_ultralytics
    if not BUNDLED_MODEL.exists():
        pytest.skip(f'trained model not committed ({BUNDLED_MODEL.name})')
    items, _ = draw_stills(6, 0, seed=23)
    write_yolo(tmp_path / 'photos', items)
    out = tmp_path / 'figures.json'
    assert real_eval.main(['--data', str(tmp_path / 'photos'), '--threads', '2',
                           '--json', str(out)]) == 0
    ours = json.loads(out.read_text())
    (tmp_path / 'val.yaml').write_text(
        f'path: {tmp_path / "photos"}\ntrain: images\nval: images\n'
        'names: {0: pet_bottle, 1: aluminium_can, 2: glass_bottle, 3: other}\n')
    offline_ultralytics()
    from ultralytics import YOLO
    theirs = YOLO(str(BUNDLED_MODEL)).val(
        data=str(tmp_path / 'val.yaml'), imgsz=320, batch=8, device='cpu', plots=False,
        iou=0.5, agnostic_nms=True, max_det=100, workers=0, verbose=False,
        project=str(tmp_path / 'val'))
    assert ours['box_map']['map50_95'] == pytest.approx(theirs.box.map, abs=0.03)
    assert ours['mask_map']['map50_95'] == pytest.approx(theirs.seg.map, abs=0.03)
    assert ours['box_map']['map50'] == pytest.approx(theirs.box.map50, abs=0.03)
