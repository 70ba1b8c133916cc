"""Read a YAML file with one clear error for every way it can fail (used by every loader)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def _syntax_message(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, 'problem_mark', None) or getattr(exc, 'context_mark', None)
    problem = getattr(exc, 'problem', None) or str(exc).splitlines()[0]
    context = getattr(exc, 'context', None)
    text = f'{context}, {problem}' if context else str(problem)
    if mark is None:
        return f': {text}'
    return f' (line {mark.line + 1}, column {mark.column + 1}): {text}'


def read_yaml(path: str | Path, what: str, error: type[Exception] = ValueError) -> Any:
    """The parsed content of ``path``; ``error`` names ``what``, the path and line if it fails."""
    try:
        text = Path(path).read_text(encoding='utf-8')
    except OSError as exc:
        raise error(f'cannot read {what} {path}: {exc.strerror}') from None
    except UnicodeDecodeError as exc:
        raise error(f'{what} {path} is not UTF-8 text: {exc.reason}') from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise error(f'{what} {path} is not valid YAML{_syntax_message(exc)}') from None
