"""Scenario suite: scripted chamber scenes through the detector core, scored against ground truth.

``rvm-scenarios --seed S --per-kind N`` renders N scenarios of every kind
(:mod:`rvm_training.synthetic_scenarios`), runs each through a :class:`DetectorCore` with the
bundled model (a fresh item session per scenario, calibrated from the scene's opening empty
frames as ``rvm-edge calibrate`` would; ``session_end`` steps send the ``end_session`` command)
and prints one row per kind: expected verdicts, produced, missing, extra, wrong category, wrong
decision, wrong alert (the ``recalibrate`` alert expected for a moved camera or a changed light
and not raised, or raised where nothing changed). Every kind is rule-driven (the number of
verdicts follows from the chamber rules); categories and policy decisions also depend on the
model. It exits 1 when any count but ``expected``/``produced`` is non-zero (``--hard`` too).
``rvm-scenarios --merge A.json B.json ...`` adds up the tables of earlier ``--json`` runs (a sweep
split by seed or kind) and prints the one table with its total row (exit 1 on any failure too).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

from rvm_common.events import TOPIC_VERDICT
from rvm_detector.class_map import ClassMap
from rvm_training.synthetic_scenarios import KINDS, SESSION_END, build

COLUMNS = ('expected', 'produced', 'missing', 'extra', 'wrong_category', 'wrong_decision',
           'wrong_alert')
#: the counts that must all be 0 for the suite to pass
FAILURES = ('missing', 'extra', 'wrong_category', 'wrong_decision', 'wrong_alert')


@dataclass
class Score:
    """Verdict counts of one scenario or kind."""

    scenarios: int = 0
    expected: int = 0
    produced: int = 0
    missing: int = 0
    extra: int = 0
    wrong_category: int = 0
    wrong_decision: int = 0
    wrong_alert: int = 0

    def add(self, other: 'Score') -> None:
        for name in ('scenarios', *COLUMNS):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def expected_decision(expected, class_map: ClassMap) -> tuple[bool, str | None]:
    """(accepted, reason) the ground truth wants: the rule's reason, else the category policy."""
    if expected.reason is not None:
        return False, expected.reason
    category = class_map.category_of(expected.class_name)
    return (
        (True, None) if class_map.policy(category).accepted else (False, 'category_not_accepted'))


def score(expected: list, produced: list[dict[str, Any]], class_map: ClassMap) -> Score:
    """Compare the produced verdicts with the expected ones, in order."""
    result = Score(
        scenarios=1, expected=len(expected), produced=len(produced),
        missing=max(0, len(expected) - len(produced)), extra=max(0, len(produced) - len(expected)))
    for want, got in zip(expected, produced):
        if want.classes:
            cats = Counter(class_map.category_of(c) for c in want.classes)
            result.wrong_category += int(got.get('objects', {}).get('categories') != dict(cats))
        else:
            result.wrong_category += int(got['category'] != class_map.category_of(want.class_name))
        accepted, reason = expected_decision(want, class_map)
        result.wrong_decision += int((got['accepted'], got['reason']) != (accepted, reason))
    return result


def recalibrate_threshold() -> float:
    """The drift from which health raises ``recalibrate`` (the bundled health rules)."""
    from rvm_health.health_rules import load_rules
    return next(a.raise_above for a in load_rules(None).alerts if a.id == 'recalibrate')


def run_scenario(core, scenario, calibrate: bool = True) -> list[dict[str, Any]]:
    """Play one scenario through ``core`` (fresh item session); the verdict payloads in order.

    ``calibrate``: record the calibration from the scene's opening empty frames first.
    """
    from rvm_detector.calibration import record
    opening = [f.image for f in scenario.frames[:scenario.calibration_frames]]
    core.new_session(record(opening) if calibrate and opening else None)
    verdicts = []
    for frame in scenario.frames:
        events = core.process(frame.image, stamp_ns=int(frame.t * 1e9), now=frame.t).events
        for event in frame.events:
            if event == SESSION_END:
                events += core.command({'command': 'end_session'})
        verdicts += [payload for topic, payload in events if topic == TOPIC_VERDICT]
    return verdicts


def run_suite(
    core, seed: int, per_kind: int, kinds=None, width=320, height=240, fps=10.0, hard=False,
    details: list | None = None,
) -> dict[str, Score]:
    """Score ``per_kind`` scenarios of each kind; a ``details`` list gets one row per scenario."""
    table: dict[str, Score] = {}
    threshold = recalibrate_threshold()
    for kind in kinds or KINDS:
        total = Score()
        for index in range(per_kind):
            scenario = build(kind, seed, index, width, height, fps, hard)
            produced = run_scenario(core, scenario)
            row = score(scenario.expected, produced, core.class_map)
            drift = (core.status().get('calibration') or {}).get('drift', 0.0)
            row.wrong_alert = int((drift > threshold) != scenario.expect_alert)
            total.add(row)
            if details is not None:
                details.append(
                    {
                        'kind': kind, 'index': index, 'steps': scenario.steps, **asdict(row),
                        'drift': drift, 'expect_alert': scenario.expect_alert,
                        'expected_verdicts': [asdict(e) for e in scenario.expected],
                        'produced_verdicts': [
                            {
                                k: v.get(k)
                                for k in (
                                    'category', 'accepted', 'reason', 'objects', 'episode_id')
                            }
                            for v in produced
                        ],
                    }
                )
        table[kind] = total
    return table


