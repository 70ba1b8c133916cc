"""rvm-scenarios: the scorer, and a fixed small scenario set through the real bundled model."""
import json
from dataclasses import asdict

import pytest

from rvm_detector.class_map import ClassMap
from rvm_detector.model_loader import BUNDLED_MODEL
from rvm_training import synthetic_scenarios as synthetic
from rvm_training.scenarios import Score, expected_decision, format_table, score

ExpectedVerdict = synthetic.ExpectedVerdict
CLASS_MAP = ClassMap.load('')


def verdict(category, accepted, reason, categories=None):
    return {'category': category, 'accepted': accepted, 'reason': reason,
            'objects': {'count': sum((categories or {category: 1}).values()),
                        'categories': categories or {category: 1}}}


def test_expected_decision_follows_the_rule_else_the_category_policy():
    assert expected_decision(ExpectedVerdict('pet_bottle'), CLASS_MAP) == (True, None)
    assert expected_decision(ExpectedVerdict('other'), CLASS_MAP) == (
        False, 'category_not_accepted')
    assert expected_decision(ExpectedVerdict('pet_bottle', 'withdrawn'), CLASS_MAP) == (
        False, 'withdrawn')


@pytest.mark.parametrize(
    'expected, produced, counts',
    [
        ([ExpectedVerdict('pet_bottle')], [verdict('pet_bottle', True, None)], (1, 1, 0, 0, 0, 0)),
        ([ExpectedVerdict('pet_bottle')], [], (1, 0, 1, 0, 0, 0)),
        ([], [verdict('other', False, 'category_not_accepted')], (0, 1, 0, 1, 0, 0)),
        (
            [ExpectedVerdict('pet_bottle')], [verdict('glass_bottle', True, None)],
            (1, 1, 0, 0, 1, 0)),
        (
            [ExpectedVerdict('pet_bottle', 'withdrawn')], [verdict('pet_bottle', True, None)],
            (1, 1, 0, 0, 0, 1)),
        (
            [ExpectedVerdict('pet_bottle', 'multiple_objects', ('pet_bottle', 'other'))],
            [verdict('pet_bottle', False, 'multiple_objects', {'other': 1, 'pet_bottle': 1})],
            (1, 1, 0, 0, 0, 0)),
        (
            [ExpectedVerdict('pet_bottle', 'multiple_objects', ('pet_bottle', 'other'))],
            [verdict('pet_bottle', True, None)], (1, 1, 0, 0, 1, 1)),
    ],
)
def test_score_counts_missing_extra_and_wrong_verdicts(expected, produced, counts):
    s = score(expected, produced, CLASS_MAP)
    assert (
        s.expected, s.produced, s.missing, s.extra, s.wrong_category, s.wrong_decision) == counts


def test_format_table_has_a_row_per_kind_and_a_total():
    text = format_table(
        {'single': Score(2, 2, 1, 1, 0, 0, 1, 0), 'withdraw': Score(1, 1, 1, 0, 0, 1, 0, 1)})
    lines = text.splitlines()
    assert lines[0].startswith('| kind | scenarios | expected | produced | missing | extra')
    assert lines[0].endswith('| wrong alert |')
    assert lines[2] == '| single | 2 | 2 | 1 | 1 | 0 | 0 | 1 | 0 |'
    assert lines[-1] == '| **total** | 3 | 3 | 2 | 1 | 0 | 1 | 1 | 1 |'


@pytest.mark.slow
@pytest.mark.skipif(not BUNDLED_MODEL.exists(), reason='bundled model not present')
def test_one_scene_per_kind_through_the_bundled_model_gives_every_rule_right():
    """Seed 0, one scene per kind (18): no missing or extra verdict, the rule-driven reasons
    (withdrawn, not_cleared, multiple_objects) right, the recalibrate alert where the camera
    moved or the light changed and nowhere else. Categories are the model's business."""
    from rvm_training.scenarios import make_core, run_suite
    core = make_core(threads=2)
    details = []
    table = run_suite(core, seed=0, per_kind=1, details=details)
    assert set(table) == set(synthetic.KINDS)
    problems = [d for d in details if d['missing'] or d['extra'] or d['wrong_alert']]
    for d in details:
        for want, got in zip(d['expected_verdicts'], d['produced_verdicts']):
            if want['reason'] is not None and got['reason'] != want['reason']:
                problems.append(d)
    assert problems == [], format_table(table)
    assert sum(row.expected for row in table.values()) == 6 + 15


