"""The item state machine on the synthetic RVM scene, fed with the scene's ground-truth outlines.

Separates the item logic from model quality: every inserted item must get exactly one verdict,
with its true class, judged while it rests and made final once it has left toward the exit.
"""
import pytest

from rvm_common.events import TOPIC_PROCESSING, TOPIC_SESSION, TOPIC_VERDICT
from rvm_detector.class_map import ClassMap
from rvm_detector.detection import Detection
from rvm_detector.item_session import ItemPolicy, ItemSession
from rvm_detector.polygon import polygon_area
from rvm_training import synthetic_scene as scene

CLASS_IDS = {'pet_bottle': 0, 'aluminium_can': 1, 'glass_bottle': 2, 'other': 3}


@pytest.mark.parametrize('hard', [False, True])
def test_one_verdict_per_inserted_item_at_rest(hard):
    session = ItemSession(ClassMap.load(''), ItemPolicy())
    inserted, verdicts, failed = [], [], []
    previous = None
    for frame in scene.render_sequence(seed=5, width=320, height=240, n_items=4, hard=hard):
        if frame.objects and frame.phase == 'entering' and previous in ('empty', 'leaving', None):
            inserted.append(frame.objects[0].class_name)
        previous = frame.phase if frame.objects or frame.phase == 'empty' else previous
        dets = [Detection(CLASS_IDS[o.class_name], o.class_name, 0.9, tuple(map(float, o.bbox)),
                          o.polygon, area_px=polygon_area(o.polygon)) for o in frame.objects]
        view = session.track(dets, (320, 240))
        for topic, payload in session.advance(view, frame.index / 15.0,
                                              int(frame.index / 15.0 * 1e9), {}):
            if topic == TOPIC_VERDICT:
                verdicts.append((frame.phase, payload['class_name'], payload['accepted']))
            elif topic == TOPIC_PROCESSING and payload['status'] == 'failed':
                failed.append(payload['detail'])
    assert failed == []
    assert [name for _, name, _ in verdicts] == inserted and len(inserted) == 4
    # a rejection is final at rest; an accept once the item has left toward the exit
    assert {phase for phase, _, accepted in verdicts if accepted} <= {'leaving', 'empty'}
    assert {phase for phase, _, accepted in verdicts if not accepted} <= {'resting'}
    (topic, summary), = session.end_session('command')
    assert topic == TOPIC_SESSION and summary['total'] == 4