def format_table(table: dict[str, Score]) -> str:
    """A Markdown table: one row per kind and a total."""
    total = Score()
    lines = ['| kind | scenarios | ' + ' | '.join(c.replace('_', ' ') for c in COLUMNS) + ' |',
             '|---|' + '---:|' * (len(COLUMNS) + 1)]
    for kind, row in table.items():
        total.add(row)
        lines.append(
            f'| {kind} | {row.scenarios} | '
            + ' | '.join(str(getattr(row, c)) for c in COLUMNS)
            + ' |'
        )
    lines.append(
        f'| **total** | {total.scenarios} | '
        + ' | '.join(str(getattr(total, c)) for c in COLUMNS)
        + ' |'
    )
    return '\n'.join(lines)


def merge_tables(paths) -> dict[str, Score]:
    """The per-kind sum of the ``table`` of each ``--json`` file (kinds in suite order)."""
    merged: dict[str, Score] = {}
    for path in paths:
        try:
            with open(path, encoding='utf-8') as handle:
                table = json.load(handle)['table']
            rows = {kind: Score(**counts) for kind, counts in table.items()}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise SystemExit(f'rvm-scenarios --merge: {path}: not an rvm-scenarios --json file '
                             f'({type(exc).__name__}: {exc})') from exc
        for kind, row in rows.items():
            merged.setdefault(kind, Score()).add(row)
    order = {kind: i for i, kind in enumerate(KINDS)}
    return dict(sorted(merged.items(), key=lambda item: order.get(item[0], len(order))))


def make_core(threads: int = 0, model_path: str = ''):
    """A loaded DetectorCore on the CPU: the bundled (or given) model, default item rules."""
    from rvm_detector.detector_config import DetectorConfig
    from rvm_detector.detector_core import DetectorCore

    core = DetectorCore(DetectorConfig(device='cpu', cpu_threads=threads, model_path=model_path))
    quiet = logging.getLogger('rvm_detector.presence')   # each scene brings its calibration
    level, quiet.level = quiet.level, logging.ERROR
    try:
        core.load()
    finally:
        quiet.setLevel(level)
    return core


def main(argv=None) -> int:
    """Console script ``rvm-scenarios``."""
    parser = argparse.ArgumentParser(
        description='Score the chamber rules + model on scripted scenarios.')
    parser.add_argument('--seed', type=int, default=0, help='first scene seed')
    parser.add_argument('--per-kind', type=int, default=5, help='scenarios per kind')
    parser.add_argument('--kinds', nargs='+', choices=KINDS, default=None,
                        help='scenario kinds to play (default: all)')
    parser.add_argument('--width', type=int, default=320, help='frame width in px')
    parser.add_argument('--height', type=int, default=240, help='frame height in px')
    parser.add_argument('--fps', type=float, default=10.0, help='camera frames per second')
    parser.add_argument(
        '--hard', action='store_true', help='hard scenes (glare, clutter, flap, harsh optics)')
    parser.add_argument('--threads', type=int, default=0, help='torch CPU threads (0 = all cores)')
    parser.add_argument('--model', default='', help="model weights ('' = bundled)")
    parser.add_argument(
        '--json', default=None, help='also write the table and per-scenario rows here')
    parser.add_argument('--merge', nargs='+', metavar='JSON', default=None,
                        help='print the summed table of earlier --json files (runs nothing)')
    args = parser.parse_args(argv)
    if args.merge:
        table = merge_tables(args.merge)
        print(format_table(table))
        return 1 if any(getattr(row, name) for row in table.values() for name in FAILURES) else 0
    core = make_core(args.threads, args.model)
    details: list = []
    table = run_suite(
        core, args.seed, args.per_kind, args.kinds, args.width, args.height, args.fps, args.hard,
        details)
    print(f'rvm-scenarios --seed {args.seed} --per-kind {args.per_kind}'
          f'{" --hard" if args.hard else ""} (model {core.segmenter.name})')
    print(format_table(table))
    for row in details:
        if any(row[name] for name in FAILURES):
            print(f"  {row['kind']} #{row['index']}: expected {row['expected_verdicts']} "
                  f"produced {row['produced_verdicts']} (drift {row['drift']:.2f}, alert "
                  f"expected: {row['expect_alert']})")
    if args.json:
        with open(args.json, 'w') as out:
            json.dump(
                {'table': {k: asdict(v) for k, v in table.items()}, 'scenarios': details}, out,
                indent=2)
    failed = sum(getattr(row, name) for row in table.values() for name in FAILURES)
    if failed:
        print(f'rvm-scenarios: {failed} failure(s) (missing, extra, wrong category, decision '
              'or alert)', file=sys.stderr)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
