"""The ament-style lint checks every package's tests run: flake8 and pydocstyle (pep257).

Each package's ``test/test_lint_<pkg>.py`` calls these with its own folder, so the settings are
the ``[flake8]`` / ``[pydocstyle]`` sections of that package's ``setup.cfg``.  The tools are test
dependencies (``requirements/dev.txt``; ``python3-flake8`` / ``python3-pydocstyle`` in
``package.xml``): where one is missing the check is skipped with that reason, as ament does.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _run(tool: str, package: Path, target: str) -> str:
    import pytest
    pytest.importorskip(tool, reason=f'{tool} not installed (requirements/dev.txt)')
    run = subprocess.run(
        [sys.executable, '-m', tool, '--config', str(package / 'setup.cfg'), target], cwd=package,
        capture_output=True, text=True, timeout=300)
    return (
        ''
        if run.returncode == 0
        else f'{tool} findings in {package.name}:\n{run.stdout}{run.stderr}'
    )


def flake8_findings(package: Path) -> str:
    """flake8 over the whole package folder ('' when clean)."""
    return _run('flake8', package, '.')


def pep257_findings(package: Path) -> str:
    """pydocstyle over the package's Python modules ('' when clean)."""
    return _run('pydocstyle', package, package.name)
