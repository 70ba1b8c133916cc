"""``rvm-edge evidence EVENT_ID``: where a verdict's frame and crop are kept, and their export.

The runner keeps the evidence of the last verdicts in the detector's ``evidence_dir``, by default
the folder ``evidence/`` beside the outbox (``var/demo/evidence`` for ``scripts/demo``). This
command finds a verdict by its event id or item id (or the first characters of either, as the
console's ``id`` column prints them), prints where its files are and, with ``--export DIR``,
copies them there with the mask drawn on the frame and on the crop.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

EVIDENCE_FOLDER = 'evidence'


def default_evidence_dir(outbox_path: str) -> str:
    """``evidence/`` beside the outbox file ('' for an in-memory outbox: nothing kept)."""
    if not outbox_path or outbox_path == ':memory:':
        return ''
    return str(Path(outbox_path).expanduser().parent / EVIDENCE_FOLDER)


def with_evidence_dir(detector: Any, outbox_path: str) -> Any:
    """``detector`` config with ``evidence_dir`` beside the outbox unless the params set one."""
    from rvm_detector.evidence import with_default_evidence_dir
    return with_default_evidence_dir(detector, default_evidence_dir(outbox_path))


def add_evidence_command(sub: Any) -> None:
    """The ``evidence`` sub-command of ``rvm-edge``."""
    cmd = sub.add_parser(
        'evidence', help="show where a verdict's frame and crop are kept, and export them",
        description='Find the evidence (full frame, crop, verdict) of one verdict by its event id '
                    'or item id, or the first characters of either; print where it is kept.')
    cmd.add_argument('event_id', nargs='?', help='event id or item id (at least 4 characters); '
                                                 'leave out with --list')
    cmd.add_argument('--list', action='store_true', help='list every kept verdict, oldest first')
    cmd.add_argument('--export', type=Path, metavar='DIR',
                     help='copy the files to DIR, with the mask drawn on the frame and the crop')
    cmd.add_argument('--dir', type=Path, help='evidence folder (default: detector.evidence_dir of '
                                              'the params file, else evidence/ beside the outbox)')
    cmd.add_argument('--params', type=Path, help='params YAML (default: as for `rvm-edge run`)')
    cmd.add_argument('--outbox', type=Path, help='outbox path whose folder holds evidence/')


def evidence_folder(args: argparse.Namespace) -> Path:
    """The folder named by ``--dir``, else by the params file, else beside the outbox."""
    if args.dir:
        return args.dir.expanduser()
    from rvm_bringup.run_config import build_configs
    ns = argparse.Namespace(params=args.params, outbox=args.outbox, source='sample')
    configs = build_configs(ns)
    folder = configs.detector.evidence_dir or default_evidence_dir(configs.bridge.outbox_path)
    return Path(folder).expanduser()


def run_evidence(args: argparse.Namespace, out=None) -> int:
    """Print (and export) one verdict's evidence; 0, or 2 with the reason on stderr."""
    out = out or sys.stdout
    from rvm_detector.evidence_store import EvidenceStore
    store = EvidenceStore(evidence_folder(args), max_mb=0)
    if args.list:
        entries = store.entries()
        for entry in entries:
            print(f'{entry.event_id}  {_verdict_words(entry.verdict)}', file=out)
        print(f'{len(entries)} verdicts kept in {store.directory}', file=out)
        return 0
    if not args.event_id:
        print('rvm-edge evidence: give an EVENT_ID (or --list)', file=sys.stderr)
        return 2
    try:
        entry = store.find(args.event_id)
    except KeyError as exc:
        print(f'rvm-edge evidence: {exc.args[0]}', file=sys.stderr)
        return 2
    verdict = entry.verdict
    print(f"verdict {entry.event_id} (item {verdict.get('item_id')}): "
          f'{_verdict_words(verdict)}', file=out)
    for name, path in (('folder', entry.folder), ('frame', entry.frame), ('crop', entry.crop),
                       ('verdict', entry.folder / 'verdict.json')):
        print(f'  {name:<8}{path}', file=out)
    if args.export:
        written = export(entry, args.export.expanduser())
        print(f"exported to {args.export}: {', '.join(p.name for p in written)}", file=out)
    return 0


def _verdict_words(verdict: dict[str, Any]) -> str:
    decision = 'ACCEPT' if verdict.get('accepted') else f"REJECT ({verdict.get('reason')})"
    return (f"{verdict.get('class_name', '?')} conf {verdict.get('confidence', 0):.2f} {decision}"
            f", captured {verdict.get('capture_time', '?')}")


def export(entry: Any, target: Path) -> list[Path]:
    """Copy frame, crop and verdict to ``target``, plus both images with the mask drawn."""
    import cv2
    import numpy as np
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for path in (entry.frame, entry.crop, entry.folder / 'verdict.json'):
        written.append(Path(shutil.copy2(path, target / path.name)))
    verdict = entry.verdict
    frame = cv2.imread(str(entry.frame))
    polygon = (verdict.get('mask') or {}).get('polygon')
    box = verdict.get('bbox') or {}
    if frame is not None:
        if polygon:
            cv2.polylines(frame, [np.asarray(polygon, np.int32)], True, (0, 255, 255), 2)
        if box:
            cv2.rectangle(frame, (int(box['x1']), int(box['y1'])),
                          (int(box['x2']), int(box['y2'])), (0, 200, 0), 1)
        written.append(target / 'frame_annotated.jpg')
        cv2.imwrite(str(written[-1]), frame)
    crop = cv2.imread(str(entry.crop))
    crop_polygon = (verdict.get('evidence') or {}).get('polygon')
    if crop is not None and crop_polygon:
        cv2.polylines(crop, [np.asarray(crop_polygon, np.int32)], True, (0, 255, 255), 1)
        written.append(target / 'crop_annotated.jpg')
        cv2.imwrite(str(written[-1]), crop)
    (target / 'evidence.json').write_text(json.dumps(
        {'event_id': entry.event_id, 'source': str(entry.folder)}, indent=1), encoding='utf-8')
    written.append(target / 'evidence.json')
    return written
