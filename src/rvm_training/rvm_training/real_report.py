"""The printed table of ``rvm-eval-real``: per-category rates and mAP, confusion, empties."""
from __future__ import annotations

from rvm_training.real_metrics import CATEGORIES, MISSED

NAME_WIDTH = 14


def _num(value, digits: int = 3) -> str:
    return 'n/a' if value is None else f'{value:.{digits}f}'


def _ap(report: dict, kind: str, category: str | None, key: str) -> str:
    block = report.get(f'{kind}_map')
    if not block:
        return 'n/a'
    if category is None:
        return _num(block[key])
    row = block['per_class'].get(category)
    return _num(row[key]) if row else 'n/a'


def format_report(report: dict) -> str:
    """The human-readable table of an :func:`~rvm_training.real_eval.evaluate_photos` report."""
    photos = report['photos']
    settings = report.get('settings', {})
    lines = [
        f'rvm-eval-real: {photos["evaluated"]} of {photos["found"]} photo(s) in {report["data"]} '
        f'({", ".join(report["layouts"])})',
    ]
    if 'model' in report:
        lines.append(f'model {report["model"]}  imgsz {settings.get("imgsz")}  conf '
                     f'{settings.get("conf")}  max_det {settings.get("max_det")}')
    if report['skipped']:
        names = ', '.join(s['path'] for s in report['skipped'][:10])
        more = len(report['skipped']) - 10
        lines.append(f'skipped {len(report["skipped"])} unreadable image(s): {names}'
                     + (f' and {more} more' if more > 0 else ''))
    if photos['dropped_by_map']:
        lines.append(f'left out {photos["dropped_by_map"]} photo(s) with a class mapped to drop')
    header = (f'{"class":<{NAME_WIDTH}} {"items":>6} {"detected":>8} {"det.rate":>8} '
              f'{"top-1":>6} {"top-1 acc":>9} {"box AP50":>8} {"box AP50-95":>11} '
              f'{"mask AP50":>9} {"mask AP50-95":>12}')
    lines += ['', header]
    rows = [(c, report['per_class'][c]) for c in CATEGORIES] + [('all', report['overall'])]
    for name, row in rows:
        category = None if name == 'all' else name
        lines.append(
            f'{name:<{NAME_WIDTH}} {row["items"]:>6} {row["detected"]:>8} '
            f'{_num(row["detection_rate"]):>8} {row["top1_correct"]:>6} '
            f'{_num(row["top1_accuracy"]):>9} {_ap(report, "box", category, "map50"):>8} '
            f'{_ap(report, "box", category, "map50_95"):>11} '
            f'{_ap(report, "mask", category, "map50"):>9} '
            f'{_ap(report, "mask", category, "map50_95"):>12}')
    columns = (*CATEGORIES, MISSED)
    lines += ['', 'confusion matrix (rows: labelled class; columns: class of the top detection '
                  'matched to the item, or missed)',
              f'{"":<{NAME_WIDTH}} ' + ' '.join(f'{c:>13}' for c in columns)]
    for true in CATEGORIES:
        counts = report['confusion'][true]
        lines.append(f'{true:<{NAME_WIDTH}} ' + ' '.join(f'{counts[c]:>13}' for c in columns))
    lines.append(f'detections matching no labelled box: {report["extra_detections"]}')
    mistakes = report.get('mistakes', [])
    if mistakes:
        lines.append(f'{len(mistakes)} mistake(s) (all in --json), first {min(5, len(mistakes))}:')
        for m in mistakes[:5]:
            conf = '' if m['confidence'] is None else f' ({m["confidence"]:.2f})'
            lines.append(f'  {m["photo"]}: {m["labelled"]} -> {m["predicted"]}{conf}')
    empty = report['empty']
    if empty['frames']:
        top = ', '.join(f'{c} {n}' for c, n in empty['top_class'].items() if n)
        lines.append(
            f'empty frames: {empty["frames"]}, with a detection: {empty["with_detection"]} '
            f'(false-positive rate {_num(empty["fp_rate"])}'
            + (f', highest conf {empty["max_conf"]:.2f}; top class {top})' if top else ')'))
    else:
        lines.append('empty frames: none (add an empty/ or background/ folder to measure '
                     'false positives)')
    for kind, what in (('box', 'boxes'), ('mask', 'outlines')):
        block = report.get(f'{kind}_map')
        lines.append(
            f'{kind} mAP50 {block["map50"]:.3f}  mAP50-95 {block["map50_95"]:.3f} over '
            f'{block["items"]} item(s) in {block["images"]} photo(s)' if block else
            f'{kind} mAP: n/a (no photo whose items all have {what})')
    return '\n'.join(lines)
