"""Lint of the repository's own Python outside the packages: tests/, bench/ and launch/.

The packages lint themselves (``src/<pkg>/test/test_lint_<pkg>.py``); this covers the rest with
the root ``.flake8`` (ament_flake8's line length, 99).
"""
from pathlib import Path

import pytest

from rvm_common.lint import flake8_findings

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize('folder', ['tests', 'bench', 'launch'])
def test_flake8(folder):
    assert flake8_findings(ROOT / folder, config=ROOT / '.flake8') == ''
