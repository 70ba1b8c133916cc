"""Lint (ament_flake8 / ament_pep257 style) of rvm_detector; the basename is unique per package."""
from pathlib import Path

from rvm_common.lint import flake8_findings, pep257_findings

PACKAGE = Path(__file__).resolve().parents[1]


def test_flake8():
    assert flake8_findings(PACKAGE) == ''


def test_pep257():
    assert pep257_findings(PACKAGE) == ''
