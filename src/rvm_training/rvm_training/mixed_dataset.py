"""A dataset that mixes real photos, synthetic stills and empty chamber frames.

``rvm-make-dataset --real DIR [--real DIR ...] --class-map MAP --real-share F --empty N`` writes
the usual layout (:mod:`rvm_training.dataset`) with three kinds of images:

* ``rK_NNNNNN`` -- photos of the K-th ``--real`` folder (any of the three layouts of
  :mod:`rvm_training.real_import`), classes mapped by ``--class-map``, masks made where the photo
  has none. Each photo goes to ``train`` or ``val`` by a hash of its file name
  (``--real-val-share``), so checkpoint choice sees real photos too; the real *hold-out* must be a
  different folder that is never passed here.
* ``NNNNNN`` -- synthetic stills as before. With ``--real-share F`` their number in ``train`` is
  chosen so that real photos are the share F of the real + synthetic training images
  (``synthetic = round(real * (1 - F) / F)``); without it ``--train`` synthetic images are drawn.
* ``empty_NNNNNN`` -- empty chambers on real-looking backgrounds
  (:mod:`rvm_training.chamber_backgrounds`) with empty label files: ``--empty`` in ``train`` and a
  tenth of that in ``val``.
* ``view_NNNNNN`` -- stills in the wider chamber geometry (:mod:`rvm_training.chamber_views`:
  slots, back-light, upright or lying items seen from the side or above): ``--views`` in
  ``train``, a tenth in ``val``.
"""

import json
from pathlib import Path

import cv2
import numpy as np
import yaml

from rvm_training.chamber_backgrounds import render_empty
from rvm_training.chamber_views import write_chamber_split
from rvm_training.class_mapping import load_class_mapping
from rvm_training.real_import import read_photos, source_classes
from rvm_training.real_samples import split_of, write_real_split
from rvm_training.synthetic_scene import CLASS_NAMES

_EMPTY_SPLIT_IDS = {'train': 10, 'val': 11, 'test': 12}


def synthetic_count(n_real, real_share):
    """Synthetic train images that make ``n_real`` real ones the share ``real_share``."""
    if not 0.0 < real_share <= 1.0:
        raise ValueError(f'--real-share must be in (0, 1], got {real_share}')
    return int(round(n_real * (1.0 - real_share) / real_share))


def write_empty_split(out, split, count, seed, imgsz, render_size=(640, 480)):
    """``count`` empty chamber frames ``empty_NNNNNN`` (empty label files) in one split."""
    img_dir, lbl_dir = Path(out) / 'images' / split, Path(out) / 'labels' / split
    img_dir.mkdir(parents=True, exist_ok=True)
    lbl_dir.mkdir(parents=True, exist_ok=True)
    width, height = render_size
    out_h = int(round(imgsz * height / width))
    for i in range(count):
        rng = np.random.default_rng([seed, _EMPTY_SPLIT_IDS[split], i])
        image = cv2.resize(render_empty(rng, width, height), (imgsz, out_h),
                           interpolation=cv2.INTER_AREA)
        cv2.imwrite(str(img_dir / f'empty_{i:06d}.jpg'), image, [cv2.IMWRITE_JPEG_QUALITY, 95])
        (lbl_dir / f'empty_{i:06d}.txt').write_text('')
    return count


def import_real_sources(out, sources, class_map, imgsz, real_val_share, mask_method='auto'):
    """Import every ``(folder, layout)`` into train/val; returns per-source stats."""
    mapping = load_class_mapping(class_map)
    summary = []
    for k, (folder, layout) in enumerate(sources):
        photos = read_photos(folder, layout)
        mapping.check(source_classes(photos))  # fail before writing anything
        entry = {'folder': str(folder), 'layout': layout, 'photos': len(photos)}
        for split in ('train', 'val'):
            chosen = [p for p in photos if split_of(p.path, real_val_share) == split]
            entry[split] = write_real_split(
                chosen, mapping, out, split, imgsz, f'r{k}', mask_method)
        summary.append(entry)
    return {'class_map': mapping.as_dict(), 'sources': summary}


def write_mixed_dataset(
    out, sources, class_map, real_share=None, n_train=1600, n_val=160, n_test=240, n_empty=0,
    seed=0, imgsz=320, train_hard_fraction=0.5, train_start=0, real_val_share=0.1,
    mask_method='auto', n_views=0,
):
    """Real + synthetic + empty dataset under ``out``; returns the path of data.yaml."""
    from rvm_training.dataset import write_split

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    real = import_real_sources(out, sources, class_map, imgsz, real_val_share, mask_method)
    n_real = sum(s['train']['images'] for s in real['sources'])
    if real_share is not None:
        n_train = synthetic_count(n_real, real_share)
    counts = {'train': n_train, 'val': n_val, 'test': n_test}
    fractions = {'train': train_hard_fraction, 'val': 1.0, 'test': 1.0}
    synthetic = {}
    for split in ('train', 'val', 'test'):
        synthetic[split] = {
            'images': counts[split], 'hard_fraction': fractions[split],
            'flags': write_split(out, split, counts[split], seed, imgsz, fractions[split],
                                 train_start if split == 'train' else 0)}
    empties = {'train': write_empty_split(out, 'train', n_empty, seed, imgsz),
               'val': write_empty_split(out, 'val', n_empty // 10, seed, imgsz)}
    views = {'train': write_chamber_split(out, 'train', n_views, seed, imgsz),
             'val': write_chamber_split(out, 'val', n_views // 10, seed, imgsz)}
    data = {
        'path': str(out.resolve()), 'train': 'images/train', 'val': 'images/val',
        'test': 'images/test', 'names': dict(enumerate(CLASS_NAMES))}
    (out / 'data.yaml').write_text(yaml.safe_dump(data, sort_keys=False))
    info = {
        'seed': seed, 'imgsz': imgsz, 'train_start': train_start, 'real_share': real_share,
        'real_train_images': n_real, 'real': real, 'splits': synthetic, 'empty': empties,
        'views': views, 'generator': 'rvm_training.synthetic_scene.render_image',
        'empty_generator': 'rvm_training.chamber_backgrounds.render_empty',
        'view_generator': 'rvm_training.chamber_views.render_chamber_still'}
    (out / 'dataset.json').write_text(json.dumps(info, indent=2))
    return out / 'data.yaml'
