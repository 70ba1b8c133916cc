"""The bundled trained model finds the items of the synthetic scene it was trained on."""
import pytest

from rvm_common.events import TOPIC_VERDICT
from rvm_detector.detection import box_iou
from rvm_detector.detector_config import DetectorConfig
from rvm_detector.detector_core import DetectorCore
from rvm_detector.model_loader import BUNDLED_MODEL
from rvm_training import synthetic_scene as scene

pytestmark = pytest.mark.skipif(not BUNDLED_MODEL.exists(),
                                reason=f'trained model not committed yet ({BUNDLED_MODEL.name})')


@pytest.fixture(scope='module')
def core():
    det = DetectorCore(DetectorConfig(device='cpu', cpu_threads=2))
    det.load()
    return det


@pytest.mark.slow
def test_finds_the_items_of_the_synthetic_scene(core):
    resting = hits = 0
    inserted, verdicts = [], []
    for frame in scene.render_sequence(seed=11, width=640, height=480, n_items=3):
        res = core.process(frame.image, frame.index, frame.index / 15.0)
        verdicts += [p['class_name'] for t, p in res.events if t == TOPIC_VERDICT]
        new_item = not inserted or inserted[-1][1] != frame.index - 1
        if frame.phase == 'entering' and frame.objects and new_item:
            inserted.append([frame.objects[0].class_name, frame.index])
        elif inserted and frame.objects:
            inserted[-1][1] = frame.index
        if frame.phase != 'resting' or not frame.objects:
            continue
        resting += 1
        truth = frame.objects[0]
        hits += any(d.class_name == truth.class_name and box_iou(d.bbox, truth.bbox) >= 0.5
                    for d in res.detections)
    core.command({'command': 'end_session'})
    assert resting > 0 and hits / resting >= 0.9, f'{hits}/{resting} resting frames found'
    assert verdicts == [name for name, _ in inserted]
