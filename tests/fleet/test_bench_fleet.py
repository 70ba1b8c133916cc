"""bench/bench_fleet.py --quick: sizes a tiny fleet and restarts node A under it.

It prints the table the docs show."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_bench_fleet_quick(tmp_path):
    out = tmp_path / 'fleet.json'
    proc = subprocess.run(
        [sys.executable, str(ROOT / 'bench' / 'bench_fleet.py'), '--quick', '--out', str(out)],
        cwd=ROOT, env={**os.environ, 'RVM_ROOT': str(ROOT)}, capture_output=True, text=True,
        timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    figures = json.loads(out.read_text())
    size, restart = figures['runs']
    assert (size['kind'], restart['kind']) == ('size', 'restart')
    assert figures['largest_passing'] == {'dashboard': 4, 'relay': 4}
    assert size['lost'] == restart['lost'] == 0 and restart['restart']['reconnected'] == 4
    assert '| 4 machines, node A killed at 6 s | 4/4 |' in proc.stdout
    assert 'largest fleet with dashboard p99 <= ' in proc.stdout and 'relay p99' in proc.stdout
