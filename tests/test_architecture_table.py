"""docs/architecture.md's concern -> module table: one module per row, each once, none missing."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / 'docs' / 'architecture.md'


def table_rows() -> list[tuple[str, str]]:
    text = DOC.read_text(encoding='utf-8')
    section = text.split('## Where each concern lives', 1)[1].split('\n## ', 1)[0]
    rows = [
        line
        for line in section.splitlines()
        if line.startswith('| ') and not line.startswith('| concern')
    ]
    out = []
    for row in rows:
        cells = [c.strip() for c in row.strip('|').split(' | ')]
        assert len(cells) == 2, f'architecture table row with {len(cells)} cells: {row}'
        out.append((cells[0], cells[1]))
    return out


def package_modules() -> set[str]:
    found = set()
    for path in (ROOT / 'src').glob('rvm_*/rvm_*/**/*.py'):
        if path.name == '__init__.py' or '.egg-info' in str(path):
            continue
        # rvm_pkg/module.py
        found.add(Path(*path.relative_to(ROOT / 'src').parts[1:]).as_posix())
    return found


def test_one_module_per_row_and_each_module_in_one_row():
    modules = []
    for concern, cell in table_rows():
        named = re.findall(r'`([^`]+\.py)`', cell)
        assert (
            len(named) == 1 and cell == f'`{named[0]}`'
        ), f'{concern!r}: one module per row, got {cell}'
        modules.append(named[0])
    twice = sorted({m for m in modules if modules.count(m) > 1})
    assert twice == [], f'modules in more than one row: {twice}'


def test_every_listed_module_exists_and_every_module_is_listed():
    listed = {re.findall(r'`([^`]+\.py)`', cell)[0] for _, cell in table_rows()}
    modules = package_modules()
    assert sorted(listed - modules) == [], 'rows naming a module that does not exist'
    assert sorted(modules - listed) == [], 'modules without a row in docs/architecture.md'
