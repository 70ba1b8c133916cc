"""The sample generator (small render) and the committed sample in data/sample/."""
import json
from pathlib import Path


from rvm_camera.camera_config import CameraConfig
from rvm_camera.camera_core import CameraCore
from rvm_training.make_sample import BAG_NAME, MAX_BYTES, TRUTH_NAME, VIDEO_NAME, make_sample

SAMPLE = Path(__file__).resolve().parents[3] / 'data' / 'sample'


def drain(source, **kw):
    core = CameraCore(CameraConfig(source=str(source), fps=0.0, realtime=False, **kw))
    core.open()
    frames = []
    while not core.finished:
        frame = core.read()
        if frame is not None:
            frames.append(frame)
    return core, frames


def test_small_render_video_bag_and_truth_agree(tmp_path):
    summary = make_sample(tmp_path, seed=3, items=2, fps=4.0, bag_items=1, width=160, height=120)
    truth = json.loads((tmp_path / TRUTH_NAME).read_text())
    assert [i['class_name'] for i in truth['items']] and len(truth['items']) == 2
    assert all(i['rest_frames'] > 0 and i['last_frame'] > i['first_frame'] for i in truth['items'])
    _, video = drain(tmp_path / VIDEO_NAME)
    assert len(video) == truth['frames'] == summary['frames']
    assert video[0].image.shape == (120, 160, 3)
    core, bag = drain(tmp_path / BAG_NAME)
    assert len(bag) == truth['bag_frames'] == summary['bag_frames']
    assert truth['items'][0]['last_frame'] < len(bag) < truth['items'][1]['first_frame']
    assert bag[1].stamp_ns - bag[0].stamp_ns == 250_000_000
    assert core.status()['backend'] == 'bag'


def test_committed_sample_is_small_and_readable():
    truth = json.loads((SAMPLE / TRUTH_NAME).read_text())
    assert (SAMPLE / VIDEO_NAME).stat().st_size <= MAX_BYTES
    assert sum(p.stat().st_size for p in (SAMPLE / BAG_NAME).iterdir()) <= MAX_BYTES
    classes = [i['class_name'] for i in truth['items']]
    assert all(classes.count(c) >= 2 for c in ('pet_bottle', 'aluminium_can', 'glass_bottle',
                                               'other'))
    assert 20 <= truth['frames'] / truth['fps'] <= 42
    for source in (SAMPLE / VIDEO_NAME, SAMPLE / BAG_NAME):
        core = CameraCore(CameraConfig(source=str(source), fps=0.0, realtime=False))
        assert core.open()
        frames = [f for f in (core.read() for _ in range(5)) if f is not None]
        assert len(frames) == 5 and frames[0].image.shape == (480, 640, 3)
        core.close()
