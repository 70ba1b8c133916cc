"""Evaluate a model on hard test splits drawn with fresh seeds (``rvm-eval-fresh``).

The training data of the bundled model used ``--seed 0`` only (train, val and the test split that
was looked at while training). A figure measured there is optimistic; this command draws new hard
test splits with seeds that played no part in training or checkpoint choice, evaluates the model on
each and reports the mean and spread (sample standard deviation, min, max) of every metric.

Example (CPU, ~4 min per 200 images on one thread)::

    nice rvm-eval-fresh --seeds 101 202 303 --images 200 --out var/fresh_eval
"""

import argparse
import json
import statistics
import sys
from pathlib import Path

from rvm_training.dataset import write_dataset
from rvm_detector.model_loader import BUNDLED_MODEL

# seeds used while training the bundled model: the dataset seed and the training seed
USED_SEEDS = frozenset({0})
METRICS = (
    'mask_map50', 'mask_map50_95', 'box_map50', 'box_map50_95', 'mask_precision', 'mask_recall')


def summarise(runs):
    """Mean/stdev/min/max of each metric (overall, per class) over ``runs``, evaluate() dicts."""
    def stats(values):
        return {'mean': round(statistics.fmean(values), 4),
                'stdev': round(statistics.stdev(values), 4) if len(values) > 1 else 0.0,
                'min': round(min(values), 4), 'max': round(max(values), 4)}
    summary = {name: stats([r[name] for r in runs]) for name in METRICS}
    classes = sorted({c for r in runs for c in r['per_class']})
    summary['per_class'] = {
        c: {k: stats([r['per_class'][c][k] for r in runs if c in r['per_class']])
            for k in ('mask_map50', 'mask_map50_95')} for c in classes}
    return summary


def fresh_eval(weights, seeds, images, out, imgsz=320, threads=1, evaluate=None):
    """Evaluate ``weights`` on a hard test split drawn per seed in ``out``; returns the report."""
    if evaluate is None:
        from rvm_training.train import evaluate
    reused = sorted(set(seeds) & USED_SEEDS)
    if reused:
        raise ValueError(f'seed(s) {reused} were used in training; pick fresh ones')
    if len(seeds) < 3:
        raise ValueError(f'need at least 3 seeds for a spread, got {len(seeds)}')
    runs = []
    for seed in seeds:
        data = write_dataset(
            Path(out) / f'seed{seed}', n_train=0, n_val=0, n_test=images, seed=seed, imgsz=imgsz)
        metrics = evaluate(weights, data, 'test', imgsz, 16, 'cpu', threads)
        runs.append(dict(metrics, seed=seed, images=images))
        print(
            f'seed {seed}: mask mAP50 {metrics["mask_map50"]:.4f}  mAP50-95'
            f' {metrics["mask_map50_95"]:.4f}',
            flush=True,
        )
    return {
        'weights': Path(weights).name, 'seeds': list(seeds), 'images_per_seed': images,
        'hard': True, 'summary': summarise(runs), 'runs': runs}


def main(argv=None):
    """Console script ``rvm-eval-fresh``."""
    parser = argparse.ArgumentParser(
        description='Evaluate a model on fresh-seed hard test splits.')
    parser.add_argument(
        '--weights', default=str(BUNDLED_MODEL), help='model (default: the bundled one)')
    parser.add_argument('--seeds', type=int, nargs='+', default=[101, 202, 303],
                        help='dataset seeds of the fresh test splits (never 0: it trained)')
    parser.add_argument('--images', type=int, default=200, help='hard test images per seed')
    parser.add_argument('--imgsz', type=int, default=320, help='model input size in px')
    parser.add_argument('--threads', type=int, default=1, help='torch CPU threads')
    parser.add_argument(
        '--out', default='var/fresh_eval', help='folder for the drawn splits and report.json')
    args = parser.parse_args(argv)
    try:
        report = fresh_eval(
            args.weights, args.seeds, args.images, args.out, args.imgsz, args.threads)
    except ValueError as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    report['command'] = 'rvm-eval-fresh ' + ' '.join(argv if argv is not None else sys.argv[1:])
    path = Path(args.out) / 'report.json'
    path.write_text(json.dumps(report, indent=2) + '\n')
    print(json.dumps(report['summary'], indent=2))
    print(f'report written: {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
