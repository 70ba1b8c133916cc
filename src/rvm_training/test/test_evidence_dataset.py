"""``rvm-make-dataset --from-evidence``: a machine's kept verdicts as a labelled YOLO-seg set."""
import json

import cv2
import numpy as np
import yaml

from rvm_training.dataset import main
from rvm_training.evidence_dataset import split_of, write_evidence_dataset


def keep(folder, event_id, class_name='pet_bottle', reason=None, polygon=True, frame=True):
    """One verdict folder as rvm_detector.evidence_store writes it."""
    path = folder / event_id
    path.mkdir(parents=True)
    if frame:
        image = np.zeros((480, 640, 3), np.uint8)
        image[100:300, 160:480] = 200
        cv2.imwrite(str(path / 'frame.jpg'), image)
    verdict = {'event_id': event_id, 'item_id': f'item-{event_id}', 'class_name': class_name,
               'accepted': reason is None, 'reason': reason,
               'frame': {'width': 640, 'height': 480},
               'mask': {'polygon': [[160, 100], [480, 100], [480, 300], [160, 300]]}
               if polygon else None}
    (path / 'verdict.json').write_text(json.dumps(verdict))


def test_kept_verdicts_become_labelled_images_and_unusable_ones_are_counted(tmp_path):
    src = tmp_path / 'evidence'
    keep(src, 'aaaa-1', 'aluminium_can')
    keep(src, 'bbbb-2', 'other', reason='category_not_accepted')
    keep(src, 'cccc-3', reason='multiple_objects')
    keep(src, 'dddd-4', polygon=False)
    keep(src, 'eeee-5', 'hand')
    keep(src, 'ffff-6', frame=False)
    summary = write_evidence_dataset(src, tmp_path / 'out', imgsz=320, val_share=0.0)
    assert summary['images'] == {'train': 2, 'val': 0}
    assert summary['classes'] == {'aluminium_can': 1, 'other': 1}
    assert summary['skipped'] == {'class not in the model': 1, 'no mask': 1,
                                  'several objects': 1, 'unreadable frame.jpg': 1}
    label = (tmp_path / 'out' / 'labels' / 'train' / 'aaaa-1.txt').read_text().split()
    assert label[0] == '1'                                          # aluminium_can
    assert [float(v) for v in label[1:3]] == [0.25, round(100 / 480, 6)]   # normalised
    image = cv2.imread(str(tmp_path / 'out' / 'images' / 'train' / 'aaaa-1.jpg'))
    assert image.shape == (240, 320, 3)
    data = yaml.safe_load((tmp_path / 'out' / 'data.yaml').read_text())
    assert data['names'][1] == 'aluminium_can' and (tmp_path / 'out' / 'images' / 'val').is_dir()


def test_operator_corrections_relabel_or_drop_disputed_items(tmp_path, capsys):
    src = tmp_path / 'evidence'
    keep(src, 'aaaa-1', 'other', reason='category_not_accepted')   # disputed: was a PET bottle
    keep(src, 'bbbb-2', 'glass_bottle')
    keep(src, 'cccc-3', reason='multiple_objects')                 # operator: one glass bottle
    relabel = tmp_path / 'relabel.json'
    relabel.write_text(json.dumps({'aaaa': 'pet_bottle', 'item-bbbb': 'drop',
                                   'cccc-3': 'glass_bottle'}))
    code = main(['--from-evidence', str(src), '--relabel', str(relabel), '--out',
                 str(tmp_path / 'out'), '--val-share', '0'])
    out = capsys.readouterr().out
    assert code == 0 and '2 train, 0 val from 3 verdicts' in out
    assert 'dropped by --relabel 1' in out
    assert (tmp_path / 'out' / 'labels' / 'train' / 'aaaa-1.txt').read_text().startswith('0 ')
    assert (tmp_path / 'out' / 'labels' / 'train' / 'cccc-3.txt').read_text().startswith('2 ')


def test_bad_input_is_named(tmp_path, capsys):
    assert main(['--from-evidence', str(tmp_path / 'missing'), '--out', str(tmp_path)]) == 2
    assert 'no such folder' in capsys.readouterr().out
    relabel = tmp_path / 'r.json'
    relabel.write_text('{"x": "bottle"}')
    (tmp_path / 'ev').mkdir()
    assert main(['--from-evidence', str(tmp_path / 'ev'), '--relabel', str(relabel)]) == 2
    assert "unknown class(es) ['bottle']" in capsys.readouterr().out


def test_val_split_is_a_stable_share_of_event_ids():
    ids = [f'{i:08x}-event' for i in range(2000)]
    val = [i for i in ids if split_of(i, 0.1) == 'val']
    assert 150 < len(val) < 250
    assert val == [i for i in ids if split_of(i, 0.1) == 'val']
