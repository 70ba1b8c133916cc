"""Lint (ament_pep257 style): pydocstyle over the package's modules, with the checks of setup.cfg."""
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1]


def test_pep257():
    try:
        import pydocstyle  # noqa: F401
    except ImportError:
        pytest.skip('pydocstyle not installed (requirements/dev.txt)')
    run = subprocess.run([sys.executable, '-m', 'pydocstyle', '--config', str(PACKAGE / 'setup.cfg'),
                          PACKAGE.name], cwd=PACKAGE, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, f'pydocstyle findings in {PACKAGE.name}:\n{run.stdout}{run.stderr}'
