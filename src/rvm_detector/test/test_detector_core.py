import dataclasses

import numpy as np
import pytest
from event_checks import check_event

from rvm_common.events import TOPIC_DETECTOR_STATUS, TOPIC_SESSION, TOPIC_VERDICT, dumps
from rvm_detector.detector_config import DetectorConfig
from rvm_detector.detector_core import DetectorCore, FrameError
from rvm_detector.model_loader import ModelLoadError
from rvm_detector.sam2_refiner import Sam2Refiner


def make_core(segmenter, refiner=None, **overrides):
    values = dict(
        imgsz=160, conf=1e-6, max_det=3, stable_frames=2, agnostic_nms=False, leave_frames=2,
        min_confidence=0.0)
    cfg = dataclasses.replace(DetectorConfig(), **dict(values, **overrides))
    core = DetectorCore(cfg, segmenter=segmenter, refiner=refiner)
    core.load()
    return core


def arm(core, frame, n=2, now=0.0):
    """Show the core ``n`` empty-chamber frames (leave_frames=2): it starts blocked, unarmed."""
    seg, conf = core.segmenter, core.segmenter.conf
    seg.conf = 1.0     # the random model finds nothing
    try:
        for i in range(n):
            assert core.process(frame, i, now + i).detections == []
    finally:
        seg.conf = conf
    assert core.status()['item_state'] == 'empty'


@pytest.fixture
def single(loaded_segmenter):
    """The random model with one detection per frame (a single object in the chamber)."""
    loaded_segmenter.max_det = 1
    yield loaded_segmenter
    loaded_segmenter.max_det = 3


def validate(events):
    for topic, payload in events:
        check_event(topic, payload)
        dumps(payload)  # strict JSON (no NaN, all serialisable)


def test_process_gives_detections_events_and_timings(loaded_segmenter, frame):
    core = make_core(loaded_segmenter, min_confidence=1.0)   # every item rejected: final at once
    assert core.status()['item_state'] == 'blocked'
    arm(core, frame, now=-2.0)
    events = []
    for i in range(6):
        res = core.process(frame, stamp_ns=1_700_000_000_000_000_000 + i, now=float(i))
        events += res.events
        assert res.detections and all(d.track_id > 0 and d.category for d in res.detections)
        assert set(res.timings_ms) == {'preprocess', 'inference', 'postprocess', 'refine', 'total'}
        assert res.timings_ms['total'] >= res.timings_ms['inference'] > 0
    validate(events)
    verdicts = [p for t, p in events if t == TOPIC_VERDICT]
    assert len(verdicts) == 1   # same still frame -> one item, one verdict
    assert verdicts[0]['model'] == 'random_seg.pt' and verdicts[0]['accepted'] is False
    status = core.status()
    check_event(TOPIC_DETECTOR_STATUS, status)
    assert (
        status['frames_processed'] == 8 and status['verdicts'] == 1 and status['state'] == 'ready')
    assert status['item_state'] == 'clearing'
    out = core.command({'command': 'end_session'})
    validate(out)
    assert [t for t, _ in out] == [TOPIC_SESSION] and out[0][1]['total'] == 1
    assert core.command({'command': 'maintenance_on'}) == []
    assert core.command('garbage') == []


def test_idle_timeout_via_tick(single, frame):
    core = make_core(single, idle_timeout_s=5.0, settle_timeout_s=60.0)
    arm(core, frame, now=98.0)
    for now in (100.0, 101.0, 102.0):
        core.process(frame, 1, now=now)
    # the random model's verdict varies
    assert core.status()['item_state'] in ('judged', 'clearing')
    single.conf = 1.0               # the model now finds nothing: the chamber is empty
    try:
        for i, now in enumerate((103.0, 104.0)):
            res = core.process(frame, 2 + i, now=now)
            assert res.detections == []
    finally:
        single.conf = 1e-6
    assert core.status()['item_state'] == 'empty'
    assert core.tick(108.9) == []   # the chamber emptied at 104.0
    (ev,) = core.tick(109.1)
    assert ev[0] == TOPIC_SESSION and ev[1]['reason'] == 'idle_timeout'
    assert core.tick(200.0) == []


