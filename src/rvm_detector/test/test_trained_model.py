"""The bundled trained model finds the items of the sample video (synthetic rvm_training scene)."""

import json
from pathlib import Path

import numpy as np
import pytest

from rvm_common.events import TOPIC_VERDICT
from rvm_detector.detector_config import DetectorConfig
from rvm_detector.detector_core import DetectorCore
from rvm_detector.model_loader import BUNDLED_MODEL

pytestmark = pytest.mark.skipif(not BUNDLED_MODEL.exists(),
                                reason=f'trained model not committed yet ({BUNDLED_MODEL.name})')


def _sample_dir():
    for parent in Path(__file__).resolve().parents:
        if (parent / 'data' / 'sample' / 'rvm_sample.mp4').exists():
            return parent / 'data' / 'sample'
    return None


@pytest.fixture(scope='module')
def core():
    det = DetectorCore(DetectorConfig(device='cpu', cpu_threads=2))
    det.load()
    return det


@pytest.mark.slow
@pytest.mark.skipif(_sample_dir() is None, reason='bundled sample video not present')
def test_one_correct_verdict_per_item_in_the_bundled_sample(core):
    import cv2
    sample = _sample_dir()
    truth = json.loads((sample / 'rvm_sample.json').read_text())
    items = truth['items'][:4]                       # the first four items keep the test short
    end_frame = items[-1]['last_frame'] + 8
    cap = cv2.VideoCapture(str(sample / 'rvm_sample.mp4'))
    verdicts = []
    try:
        for index in range(end_frame):
            ok, image = cap.read()
            assert ok, f'sample video ended at frame {index}'
            res = core.process(np.ascontiguousarray(image), index, index / truth['fps'])
            verdicts += [p['class_name'] for t, p in res.events if t == TOPIC_VERDICT]
    finally:
        cap.release()
        core.command({'command': 'end_session'})
    assert verdicts == [item['class_name'] for item in items]
