"""rvm-export: ONNX / OpenVINO exports load through the detector and give the .pt's verdicts."""

import functools
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from real_photo_fixture import draw_stills, write_empty, write_yolo

from rvm_common.events import TOPIC_VERDICT
from rvm_detector.detection import box_iou
from rvm_detector.detector_config import DetectorConfig
from rvm_detector.detector_core import DetectorCore
from rvm_detector.model_loader import BUNDLED_MODEL, YoloSegmenter
from rvm_training import export, real_eval
from rvm_training.export import ExportError, export_model

needs_model = pytest.mark.skipif(not BUNDLED_MODEL.exists(),
                                 reason=f'trained model not committed ({BUNDLED_MODEL.name})')
SAMPLE = Path(__file__).resolve().parents[3] / 'data' / 'sample'


@pytest.fixture(scope='module')
def onnx_model(tmp_path_factory):
    if not BUNDLED_MODEL.exists():
        pytest.skip(f'trained model not committed ({BUNDLED_MODEL.name})')
    return export_model(BUNDLED_MODEL, 'onnx', tmp_path_factory.mktemp('export'), imgsz=320)


@functools.lru_cache(maxsize=1)
def _frames(n=4):
    """``n`` resting frames of a synthetic scene (rendered once: ~8 s; both exports use them)."""
    from rvm_training.synthetic_scene import render_sequence
    frames = [f.image for f in render_sequence(seed=5, width=640, height=480, n_items=4)
              if f.phase == 'resting']
    return tuple(frames[::max(1, len(frames) // n)][:n])


def _same_detections(weights, other, imgsz=320):
    segs = [YoloSegmenter(weights=str(w), device='cpu', imgsz=imgsz, cpu_threads=2)
            for w in (weights, other)]
    for seg in segs:
        seg.load(warmup=True)
    assert segs[0].names == segs[1].names
    found = 0
    for frame in _frames():
        a, b = (seg.predict(frame).detections for seg in segs)
        assert [d.class_name for d in a] == [d.class_name for d in b]
        for da, db in zip(a, b):
            assert abs(da.confidence - db.confidence) < 0.02
            assert box_iou(da.bbox, db.bbox) > 0.95
        found += len(a)
    assert found >= 2, 'the frames show items, so the comparison compared something'


@needs_model
def test_onnx_export_keeps_names_and_detections(onnx_model):
    assert onnx_model.name == 'rvm_yolo11n_seg.onnx' and onnx_model.is_file()
    names = export.check_export(onnx_model, BUNDLED_MODEL, 320)
    assert names == {0: 'pet_bottle', 1: 'aluminium_can', 2: 'glass_bottle', 3: 'other'}
    _same_detections(BUNDLED_MODEL, onnx_model)


@needs_model
@pytest.mark.skipif(importlib.util.find_spec('openvino') is None,
                    reason='openvino not installed (requirements/dev.txt has it)')
def test_openvino_export_is_a_folder_the_detector_loads(tmp_path):
    path = export_model(BUNDLED_MODEL, 'openvino', tmp_path, imgsz=320)
    assert path.name == 'rvm_yolo11n_seg_openvino_model' and path.is_dir()
    assert (path / 'metadata.yaml').is_file()
    _same_detections(BUNDLED_MODEL, path)


def _sample_verdicts(model_path):
    import cv2
    truth = json.loads((SAMPLE / 'rvm_sample.json').read_text())
    core = DetectorCore(DetectorConfig(model_path=str(model_path), device='cpu', cpu_threads=2))
    core.load()
    cap = cv2.VideoCapture(str(SAMPLE / 'rvm_sample.mp4'))
    verdicts = []
    try:
        index = 0
        while True:
            ok, image = cap.read()
            if not ok:
                break
            res = core.process(np.ascontiguousarray(image), index, index / truth['fps'])
            verdicts += [(p['class_name'], p['category'], p['accepted'], p['reason'])
                         for t, p in res.events if t == TOPIC_VERDICT]
            index += 1
    finally:
        cap.release()
    assert index == truth['frames']
    return verdicts, [item['class_name'] for item in truth['items']]


@needs_model
@pytest.mark.slow
@pytest.mark.skipif(not (SAMPLE / 'rvm_sample.mp4').exists(), reason='bundled sample not present')
def test_onnx_model_gives_the_same_eleven_verdicts_on_the_sample(onnx_model):
    # the .pt's verdicts are the sample's truth (test_trained_model, the e2e runs, the README):
    # one pass of the export against that truth keeps the suite short
    onnx_verdicts, truth = _sample_verdicts(onnx_model)
    assert len(truth) == 11
    assert [v[0] for v in onnx_verdicts] == truth                     # class, item by item
    assert [v[2] for v in onnx_verdicts] == [name != 'other' for name in truth]   # decision
    assert {v[3] for v in onnx_verdicts if not v[2]} == {'category_not_accepted'}


@needs_model
def test_engine_export_needs_cuda_and_says_where_to_run_it(tmp_path):
    import torch
    if torch.cuda.is_available():
        pytest.skip('CUDA present: a TensorRT export would be attempted')
    with pytest.raises(ExportError, match='TensorRT .engine is built on the machine'):
        export_model(BUNDLED_MODEL, 'engine', tmp_path)


def test_source_must_be_a_local_pt(tmp_path, capsys):
    (tmp_path / 'm.onnx').write_bytes(b'x')
    assert export.main(['--model', str(tmp_path / 'm.onnx'), '--out', str(tmp_path)]) == 2
    assert 'must be a local file ending in .pt' in capsys.readouterr().err
    assert export.main(['--model', str(tmp_path / 'gone.pt'), '--out', str(tmp_path)]) == 2
    assert 'not found' in capsys.readouterr().err


@needs_model
def test_rvm_eval_real_gives_the_same_figures_through_the_onnx_export(onnx_model, tmp_path):
    items, empties = draw_stills(2, 2, seed=31)
    write_yolo(tmp_path / 'photos', items)
    write_empty(tmp_path / 'photos', empties)
    figures = {}
    for name, model in (('pt', BUNDLED_MODEL), ('onnx', onnx_model)):
        out = tmp_path / f'{name}.json'
        assert real_eval.main(['--data', str(tmp_path / 'photos'), '--model', str(model),
                               '--threads', '2', '--json', str(out)]) == 0
        figures[name] = json.loads(out.read_text())
    assert figures['onnx']['model'].endswith('.onnx')
    for key in ('confusion', 'overall', 'empty'):
        assert figures['onnx'][key] == figures['pt'][key]
    for kind in ('box_map', 'mask_map'):
        assert figures['onnx'][kind]['map50_95'] == pytest.approx(
            figures['pt'][kind]['map50_95'], abs=0.01)
