"""rvm-eval-fresh: fresh-seed hard test splits, mean and spread over seeds (evaluation faked)."""

import json

import pytest

from rvm_training import fresh_eval


def fake_metrics(map50):
    return {
        'mask_map50': map50, 'mask_map50_95': map50 - 0.2, 'box_map50': map50, 'box_map50_95': 0.7,
        'mask_precision': 0.9, 'mask_recall': 0.8,
        'per_class': {
            'pet_bottle': {'mask_map50': map50, 'mask_map50_95': 0.6, 'box_map50': map50}},
    }


def test_each_seed_gets_its_own_hard_test_split_and_the_summary_has_mean_and_spread(tmp_path):
    calls = []

    def evaluate(weights, data, split, imgsz, batch, device, threads):
        calls.append((str(data), split, threads))
        return fake_metrics({0: 0.90, 1: 0.92, 2: 0.94}[len(calls) - 1])

    report = fresh_eval.fresh_eval(
        'm.pt', [101, 202, 303], 3, tmp_path, imgsz=64, evaluate=evaluate)
    assert [c[1] for c in calls] == ['test'] * 3 and all(c[2] == 1 for c in calls)
    for seed in (101, 202, 303):
        info = json.loads((tmp_path / f'seed{seed}' / 'dataset.json').read_text())
        test_split = info['splits']['test']
        assert info['seed'] == seed and test_split == {
            **test_split, 'images': 3, 'hard_fraction': 1.0}
        assert info['splits']['train']['images'] == 0
    s = report['summary']['mask_map50']
    assert (s['mean'], s['min'], s['max']) == (0.92, 0.90, 0.94) and s['stdev'] == pytest.approx(
        0.02)
    assert report['summary']['per_class']['pet_bottle']['mask_map50']['mean'] == 0.92
    assert [r['seed'] for r in report['runs']] == [101, 202, 303]


def test_training_seeds_and_too_few_seeds_are_refused(tmp_path, capsys):
    with pytest.raises(ValueError, match=r'seed\(s\) \[0\] were used in training'):
        fresh_eval.fresh_eval('m.pt', [0, 1, 2], 3, tmp_path, evaluate=lambda *a: None)
    assert fresh_eval.main(['--seeds', '5', '6', '--out', str(tmp_path)]) == 2
    assert 'at least 3 seeds' in capsys.readouterr().err
