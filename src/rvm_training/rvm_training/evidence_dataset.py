"""A YOLO-seg data set from a machine's own verdicts (``rvm-make-dataset --from-evidence DIR``).

``DIR`` is an evidence folder the edge keeps (``rvm_detector.evidence_store``: one folder per
verdict with ``frame.jpg`` and ``verdict.json``). Each verdict becomes one image (the full frame,
saved ``--imgsz`` wide) labelled with its mask polygon and its class; ``--relabel FILE`` (JSON
``{"event or item id (prefix)": "class" | "drop"}``) applies an operator's corrections first, so
disputed items feed the next model with the right class. Verdicts that cannot be labelled are
left out and counted by reason: several objects in the chamber (only one is outlined), no mask,
a class the model does not have, unreadable files. Splits: ``val`` takes about ``--val-share``
of the verdicts, chosen by a hash of the event id (stable across runs); the rest is ``train``.
"""
from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import yaml

from rvm_training.synthetic_scene import CLASS_NAMES

DROP = 'drop'


def add_evidence_arguments(parser: Any) -> None:
    """``--from-evidence`` and its options on ``rvm-make-dataset``'s parser."""
    parser.add_argument(
        '--from-evidence', metavar='DIR',
        help="build the data set from a machine's kept verdicts (frame + mask + class; "
             'rvm-edge run keeps them in evidence/ beside the outbox) instead of synthetic ones')
    parser.add_argument(
        '--relabel', metavar='FILE',
        help='with --from-evidence: JSON {"event or item id": "class" or "drop"}, an operator\'s '
             'corrections applied before labelling')
    parser.add_argument(
        '--val-share', type=float, default=0.1,
        help='with --from-evidence: share of verdicts put in val (by event-id hash)')


def run_from_evidence(args: Any) -> int:
    """Console branch of ``rvm-make-dataset --from-evidence``: write, print the counts."""
    try:
        summary = write_evidence_dataset(args.from_evidence, args.out, args.imgsz,
                                         args.relabel, args.val_share)
    except (OSError, ValueError) as exc:
        print(f'rvm-make-dataset: {exc}')
        return 2
    skipped = ', '.join(f'{k} {v}' for k, v in sorted(summary['skipped'].items())) or 'none'
    print(f"dataset written: {Path(args.out) / 'data.yaml'} ({summary['images']['train']} train, "
          f"{summary['images']['val']} val from {summary['verdicts']} verdicts; "
          f'left out: {skipped})')
    return 0 if summary['images']['train'] + summary['images']['val'] else 1


def load_relabel(path: str | Path | None) -> dict[str, str]:
    """The corrections file (lower-case keys); ValueError naming a bad class or file."""
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding='utf-8'))
    except (OSError, ValueError) as exc:
        raise ValueError(f'--relabel {path}: {exc}') from None
    if not isinstance(data, dict):
        raise ValueError(f'--relabel {path}: expected an object {{"id": "class"}}')
    bad = sorted(v for v in data.values() if v not in CLASS_NAMES and v != DROP)
    if bad:
        raise ValueError(f'--relabel {path}: unknown class(es) {bad}; '
                         f'use one of {list(CLASS_NAMES)} or "{DROP}"')
    return {str(k).lower(): v for k, v in data.items()}


def _correction(relabel: dict[str, str], verdict: dict[str, Any]) -> str | None:
    ids = [str(verdict.get('event_id', '')).lower(), str(verdict.get('item_id', '')).lower()]
    for key, value in relabel.items():
        if any(i and i.startswith(key) for i in ids):
            return value
    return None


def split_of(event_id: str, val_share: float) -> str:
    """``val`` for about ``val_share`` of event ids (stable hash), else ``train``."""
    digest = int(hashlib.sha256(event_id.encode('utf-8')).hexdigest()[:8], 16)
    return 'val' if digest / 0xFFFFFFFF < val_share else 'train'


def label_of(verdict: dict[str, Any], relabel: dict[str, str]) -> tuple[str | None, str]:
    """(class name, '') of a usable verdict, or (None, why it is left out)."""
    corrected = _correction(relabel, verdict)
    if corrected == DROP:
        return None, 'dropped by --relabel'
    if corrected is None and verdict.get('reason') == 'multiple_objects':
        return None, 'several objects'
    if not (verdict.get('mask') or {}).get('polygon'):
        return None, 'no mask'
    name = corrected or verdict.get('class_name')
    if name not in CLASS_NAMES:
        return None, 'class not in the model'
    return name, ''


def write_evidence_dataset(source: str | Path, out: str | Path, imgsz: int = 320,
                           relabel_file: str | Path | None = None,
                           val_share: float = 0.1) -> dict[str, Any]:
    """Write the YOLO-seg data set of the verdicts under ``source``; return its summary."""
    source, out = Path(source).expanduser(), Path(out)
    if not source.is_dir():
        raise ValueError(f'--from-evidence {source}: no such folder')
    if not 0.0 <= val_share < 1.0:
        raise ValueError(f'--val-share {val_share}: must be in 0..1 (1 excluded)')
    relabel = load_relabel(relabel_file)
    skipped: Counter = Counter()
    images: Counter = Counter()
    classes: Counter = Counter()
    folders = sorted(p for p in source.iterdir() if (p / 'verdict.json').is_file())
    for kind in ('images', 'labels'):
        for split in ('train', 'val'):
            (out / kind / split).mkdir(parents=True, exist_ok=True)
    for folder in folders:
        try:
            verdict = json.loads((folder / 'verdict.json').read_text(encoding='utf-8'))
        except (OSError, ValueError):
            skipped['unreadable verdict.json'] += 1
            continue
        name, why = label_of(verdict, relabel)
        frame_file = folder / 'frame.jpg'
        frame = cv2.imread(str(frame_file)) if name and frame_file.is_file() else None
        if name and frame is None:
            why = 'unreadable frame.jpg'
        if why:
            skipped[why] += 1
            continue
        split = split_of(folder.name, val_share)
        height, width = frame.shape[:2]
        size = verdict.get('frame') or {}
        scale_w, scale_h = size.get('width', width), size.get('height', height)
        pts = np.clip(np.asarray(verdict['mask']['polygon'], np.float64) / [scale_w, scale_h],
                      0.0, 1.0)
        out_h = int(round(imgsz * height / width))
        cv2.imwrite(str(out / 'images' / split / f'{folder.name}.jpg'),
                    cv2.resize(frame, (imgsz, out_h), interpolation=cv2.INTER_AREA))
        coords = ' '.join(f'{v:.6f}' for v in pts.reshape(-1))
        (out / 'labels' / split / f'{folder.name}.txt').write_text(
            f'{CLASS_NAMES.index(name)} {coords}\n', encoding='utf-8')
        images[split] += 1
        classes[name] += 1
    data = {'path': str(out.resolve()), 'train': 'images/train', 'val': 'images/val',
            'names': dict(enumerate(CLASS_NAMES))}
    (out / 'data.yaml').write_text(yaml.safe_dump(data, sort_keys=False))
    summary = {'source': str(source), 'verdicts': len(folders),
               'images': {'train': images['train'], 'val': images['val']},
               'classes': dict(sorted(classes.items())), 'skipped': dict(sorted(skipped.items())),
               'relabelled': len(relabel), 'imgsz': imgsz, 'val_share': val_share}
    (out / 'dataset.json').write_text(json.dumps(summary, indent=2))
    return summary
