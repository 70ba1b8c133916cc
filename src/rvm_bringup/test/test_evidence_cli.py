"""``rvm-edge evidence``: finds a kept verdict, prints where it is, exports it with the mask."""
import dataclasses

import cv2
import numpy as np

from rvm_bringup.evidence_cli import default_evidence_dir, with_evidence_dir
from rvm_bringup.run_banner import evidence_text
from rvm_bringup.runner import main
from rvm_common.events import TOPIC_VERDICT
from rvm_detector.detector_config import DetectorConfig
from rvm_detector.evidence import EvidenceHook
from rvm_detector.evidence_store import EvidenceStore


def keep_one(folder):
    frame = np.full((480, 640, 3), 40, np.uint8)
    frame[150:260, 200:360] = (0, 0, 255)
    verdict = {
        'event_id': '0b8f6f0e-3c9a-4d7e-9a54-6d3f1f2b9c11', 'item_id': 'e4125e8a-0000-4000-8000-1',
        'class_name': 'pet_bottle', 'confidence': 0.91, 'accepted': False,
        'reason': 'low_confidence', 'capture_time': '2026-12-06T04:00:00.000Z',
        'bbox': {'x1': 200, 'y1': 150, 'x2': 360, 'y2': 260},
        'mask': {'polygon': [[200, 150], [360, 150], [360, 260], [200, 260]]}}
    EvidenceHook(save=EvidenceStore(folder).save).attach(None, [(TOPIC_VERDICT, verdict)], frame)
    return verdict


def test_evidence_prints_where_a_verdict_is_kept_and_exports_it(tmp_path, capsys):
    verdict = keep_one(tmp_path / 'evidence')
    code = main(['evidence', 'e4125e8a', '--dir', str(tmp_path / 'evidence'),
                 '--export', str(tmp_path / 'out')])
    out = capsys.readouterr().out
    assert code == 0
    assert f"verdict {verdict['event_id']} (item {verdict['item_id']})" in out
    assert 'pet_bottle conf 0.91 REJECT (low_confidence)' in out
    assert str(tmp_path / 'evidence' / verdict['event_id'] / 'frame.jpg') in out
    annotated = cv2.imread(str(tmp_path / 'out' / 'frame_annotated.jpg'))
    assert tuple(annotated[150, 280]) != (0, 0, 255)              # the outline is drawn
    assert (tmp_path / 'out' / 'crop_annotated.jpg').is_file()
    assert (tmp_path / 'out' / 'crop.jpg').read_bytes() == (
        tmp_path / 'evidence' / verdict['event_id'] / 'crop.jpg').read_bytes()


def test_evidence_list_and_clear_errors(tmp_path, capsys):
    keep_one(tmp_path)
    assert main(['evidence', '--list', '--dir', str(tmp_path)]) == 0
    assert '1 verdicts kept in' in capsys.readouterr().out
    assert main(['evidence', 'ffff0000', '--dir', str(tmp_path)]) == 2
    assert "no verdict 'ffff0000'" in capsys.readouterr().err
    assert main(['evidence', '--dir', str(tmp_path)]) == 2
    assert 'give an EVENT_ID' in capsys.readouterr().err


def test_runner_keeps_evidence_beside_the_outbox_unless_the_params_say_otherwise(tmp_path):
    assert default_evidence_dir(str(tmp_path / 'outbox.sqlite3')) == str(tmp_path / 'evidence')
    assert default_evidence_dir(':memory:') == ''
    config = with_evidence_dir(DetectorConfig(), str(tmp_path / 'outbox.sqlite3'))
    assert config.evidence_dir == str(tmp_path / 'evidence')
    assert 'rvm-edge evidence ID' in evidence_text(config)
    own = dataclasses.replace(DetectorConfig(), evidence_dir='/srv/audit')
    assert with_evidence_dir(own, 'x/outbox.sqlite3').evidence_dir == '/srv/audit'
    off = dataclasses.replace(DetectorConfig(), evidence=False)
    assert with_evidence_dir(off, 'x/outbox.sqlite3').evidence_dir == ''
    assert evidence_text(off).startswith('off')
