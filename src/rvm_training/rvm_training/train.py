"""Train our own YOLO11n-seg from the yaml config; evaluate on the hard test split (``rvm-train``).

Offline by construction: the network is built from Ultralytics' bundled ``yolo11n-seg.yaml``
(random init, ``pretrained=False``) — no weights, fonts or hub are downloaded. Hyper-parameters are
the ones that learn quickly from scratch on small synthetic sets (``nbs=16``, AdamW, lr0 0.002,
short warm-up, no mosaic). ``--hours`` bounds the run (Ultralytics ``time=``: the LR schedule is
fitted to the budget and best.pt/last.pt are saved every epoch). After training, best.pt is
evaluated on the ``test`` split (deliberately hard) and the metrics are written as JSON;
``--eval-only`` evaluates an existing checkpoint instead.

Example (CPU, ~1 h)::

    rvm-make-dataset --out var/dataset --train 1600 --val 160 --test 240 --seed 0
    rvm-train --data var/dataset/data.yaml --hours 1.0 --project var/train --name rvm \\
        --copy-to src/rvm_detector/rvm_detector/models/rvm_yolo11n_seg.pt

On a GPU add ``--device 0 --batch 64 --epochs 150`` (and drop ``--hours``).
"""

import argparse
import datetime
import json
import os
import shutil
import sys
from pathlib import Path

MODEL_YAML = 'yolo11n-seg.yaml'
TRAIN_DEFAULTS = dict(
    nbs=16, optimizer='AdamW', lr0=0.002, warmup_epochs=1, mosaic=0.0, pretrained=False,
    plots=False, amp=False, patience=1000, cos_lr=False, close_mosaic=0)


def _set_threads(threads):
    """Ultralytics resets torch to cpu_count-1 threads when it selects the CPU; put ours back."""
    import torch

    def callback(_):
        torch.set_num_threads(threads)
    torch.set_num_threads(threads)
    return callback


def train(
    data, project='var/train', name='rvm', epochs=300, hours=None, imgsz=320, batch=16,
    device='cpu', workers=0, threads=2, seed=0, resume=None, init=None, cache=False, lr0=None,
):
    """Train YOLO11n-seg from scratch, or on from our own ``init`` checkpoint.

    Returns the path of best.pt.
    """
    from ultralytics import YOLO

    os.environ.setdefault('YOLO_OFFLINE', '1')
    if init and not Path(init).is_file():
        raise FileNotFoundError(f'--init weights not found: {init}')
    model = YOLO(resume or init or MODEL_YAML, task='segment')
    callback = _set_threads(threads)
    for event in (
        'on_pretrain_routine_end', 'on_train_start', 'on_train_epoch_start', 'on_val_start',
    ):
        model.add_callback(event, callback)
    args = dict(
        TRAIN_DEFAULTS, data=str(data), epochs=epochs, imgsz=imgsz, batch=batch, device=device,
        workers=workers, project=str(Path(project).resolve()), name=name, exist_ok=True, seed=seed,
        cache=cache)
    if init:
        # Ultralytics drops the loaded checkpoint's weights when pretrained=False
        args['pretrained'] = True
    if lr0:
        args['lr0'] = lr0
    if hours:
        args['time'] = hours
    if resume:
        args = {'resume': True}
    model.train(**args)
    return Path(model.trainer.save_dir) / 'weights' / 'best.pt'


def evaluate(weights, data, split='test', imgsz=320, batch=16, device='cpu', threads=2):
    """Box and mask metrics of ``weights`` on one split of ``data`` (a dict, JSON-able)."""
    from ultralytics import YOLO

    model = YOLO(str(weights), task='segment')
    callback = _set_threads(threads)
    model.add_callback('on_val_start', callback)
    metrics = model.val(
        data=str(data), split=split, imgsz=imgsz, batch=batch, device=device, plots=False,
        workers=0, verbose=False)
    names = metrics.names
    per_class = {}
    for i, c in enumerate(metrics.ap_class_index):
        per_class[names[int(c)]] = {'mask_map50': round(float(metrics.seg.all_ap[i, 0]), 4),
                                    'mask_map50_95': round(float(metrics.seg.all_ap[i].mean()), 4),
                                    'box_map50': round(float(metrics.box.all_ap[i, 0]), 4)}
    return {
        'split': split, 'mask_map50': round(float(metrics.seg.map50), 4),
        'mask_map50_95': round(float(metrics.seg.map), 4),
        'box_map50': round(float(metrics.box.map50), 4),
        'box_map50_95': round(float(metrics.box.map), 4),
        'mask_precision': round(float(metrics.seg.mp), 4),
        'mask_recall': round(float(metrics.seg.mr), 4), 'per_class': per_class,
        'speed_ms': {k: round(float(v), 2) for k, v in metrics.speed.items()}}


