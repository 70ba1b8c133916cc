"""The ament-style lint checks every package's tests run: flake8 and pydocstyle (pep257).

Each package's ``test/test_lint_<pkg>.py`` calls these with its own folder, so the settings are
the ``[flake8]`` / ``[pydocstyle]`` sections of that package's ``setup.cfg``; the repository's
own test and bench folders are checked by ``tests/test_lint_repo.py`` with the root ``.flake8``.
The tools are test dependencies (``requirements/dev.txt``; ``python3-flake8`` /
``python3-pydocstyle`` in ``package.xml``): where one is missing the check is skipped with that
reason, as ament does.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _run(tool: str, folder: Path, target: str, config: Path | None = None) -> str:
    import pytest
    pytest.importorskip(tool, reason=f'{tool} not installed (requirements/dev.txt)')
    config = config or folder / 'setup.cfg'
    run = subprocess.run([sys.executable, '-m', tool, '--config', str(config), target],
                         cwd=folder, capture_output=True, text=True, timeout=300)
    if run.returncode == 0:
        return ''
    return f'{tool} findings in {folder.name}:\n{run.stdout}{run.stderr}'


def flake8_findings(package: Path, config: Path | None = None) -> str:
    """flake8 over the whole folder ('' when clean); ``config`` defaults to its setup.cfg."""
    return _run('flake8', package, '.', config)


def pep257_findings(package: Path) -> str:
    """pydocstyle over the package's Python modules ('' when clean)."""
    return _run('pydocstyle', package, package.name)
