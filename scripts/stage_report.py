#!/usr/bin/env python3
"""Counts and skip reasons of JUnit XML files, and the closing lines of ``scripts/test``.

    stage_report.py counts NAME RC FILE...     # a test stage: "NAME: 12 passed, 0 failed, ..."
                                              # and one line per distinct skip reason
    stage_report.py build NAME RC WORDS...     # a stage without test results (colcon build)
    stage_report.py close STATE_DIR STARTED    # the stages line, then pytest's summary form
                                              # (STARTED: the run's start, epoch seconds)

``counts`` and ``build`` append to ``$RVM_TEST_STATE/stages.jsonl``; ``close`` reads it and
exits 0 only when every stage exited 0 with no failed test and no error.
"""
from __future__ import annotations

import ast
import json
import os
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

KINDS = ('passed', 'failed', 'errors', 'skipped')


def read_junit(paths: list[str]) -> tuple[Counter, Counter]:
    """(counts by kind, skip reasons) of the test cases in ``paths`` (unreadable files: errors)."""
    counts: Counter = Counter()
    reasons: Counter = Counter()
    for path in paths:
        try:
            root = ET.parse(path).getroot()
        except (OSError, ET.ParseError) as exc:
            counts['errors'] += 1
            print(f'  unreadable result file {path}: {exc}')
            continue
        for case in root.iter('testcase'):
            kinds = {child.tag for child in case}
            if 'failure' in kinds:
                counts['failed'] += 1
            elif 'error' in kinds:
                counts['errors'] += 1
            elif 'skipped' in kinds:
                counts['skipped'] += 1
                skipped = case.find('skipped')
                message = (skipped.get('message') or '').strip()
                if message in ('', 'collection skipped') and (skipped.text or '').strip():
                    message = skipped.text.strip()      # "(file, line, 'Skipped: reason')"
                    try:
                        message = str(ast.literal_eval(message)[-1])
                    except (ValueError, SyntaxError, TypeError, IndexError):
                        pass
                reason = message or 'no reason given'
                reasons[reason.removeprefix('Skipped: ')[:160]] += 1
            else:
                counts['passed'] += 1
    return counts, reasons


def counts_text(counts: Counter) -> str:
    return ', '.join(f'{counts[k]} {k}' for k in KINDS)


def stage(name: str, paths: list[str], rc: int) -> dict:
    """Print one stage's counts and skip reasons; return its record."""
    counts, reasons = read_junit(paths)
    print(f'{name}: {counts_text(counts)} ({len(paths)} result files, exit {rc})')
    for reason, n in reasons.most_common():
        print(f'  skipped {n}x: {reason}')
    return {'stage': name, 'rc': rc, **{k: counts[k] for k in KINDS}}


def record(state: Path, entry: dict) -> None:
    with (state / 'stages.jsonl').open('a', encoding='utf-8') as out:
        out.write(json.dumps(entry) + '\n')


def close(state: Path, elapsed: float) -> int:
    """The stages line and, last, pytest's summary form of the totals; 0 when all passed."""
    stages = [json.loads(line) for line in (state / 'stages.jsonl').read_text().splitlines()
              if line.strip()] if (state / 'stages.jsonl').is_file() else []
    ok = bool(stages) and all(s['rc'] == 0 and not s.get('failed') and not s.get('errors')
                              for s in stages)
    parts = []
    for s in stages:
        if s.get('build'):
            parts.append(f"{s['stage']} {'ok' if s['rc'] == 0 else 'FAILED'} ({s['build']})")
        else:
            parts.append(f"{s['stage']} {s['passed']} passed, {s['failed']} failed, "
                         f"{s['errors']} errors, {s['skipped']} skipped")
    print(f"scripts/test: {'; '.join(parts) or 'no stage ran'}; overall "
          f"{'PASSED' if ok else 'FAILED'}")
    total = Counter()
    for s in stages:
        for k in KINDS:
            total[k] += s.get(k, 0)
    if not ok and not total['failed'] and not total['errors']:
        total['errors'] = 1                 # a stage failed without a failed test (build, crash)
    words = [f'{total[k]} {k}' for k in ('failed', 'passed', 'skipped') if total[k]]
    if total['errors']:
        words.append(f"{total['errors']} error" + ('s' if total['errors'] > 1 else ''))
    words = words or ['no tests ran']
    print(f"{'=' * 20} {', '.join(words)} in {elapsed:.2f}s {'=' * 20}")
    return 0 if ok else 1


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == 'close':
        started = float(argv[2]) if len(argv) > 2 else time.time()
        return close(Path(argv[1]), time.time() - started)
    if len(argv) >= 3 and argv[0] in ('counts', 'build'):
        state, name, rc = os.environ.get('RVM_TEST_STATE', ''), argv[1], int(argv[2])
        if argv[0] == 'build':
            entry = {'stage': name, 'rc': rc, 'build': ' '.join(argv[3:]) or 'built'}
        else:
            entry = stage(name, argv[3:], rc)
        if state:                       # without RVM_TEST_STATE: print only
            record(Path(state), entry)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
