"""Lint (ament_flake8 style): flake8 over this package with the [flake8] section of its setup.cfg."""
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1]


def test_flake8():
    try:
        import flake8  # noqa: F401
    except ImportError:
        pytest.skip('flake8 not installed (requirements/dev.txt)')
    run = subprocess.run([sys.executable, '-m', 'flake8', '--config', str(PACKAGE / 'setup.cfg'), '.'],
                         cwd=PACKAGE, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, f'flake8 findings in {PACKAGE.name}:\n{run.stdout}{run.stderr}'
