import importlib.util
import os
import subprocess
import sys
import textwrap
import time
import zipfile

import pytest

from rvm_detector.model_loader import (
    BUNDLED_MODEL, ModelLoadError, YoloSegmenter, resolve_device, resolve_weights)


def test_pt_model_loads_and_predicts_polygons(loaded_segmenter, frame):
    assert loaded_segmenter.names == {
        0: 'pet_bottle', 1: 'aluminium_can', 2: 'glass_bottle', 3: 'other'}
    out = loaded_segmenter.predict(frame)
    assert (out.width, out.height) == (160, 120)
    assert 1 <= len(out.detections) <= 3
    for det in out.detections:
        x1, y1, x2, y2 = det.bbox
        assert 0 <= x1 <= x2 <= 160 and 0 <= y1 <= y2 <= 120
        assert det.class_name in loaded_segmenter.names.values()
        if det.polygon is not None:
            assert det.polygon.shape[1] == 2 and det.area_px >= 0
    assert set(out.timings_ms) == {'preprocess', 'inference', 'postprocess'}


def test_onnx_model_loads_and_predicts(seg_onnx, frame):
    seg = YoloSegmenter(
        weights=seg_onnx, device='cpu', imgsz=160, conf=1e-6, max_det=2, agnostic_nms=False)
    seg.load(warmup=True)
    assert seg.names[0] == 'pet_bottle'
    out = seg.predict(frame)
    assert 1 <= len(out.detections) <= 2


def test_onnx_session_gets_the_cpu_threads_and_does_not_spin(seg_onnx, frame):
    seg = YoloSegmenter(weights=seg_onnx, device='cpu', imgsz=160, conf=1e-6, max_det=2,
                        cpu_threads=1, agnostic_nms=False)
    seg.load(warmup=True)
    backend = seg.model.predictor.model
    session = getattr(backend, 'backend', backend).session      # where tune_onnx_session looks
    options = session.get_session_options()
    assert options.intra_op_num_threads == 1
    assert options.get_session_config_entry('session.intra_op.allow_spinning') == '0'
    assert 1 <= len(seg.predict(frame).detections) <= 2        # the new session predicts


def test_export_made_for_another_input_size_is_refused(seg_onnx):
    expected = r'exported for input size \[160, 160\], but imgsz is 320.*--imgsz 320'
    with pytest.raises(ModelLoadError, match=expected):
        YoloSegmenter(weights=seg_onnx, device='cpu', imgsz=320).load(warmup=False)


@pytest.mark.skipif(importlib.util.find_spec('openvino') is None,
                    reason='openvino not installed (requirements/dev.txt has it)')
def test_openvino_folder_loads_with_its_class_names(seg_pt, frame, tmp_path):
    from ultralytics import YOLO
    folder = YOLO(seg_pt).export(format='openvino', imgsz=160, verbose=False)
    assert str(folder).rstrip('/').endswith('_openvino_model')
    seg = YoloSegmenter(
        weights=str(folder), device='cpu', imgsz=160, conf=1e-6, max_det=2, agnostic_nms=False)
    seg.load(warmup=False)
    assert seg.names == {0: 'pet_bottle', 1: 'aluminium_can', 2: 'glass_bottle', 3: 'other'}
    assert 1 <= len(seg.predict(frame).detections) <= 2


def test_openvino_folder_without_its_files_is_refused(tmp_path):
    folder = tmp_path / 'm_openvino_model'
    folder.mkdir()
    with pytest.raises(ModelLoadError, match='needs one <name>.xml with its <name>.bin'):
        resolve_weights(folder)
    (folder / 'm.xml').write_text('<net/>')
    (folder / 'm.bin').write_bytes(b'x')
    with pytest.raises(ModelLoadError, match='no metadata.yaml'):
        resolve_weights(folder)
    (folder / 'metadata.yaml').write_text('task: segment\n')
    assert resolve_weights(folder) == folder.resolve()
    not_a_folder = tmp_path / 'f_openvino_model'
    not_a_folder.write_bytes(b'x')
    with pytest.raises(ModelLoadError, match='must be a folder'):
        resolve_weights(not_a_folder)


def test_missing_file_fails_fast_without_download(tmp_path):
    start = time.monotonic()
    with pytest.raises(ModelLoadError, match='not found.*never downloaded'):
        YoloSegmenter(weights=str(tmp_path / 'nope.pt')).load()
    # a bare hub name is not resolved through Ultralytics' downloader either
    with pytest.raises(ModelLoadError, match='not found'):
        YoloSegmenter(weights='yolo11n-seg.pt').load()
    assert time.monotonic() - start < 5.0