def test_rvm_scenarios_exits_non_zero_on_any_failure(monkeypatch, capsys):
    from rvm_training import scenarios

    class Core:
        class segmenter:
            name = 'stub.pt'

    for failure, code in (({}, 0), ({'missing': 1}, 1), ({'extra': 1}, 1),
                          ({'wrong_category': 1}, 1), ({'wrong_decision': 1}, 1),
                          ({'wrong_alert': 1}, 1)):
        row = Score(scenarios=1, expected=1, produced=1, **failure)
        monkeypatch.setattr(scenarios, 'make_core', lambda *a: Core())
        monkeypatch.setattr(scenarios, 'run_suite', lambda *a, **k: {'single': row})
        assert scenarios.main(['--per-kind', '1']) == code, failure
    assert '| **total** |' in capsys.readouterr().out


def test_merge_adds_up_json_tables_by_kind_in_suite_order(tmp_path, monkeypatch, capsys):
    """``--merge`` sums the --json tables of a split sweep, runs no model, and fails on a bad
    file with its name."""
    from rvm_training import scenarios

    def write(name, table):
        path = tmp_path / name
        path.write_text(json.dumps({'table': {k: asdict(v) for k, v in table.items()},
                                    'scenarios': []}))
        return str(path)

    first = write('s0.json', {'withdraw': Score(5, 5, 5), 'single': Score(5, 5, 5)})
    second = write('s1.json', {'single': Score(5, 5, 4, missing=1)})
    moved = write('cm.json', {'camera_moved': Score(5, 5, 5, wrong_alert=2)})
    monkeypatch.setattr(scenarios, 'make_core', lambda *a: pytest.fail('--merge runs no model'))
    assert scenarios.main(['--merge', first, second, moved]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[2:] == ['| single | 10 | 10 | 9 | 1 | 0 | 0 | 0 | 0 |',
                         '| withdraw | 5 | 5 | 5 | 0 | 0 | 0 | 0 | 0 |',
                         '| camera_moved | 5 | 5 | 5 | 0 | 0 | 0 | 0 | 2 |',
                         '| **total** | 20 | 20 | 19 | 1 | 0 | 0 | 0 | 2 |']
    assert scenarios.main(['--merge', first]) == 0
    bad = tmp_path / 'bad.json'
    bad.write_text('{"scenarios": []}')
    with pytest.raises(SystemExit, match='bad.json'):
        scenarios.main(['--merge', first, str(bad)])


def test_evidence_kinds_follow_the_basic_ones_so_older_seeds_render_the_same():
    assert synthetic.KINDS[:len(synthetic.BASIC_KINDS)] == synthetic.BASIC_KINDS
    for kind in synthetic.EVIDENCE_KINDS:
        scene = synthetic.build(kind, seed=3, index=1)
        assert scene.calibration_frames == 6 and scene.frames[0].step == 'empty'
        assert all(f.objects == [] for f in scene.frames[:scene.calibration_frames]
                   if kind != 'background_flicker')
        assert scene.expect_alert == (kind in ('lighting_change', 'camera_moved'))


class _Recorded:
    """A stand-in segmenter replaying recorded detections: ``(class, conf, box)`` per frame."""

    name, device, half, conf, iou, max_det, agnostic_nms, path = ('rec.pt', 'cpu', False, 0, 0,
                                                                  0, 0, 'rec.pt')

    def __init__(self, frames):
        self.frames = iter(frames)

    def load(self, warmup=True):
        pass

    def predict(self, image):
        import numpy as np

        from rvm_detector.detection import Detection, FrameDetections
        dets = []
        for class_name, conf, (x1, y1, x2, y2) in next(self.frames):
            poly = np.float32([[x1, y1], [x2, y1], [x2, y2], [x1, y2]])
            dets.append(Detection(class_id=0, class_name=class_name, confidence=conf,
                                  bbox=(x1, y1, x2, y2), polygon=poly,
                                  area_px=float((x2 - x1) * (y2 - y1))))
        return FrameDetections(dets, image.shape[1], image.shape[0], {})


#: the bundled model's detections on single seed 3 #1 (easy), frame by frame
_SINGLE_3_1 = (
    [[]] * 6 + [[('aluminium_can', 0.32, (0, 97, 40, 124))]]
    + [[('pet_bottle', c, b)] for c, b in (
        (0.83, (0, 77, 97, 137)), (0.91, (0, 73, 146, 136)), (0.94, (16, 72, 184, 136)),
        (0.95, (42, 73, 208, 136)), (0.95, (58, 73, 225, 137)))]
    + [[('pet_bottle', 0.94, (64, 73, 231, 136))]] * 11
    + [[('pet_bottle', 0.94, (x, 73, min(320, x + 167), 136))] for x in (71, 95, 135, 191)]
    + [[('pet_bottle', 0.81, (263, 72, 318, 133))]] + [[]] * 7)


def test_an_item_coming_in_at_the_frame_edge_is_no_knocked_camera():
    """single seed 3 #1: a bottle pushed in at the left edge correlated as a 53 px whole-scene
    shift, 'explained' only by the strip the shift uncovers (the frame itself), so the background
    was re-registered onto the moving item, its detections lost their presence support and the
    episode was dismissed (no verdict, false recalibrate). Played with the model's recorded
    detections: no frame reads 'moved', one accept, no drift."""
    from rvm_detector.detector_config import DetectorConfig
    from rvm_detector.detector_core import DetectorCore
    from rvm_training.scenarios import run_scenario

    scene = synthetic.build('single', seed=3, index=1)
    assert len(scene.frames) == len(_SINGLE_3_1)
    core = DetectorCore(DetectorConfig(device='cpu'), segmenter=_Recorded(_SINGLE_3_1))
    core.load()
    moved = []
    measure = core.presence.measure
    core.presence.measure = lambda image: _noting(measure(image), moved)
    verdicts = run_scenario(core, scene)
    assert moved == [] and [(v['category'], v['accepted']) for v in verdicts] == [
        ('pet_bottle', True)]
    assert core.status()['calibration']['drift'] < 0.1
    assert score(scene.expected, verdicts, CLASS_MAP).missing == 0


def _noting(reading, moved):
    if reading is not None and reading.moved:
        moved.append(reading)
    return reading


@pytest.mark.parametrize('seed, index', [(4, 2), (5, 3)])
def test_a_hand_moving_over_its_learnt_ghost_is_no_knocked_camera(seed, index):
    """hand_only (the bundled model sees nothing): the armed background partly learnt the hand,
    and the hand moving over that ghost correlated as a 23-29 px whole-scene shift against the
    background alone; re-registered, the drift jumped to 0.67 (false recalibrate). A camera
    shift must show against the calibrated reference as well: no 'moved', no alert."""
    from rvm_detector.detector_config import DetectorConfig
    from rvm_detector.detector_core import DetectorCore
    from rvm_training.scenarios import recalibrate_threshold, run_scenario

    scene = synthetic.build('hand_only', seed=seed, index=index)
    core = DetectorCore(DetectorConfig(device='cpu'), segmenter=_Recorded([[]] * 100))
    core.load()
    moved = []
    measure = core.presence.measure
    core.presence.measure = lambda image: _noting(measure(image), moved)
    assert run_scenario(core, scene) == []
    assert moved == [] and core.status()['calibration']['drift'] < recalibrate_threshold()
