"""rvm_training test setup: offline Ultralytics, a random-weight model, rvm logs reach caplog."""

from __future__ import annotations

import os

import pytest

from rvm_common.log_propagation import propagating_rvm_loggers

os.environ['YOLO_OFFLINE'] = '1'
os.environ.setdefault('YOLO_AUTOINSTALL', 'False')

RVM_CLASSES = {0: 'pet_bottle', 1: 'aluminium_can', 2: 'glass_bottle', 3: 'other'}


@pytest.fixture(scope='session')
def seg_pt(tmp_path_factory) -> str:
    """A yolo11n-seg from the yaml (random weights, the 4 RVM classes), saved as a checkpoint."""
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
    path = tmp_path_factory.mktemp('model') / 'random_seg.pt'
    model.save(str(path))
    return str(path)


@pytest.fixture(autouse=True)
def _rvm_logs_reach_caplog():
    """Under ROS's pytest plugins (LaunchLogger: propagate=False) caplog still sees our records."""
    with propagating_rvm_loggers():
        yield
