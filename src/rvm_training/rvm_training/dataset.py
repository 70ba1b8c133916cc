"""Synthetic RVM segmentation dataset in YOLO-seg format (``rvm-make-dataset``).

Images come from :func:`rvm_training.synthetic_scene.render_image` (rendered at 640x480 like the
camera, saved downscaled to ``--imgsz`` wide). Layout (SPLIT: ``train``, ``val``, ``test``)::

    OUT/images/SPLIT/NNNNNN.jpg
    OUT/labels/SPLIT/NNNNNN.txt   # "<class> x1 y1 x2 y2 ..." normalised 0..1, one item per line
    OUT/meta/SPLIT.jsonl          # per-image flags: hand, glare, clutter, flap, occluded, edge
    OUT/data.yaml                 # Ultralytics dataset file (path, train, val, test, names)
    OUT/dataset.json              # seed, counts, flag totals, generator settings

Splits: ``train`` mixes easy and hard stills (``--train-hard-fraction``); ``val`` and ``test`` are
all hard (hands, glare, clutter, entry flap, partial occlusion, items cut by the frame edge, harsh
optics), drawn from disjoint seeds. Every image's generator is seeded from (seed, split, index), so
the same arguments always give the same dataset.
"""

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np
import yaml

from rvm_training.synthetic_scene import CLASS_NAMES, render_image

SPLITS = ('train', 'val', 'test')
_SPLIT_IDS = {'train': 0, 'val': 1, 'test': 2}
RENDER_SIZE = (640, 480)


def label_lines(objects, width, height):
    """YOLO-seg label lines of scene objects (pixel polygons) in a ``width`` x ``height`` image."""
    lines = []
    for obj in objects:
        pts = np.asarray(obj.polygon, np.float64) / [width, height]
        pts = np.clip(pts, 0.0, 1.0)
        coords = ' '.join(f'{v:.6f}' for v in pts.reshape(-1))
        lines.append(f'{CLASS_NAMES.index(obj.class_name)} {coords}')
    return lines


def render_sample(seed, split, index, hard, imgsz):
    """Render one dataset sample; returns (image resized to ``imgsz`` wide, label lines, flags)."""
    rng = np.random.default_rng([seed, _SPLIT_IDS[split], index])
    width, height = RENDER_SIZE
    still = render_image(rng, width, height, hard=hard, max_objects=3 if split == 'train' else 2)
    out_h = int(round(imgsz * height / width))
    image = cv2.resize(still.image, (imgsz, out_h), interpolation=cv2.INTER_AREA)
    flags = dict(still.flags, hard=bool(hard))
    return image, label_lines(still.objects, width, height), flags


def write_split(out, split, count, seed, imgsz, hard_fraction, start=0):
    """Write samples ``start`` .. ``start + count - 1`` of one split; returns summed flags.

    Sample ``i`` is the same image whatever ``start`` is, so a later run with ``start`` past the
    earlier count adds fresh images of the same split."""
    img_dir, lbl_dir = out / 'images' / split, out / 'labels' / split
    img_dir.mkdir(parents=True, exist_ok=True)
    lbl_dir.mkdir(parents=True, exist_ok=True)
    (out / 'meta').mkdir(exist_ok=True)
    hard_draws = np.random.default_rng([seed, 99, _SPLIT_IDS[split]]).random(start + count)[start:]
    totals = {}
    with open(out / 'meta' / f'{split}.jsonl', 'w') as meta:
        for i, draw in zip(range(start, start + count), hard_draws):
            hard = bool(draw < hard_fraction)
            image, lines, flags = render_sample(seed, split, i, hard, imgsz)
            name = f'{i:06d}'
            cv2.imwrite(str(img_dir / f'{name}.jpg'), image, [cv2.IMWRITE_JPEG_QUALITY, 95])
            (lbl_dir / f'{name}.txt').write_text('\n'.join(lines) + ('\n' if lines else ''))
            meta.write(json.dumps(dict(flags, image=f'{name}.jpg')) + '\n')
            for key, value in flags.items():
                totals[key] = totals.get(key, 0) + int(value)
    return totals