def write_report(path, weights, data, metrics, command, extra=None):
    """Write the metrics JSON next to a model: metrics, command, dataset info, date."""
    dataset_json = Path(data).parent / 'dataset.json'
    report = {
        'model': Path(weights).name, 'architecture': MODEL_YAML, 'pretrained': False,
        'size_bytes': Path(weights).stat().st_size,
        'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
        'command': command, 'hyperparameters': TRAIN_DEFAULTS,
        'dataset': json.loads(dataset_json.read_text()) if dataset_json.exists() else str(data),
        'metrics': metrics, 'targets': {'mask_map50': 0.95, 'mask_map50_95': 0.8},
        'targets_met': {
            'mask_map50': metrics['mask_map50'] >= 0.95,
            'mask_map50_95': metrics['mask_map50_95'] >= 0.8},
    }
    report.update(extra or {})
    Path(path).write_text(json.dumps(report, indent=2) + '\n')
    return report


def _stage_info(args):
    """Report fields of a run that went on from ``--init``.

    The earlier stages' commands are recorded, so the chain is replayable.
    """
    extra = {}
    if args.lr0:
        extra['hyperparameters'] = dict(TRAIN_DEFAULTS, lr0=args.lr0)
    if args.init and not args.eval_only:
        earlier = Path(args.init).with_suffix('.json')
        stages = []
        if earlier.is_file():
            report = json.loads(earlier.read_text())
            stages = report.get('previous_stages', []) + [report.get('command')]
        extra.update(
            pretrained=False, initialised_from=Path(args.init).name, previous_stages=stages)
    return extra


def main(argv=None):
    """Console script ``rvm-train``."""
    parser = argparse.ArgumentParser(
        description='Train/evaluate the RVM YOLO11n-seg model from scratch, offline.')
    parser.add_argument('--data', required=True, help='data.yaml written by rvm-make-dataset')
    parser.add_argument('--project', default='var/train', help='folder of the training runs')
    parser.add_argument('--name', default='rvm', help='run name (a folder in --project)')
    parser.add_argument(
        '--epochs', type=int, default=300, help='upper bound; --hours usually stops first')
    parser.add_argument(
        '--hours', type=float, default=None, help='time budget (Ultralytics time=)')
    parser.add_argument('--imgsz', type=int, default=320, help='model input size in px')
    parser.add_argument('--batch', type=int, default=16, help='images per batch')
    parser.add_argument('--device', default='cpu', help='cpu, or a CUDA device such as 0')
    parser.add_argument('--workers', type=int, default=0, help='data loader worker processes')
    parser.add_argument('--threads', type=int, default=2, help='torch CPU threads')
    parser.add_argument('--seed', type=int, default=0, help='training seed (Ultralytics)')
    parser.add_argument('--resume', default=None, help='last.pt of an interrupted run')
    parser.add_argument(
        '--init', default=None, metavar='WEIGHTS',
        help='start from our own earlier checkpoint with a fresh schedule (a second stage)')
    parser.add_argument(
        '--cache', default=None, choices=('ram', 'disk'), help='cache decoded images')
    parser.add_argument('--lr0', type=float, default=None, help=f"initial learning rate "
                        f"(default {TRAIN_DEFAULTS['lr0']})")
    parser.add_argument(
        '--eval-only', default=None, metavar='WEIGHTS', help='skip training, evaluate WEIGHTS')
    parser.add_argument(
        '--split', default='test', help='split to evaluate (default: the hard test split)')
    parser.add_argument(
        '--metrics-out', default=None, help='metrics JSON (default: next to the weights)')
    parser.add_argument(
        '--copy-to', default=None, help='copy the evaluated weights here (+ .json beside it)')
    args = parser.parse_args(argv)

    if args.eval_only:
        weights = Path(args.eval_only)
    else:
        weights = train(
            args.data, args.project, args.name, args.epochs, args.hours, args.imgsz, args.batch,
            args.device, args.workers, args.threads, args.seed, args.resume, args.init,
            args.cache or False, args.lr0)
    if not weights.is_file():
        print(f'error: weights not found: {weights}', file=sys.stderr)
        return 2
    metrics = evaluate(
        weights, args.data, args.split, args.imgsz, args.batch, args.device, args.threads)
    command = 'rvm-train ' + ' '.join(argv if argv is not None else sys.argv[1:])
    target = weights
    if args.copy_to:
        target = Path(args.copy_to)
        target.parent.mkdir(parents=True, exist_ok=True)
        from ultralytics.utils.torch_utils import strip_optimizer
        shutil.copyfile(weights, target)
        strip_optimizer(target)  # drop optimizer state and EMA extras: deployable, ~6 MB
    out = Path(args.metrics_out) if args.metrics_out else target.with_suffix('.json')
    write_report(out, target, args.data, metrics, command, _stage_info(args))
    print(json.dumps(metrics, indent=2))
    print(f'metrics written: {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