@pytest.mark.parametrize('name', ['model.txt', 'model'])
def test_unsupported_suffix(tmp_path, name):
    (tmp_path / name).write_bytes(b'x')
    with pytest.raises(ModelLoadError, match=r'\.pt, \.onnx, \.engine or a folder ending in '
                                             r'_openvino_model'):
        resolve_weights(tmp_path / name)


def test_corrupt_pt_files(tmp_path):
    garbage = tmp_path / 'garbage.pt'
    garbage.write_bytes(os.urandom(2048))
    with pytest.raises(ModelLoadError, match='corrupt'):
        YoloSegmenter(weights=str(garbage)).load()
    empty = tmp_path / 'empty.pt'
    empty.write_bytes(b'')
    with pytest.raises(ModelLoadError, match='empty'):
        YoloSegmenter(weights=str(empty)).load()
    fake_zip = tmp_path / 'zip.pt'  # right container, wrong content
    with zipfile.ZipFile(fake_zip, 'w') as zf:
        zf.writestr('archive/data.pkl', b'not a pickle')
    with pytest.raises(ModelLoadError, match='cannot load model'):
        YoloSegmenter(weights=str(fake_zip)).load()


def test_truncated_pt_file(seg_pt, tmp_path):
    cut = tmp_path / 'cut.pt'
    data = open(seg_pt, 'rb').read()
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelLoadError, match='cannot load model'):
        YoloSegmenter(weights=str(cut)).load()


def test_corrupt_onnx(tmp_path):
    bad = tmp_path / 'bad.onnx'
    bad.write_bytes(os.urandom(4096))
    with pytest.raises(ModelLoadError, match='cannot load model|warm-up'):
        YoloSegmenter(weights=str(bad), device='cpu', imgsz=160).load()


def test_engine_needs_cuda(tmp_path):
    eng = tmp_path / 'm.engine'
    eng.write_bytes(b'x' * 16)
    with pytest.raises(ModelLoadError, match='needs a CUDA device'):
        YoloSegmenter(weights=str(eng), device='cpu').load()


def test_device_resolution():
    import torch
    assert resolve_device('cpu') == 'cpu'
    assert resolve_device('auto') == ('cuda:0' if torch.cuda.is_available() else 'cpu')
    with pytest.raises(ModelLoadError, match='expected auto, cpu or cuda:N'):
        resolve_device('tpu')
    if torch.cuda.is_available():
        with pytest.raises(ModelLoadError, match='CUDA device'):
            resolve_device('cuda:99')
    else:
        with pytest.raises(ModelLoadError, match='CUDA is not available'):
            resolve_device('cuda:0')


def test_default_path_is_the_bundled_model():
    if BUNDLED_MODEL.exists():
        assert resolve_weights('') == BUNDLED_MODEL
    else:
        with pytest.raises(ModelLoadError, match='rvm_yolo11n_seg.pt'):
            resolve_weights('')


def test_no_socket_is_opened_during_import_load_and_predict(seg_pt):
    """Fresh interpreter, socket entry points replaced by tripwires, then import+load+predict."""
    script = textwrap.dedent(f'''
        import socket, sys
        calls = []
        def trip(name):
            def f(*a, **k):
                calls.append(name)
                raise OSError('network disabled by test: ' + name)
            return f
        socket.socket.connect = trip('connect')
        socket.socket.connect_ex = trip('connect_ex')
        socket.create_connection = trip('create_connection')
        socket.getaddrinfo = trip('getaddrinfo')
        socket.gethostbyname = trip('gethostbyname')
        import numpy as np
        from rvm_detector.model_loader import YoloSegmenter
        seg = YoloSegmenter(weights={seg_pt!r}, device='cpu', imgsz=160, conf=1e-6)
        seg.load(warmup=True)
        out = seg.predict(np.zeros((120, 160, 3), np.uint8))
        print('CALLS', calls, len(out.detections))
        sys.exit(1 if calls else 0)
    ''')
    env = {k: v for k, v in os.environ.items() if not k.startswith('YOLO_')}
    env['YOLO_CONFIG_DIR'] = os.environ.get('YOLO_CONFIG_DIR', '')
    proc = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True, env=env,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert 'CALLS []' in proc.stdout