def write_dataset(
    out, n_train=1600, n_val=160, n_test=240, seed=0, imgsz=320, train_hard_fraction=0.5,
    train_start=0,
):
    """Generate the whole dataset under ``out``; returns the path of data.yaml.

    ``train_start`` skips the first train samples (for fresh training images); val and test are
    always samples 0.. of their splits, so they do not depend on it."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    counts = {'train': n_train, 'val': n_val, 'test': n_test}
    fractions = {'train': train_hard_fraction, 'val': 1.0, 'test': 1.0}
    summary = {}
    for split in SPLITS:
        summary[split] = {
            'images': counts[split], 'hard_fraction': fractions[split],
            'flags': write_split(
                out, split, counts[split], seed, imgsz, fractions[split],
                train_start if split == 'train' else 0),
        }
    data = {
        'path': str(out.resolve()), 'train': 'images/train', 'val': 'images/val',
        'test': 'images/test', 'names': dict(enumerate(CLASS_NAMES))}
    (out / 'data.yaml').write_text(yaml.safe_dump(data, sort_keys=False))
    info = {
        'seed': seed, 'imgsz': imgsz, 'train_start': train_start, 'render_size': list(RENDER_SIZE),
        'splits': summary, 'generator': 'rvm_training.synthetic_scene.render_image'}
    (out / 'dataset.json').write_text(json.dumps(info, indent=2))
    return out / 'data.yaml'


def _add_real_arguments(parser):
    """Options that mix real photos and empty frames in (see rvm_training.mixed_dataset)."""
    parser.add_argument(
        '--real', action='append', default=[], metavar='DIR',
        help='folder of labelled real photos (repeatable): YOLO txt, COCO json or class folders')
    parser.add_argument(
        '--real-layout', action='append', choices=('auto', 'yolo', 'coco', 'folders'),
        help='layout of each --real folder (default: detected)')
    parser.add_argument(
        '--class-map', default=None,
        help='YAML/JSON file or "src=dst,..." mapping source classes onto '
             'pet_bottle/aluminium_can/glass_bottle/other (or drop)')
    parser.add_argument(
        '--real-share', type=float, default=None,
        help='share of real photos among real + synthetic train images (sets the synthetic '
             'count; default: --train synthetic images)')
    parser.add_argument(
        '--real-val-share', type=float, default=0.1,
        help='share of each --real folder that goes to val (by file-name hash)')
    parser.add_argument(
        '--empty', type=int, default=0,
        help='empty chamber frames on real-looking backgrounds in train (a tenth in val)')
    parser.add_argument(
        '--views', type=int, default=0,
        help='stills in the wider chamber geometry (slots, back-light, side/top views) in train')
    parser.add_argument(
        '--mask-method', default='auto', choices=('auto', 'grabcut', 'threshold', 'box'),
        help='mask for photos with only a box or a class (auto: GrabCut / plain background)')


def main(argv=None):
    """Console script ``rvm-make-dataset``."""
    parser = argparse.ArgumentParser(description='Generate the synthetic RVM YOLO-seg dataset.')
    parser.add_argument('--out', default='var/dataset', help='output folder (default var/dataset)')
    parser.add_argument('--train', type=int, default=1600, help='train images')
    parser.add_argument('--val', type=int, default=160, help='validation images (all hard)')
    parser.add_argument('--test', type=int, default=240, help='held-out test images (all hard)')
    parser.add_argument('--seed', type=int, default=0,
                        help='dataset seed: image i of a split is the same for the same seed')
    parser.add_argument('--imgsz', type=int, default=320, help='saved image width in px (4:3)')
    parser.add_argument(
        '--train-hard-fraction', type=float, default=0.5,
        help='share of train images drawn with the hard conditions (val/test are all hard)')
    parser.add_argument(
        '--train-start', type=int, default=0,
        help='index of the first train sample: past an earlier --train count, the images are new')
    _add_real_arguments(parser)
    from rvm_training.evidence_dataset import add_evidence_arguments, run_from_evidence
    add_evidence_arguments(parser)
    args = parser.parse_args(argv)
    if args.from_evidence:
        return run_from_evidence(args)
    if args.real:
        from rvm_training.mixed_dataset import write_mixed_dataset
        if not args.class_map:
            parser.error('--real needs --class-map (source class -> model class)')
        layouts = args.real_layout or ['auto']
        if len(layouts) not in (1, len(args.real)):
            parser.error('give one --real-layout, or one per --real folder')
        sources = list(zip(args.real, layouts * len(args.real) if len(layouts) == 1 else layouts))
        path = write_mixed_dataset(
            args.out, sources, args.class_map, args.real_share, args.train, args.val, args.test,
            args.empty, args.seed, args.imgsz, args.train_hard_fraction, args.train_start,
            args.real_val_share, args.mask_method, args.views)
    else:
        path = write_dataset(
            args.out, args.train, args.val, args.test, args.seed, args.imgsz,
            args.train_hard_fraction, args.train_start)
    print(f'dataset written: {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