@pytest.mark.parametrize(
    'bad',
    [
        np.zeros((0, 10, 3), np.uint8), np.zeros((10, 10), np.uint8),
        np.zeros((10, 10, 3), np.float32), 'not an image'],
)
def test_bad_frames_are_clear_errors_and_counted_by_the_adapter(loaded_segmenter, bad):
    core = make_core(loaded_segmenter)
    with pytest.raises(FrameError):
        core.process(bad, 0, 0.0)
    core.note_bad_frame('truncated image')
    core.note_dropped(7)
    st = core.status()
    assert (st['frames_bad'], st['frames_dropped'], st['last_error']) == (1, 7, 'truncated image')


def test_load_errors_are_reported_on_status(tmp_path):
    core = DetectorCore(DetectorConfig(model_path=str(tmp_path / 'missing.pt'), device='cpu'))
    with pytest.raises(ModelLoadError, match='not found'):
        core.load()
    st = core.status()
    assert st['state'] == 'error' and 'missing.pt' in st['last_error']
    with pytest.raises(ModelLoadError, match='missing.pt'):
        core.process(np.zeros((4, 4, 3), np.uint8), 0, 0.0)
    bad_map = DetectorCore(DetectorConfig(class_map_file=str(tmp_path / 'nomap.yaml')))
    with pytest.raises(ModelLoadError, match='class map'):
        bad_map.load()


def test_refine_item_runs_sam2_only_for_the_verdict_frame(single, sam2_tiny, frame):
    refiner = Sam2Refiner(device='cpu', imgsz=256, network=sam2_tiny)
    core = make_core(single, refiner=refiner, refine='item', min_confidence=1.0)
    arm(core, frame, now=-2.0)
    flags, verdicts = [], []
    for i in range(5):
        res = core.process(frame, i, float(i))
        flags.append(res.refined)
        verdicts += [p for t, p in res.events if t == TOPIC_VERDICT]
    validate([(TOPIC_VERDICT, v) for v in verdicts])
    # frame 1 entering, frame 2 opens the episode, frame 3 (still, settling) makes the verdict
    assert flags == [False, False, True, False, False]
    assert refiner.encoder_calls == 1
    assert verdicts[0]['timings_ms']['refine'] > 0


def test_refine_sam2_runs_on_every_frame_with_one_embedding_each(
    loaded_segmenter, sam2_tiny, frame
):
    refiner = Sam2Refiner(device='cpu', imgsz=256, network=sam2_tiny)
    core = make_core(loaded_segmenter, refiner=refiner, refine='sam2')
    for i in range(3):
        res = core.process(frame, i, float(i))
        assert res.refined and any(d.refined for d in res.detections)
        assert all(d.mask.shape == frame.shape[:2] for d in res.detections if d.refined)
    assert refiner.encoder_calls == 3 and refiner.decoder_calls == 3


def test_refine_needs_sam2_weights():
    core = DetectorCore(DetectorConfig(refine='item', device='cpu'))
    assert core.refiner is not None
    with pytest.raises(ModelLoadError):
        core.load()


def test_live_reconfigure_validates_and_applies(loaded_segmenter):
    from rvm_common.params import ConfigError
    core = make_core(loaded_segmenter)
    cfg = core.reconfigure(
        {'conf': 0.3, 'min_confidence': 0.7, 'stable_frames': 7, 'leave_frames': 4})
    assert (cfg.conf, core.segmenter.conf) == (0.3, 0.3)
    assert core.session.verdict_policy.min_confidence == 0.7
    assert core.session.policy.stable_frames == 7 and core.session.tracker.max_misses == 4
    with pytest.raises(ConfigError, match='read-only.*model_path'):
        core.reconfigure({'model_path': '/other.pt'})
    with pytest.raises(ConfigError, match='outside 0..1'):
        core.reconfigure({'conf': 2.0})
    with pytest.raises(ConfigError, match='refine'):
        core.reconfigure({'refine': 'always'})
    assert core.config.conf == 0.3      # failed changes leave the config as it was
    core.reconfigure({'conf': 1e-6})
    bad = DetectorCore(dataclasses.replace(DetectorConfig(), stable_frames=0))
    with pytest.raises(ModelLoadError, match='invalid detector configuration: stable_frames'):
        bad.load()
    assert bad.status()['state'] == 'error'
