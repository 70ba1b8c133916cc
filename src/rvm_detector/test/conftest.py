"""Shared fixtures: a random-weight YOLO11n-seg with RVM classes, saved and exported offline."""

from __future__ import annotations

import os

import numpy as np
import pytest

from rvm_common.log_propagation import propagating_rvm_loggers

os.environ['YOLO_OFFLINE'] = '1'
os.environ.setdefault('YOLO_AUTOINSTALL', 'False')

RVM_CLASSES = {0: 'pet_bottle', 1: 'aluminium_can', 2: 'glass_bottle', 3: 'other'}


def build_random_seg_model(path) -> str:
    """Save a yolo11n-seg built from the yaml (random weights, 4 RVM classes) to ``path``."""
    import torch

    from rvm_detector.model_loader import offline_ultralytics
    offline_ultralytics()
    from ultralytics import YOLO
    from ultralytics.nn.tasks import SegmentationModel

    model = YOLO('yolo11n-seg.yaml')
    torch.manual_seed(0)                     # the same random model every run
    net = SegmentationModel('yolo11n-seg.yaml', nc=len(RVM_CLASSES), verbose=False)
    net.names = dict(RVM_CLASSES)
    net.task = 'segment'
    net.args = {**model.model.args, 'task': 'segment'}
    model.model = net
    model.save(str(path))
    return str(path)


@pytest.fixture(scope='session')
def seg_pt(tmp_path_factory) -> str:
    return build_random_seg_model(tmp_path_factory.mktemp('model') / 'random_seg.pt')


@pytest.fixture(scope='session')
def seg_onnx(seg_pt, tmp_path_factory) -> str:
    from ultralytics import YOLO
    out = YOLO(seg_pt).export(format='onnx', imgsz=160, verbose=False)
    return str(out)


@pytest.fixture(scope='session')
def loaded_segmenter(seg_pt):
    """A loaded random-weight segmenter that yields boxes on any frame (conf 1e-6)."""
    from rvm_detector.model_loader import YoloSegmenter
    # per-class NMS: a random model's boxes all overlap, class-agnostic NMS would keep very few
    seg = YoloSegmenter(
        weights=seg_pt, device='cpu', imgsz=160, conf=1e-6, max_det=3, cpu_threads=2,
        agnostic_nms=False)
    seg.load(warmup=True)
    return seg


@pytest.fixture(scope='session')
def sam2_tiny():
    """SAM2-tiny with random weights (built offline, nothing downloaded)."""
    from rvm_detector.model_loader import offline_ultralytics
    offline_ultralytics()
    from ultralytics.models.sam.build import build_sam2_t
    return build_sam2_t(checkpoint=None)


@pytest.fixture()
def frame() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 255, size=(120, 160, 3), dtype=np.uint8)


@pytest.fixture(autouse=True)
def _rvm_logs_reach_caplog():
    """Under ROS's pytest plugins (LaunchLogger: propagate=False) caplog still sees our records."""
    with propagating_rvm_loggers():
        yield
