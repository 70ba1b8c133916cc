"""Training tests: a second stage really starts from the given checkpoint (offline, tiny run)."""

import pytest

from rvm_training.dataset import write_dataset
from rvm_training.train import main, train


def test_missing_init_weights_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match='--init weights not found: .*nope.pt'):
        train(tmp_path / 'data.yaml', project=tmp_path, init=tmp_path / 'nope.pt')


def test_eval_only_of_a_missing_file_exits_2(tmp_path, capsys):
    assert (
        main(['--data', str(tmp_path / 'data.yaml'), '--eval-only', str(tmp_path / 'nope.pt')])
        == 2
    )
    assert 'weights not found' in capsys.readouterr().err


@pytest.mark.slow
def test_second_stage_starts_from_the_init_checkpoint(tmp_path, seg_pt):
    """Ultralytics drops a loaded checkpoint if pretrained=False; --init must keep its weights."""
    import torch

    from ultralytics import YOLO

    # the training seed would rebuild seg_pt's random weights exactly: shift them to tell them
    # apart
    stage1 = YOLO(seg_pt)
    with torch.no_grad():
        for name, tensor in stage1.model.state_dict().items():
            if name.endswith('conv.weight'):
                tensor.add_(0.05)
    init = tmp_path / 'stage1.pt'
    stage1.save(str(init))
    data = write_dataset(tmp_path / 'ds', n_train=4, n_val=2, n_test=2, seed=3, imgsz=64)
    best = train(
        data, project=tmp_path / 'runs', name='stage2', epochs=1, imgsz=64, batch=2, threads=2,
        init=init, lr0=1e-12)
    start = torch.load(init, map_location='cpu', weights_only=False)['model'].float().state_dict()
    after = torch.load(best, map_location='cpu', weights_only=False)['model'].float().state_dict()
    convs = [k for k in start if k.endswith('conv.weight')]
    assert len(convs) > 50
    # with a ~zero learning rate every convolution keeps its starting value; a fresh init would not
    for key in convs:
        assert torch.allclose(start[key].float(), after[key], atol=1e-3), key


def test_report_of_a_second_stage_names_the_earlier_commands(tmp_path):
    import argparse
    import json

    from rvm_training.train import TRAIN_DEFAULTS, _stage_info
    init = tmp_path / 'stage2_last.pt'
    init.with_suffix('.json').write_text(json.dumps({'command': 'rvm-train --name s2 --init s1.pt',
                                                     'previous_stages': ['rvm-train --name s1']}))
    args = argparse.Namespace(init=str(init), eval_only=None, lr0=0.001)
    info = _stage_info(args)
    assert info['previous_stages'] == ['rvm-train --name s1', 'rvm-train --name s2 --init s1.pt']
    assert info['initialised_from'] == 'stage2_last.pt' and info['pretrained'] is False
    assert info['hyperparameters'] == dict(TRAIN_DEFAULTS, lr0=0.001)
    assert _stage_info(argparse.Namespace(init=None, eval_only=None, lr0=None)) == {}
