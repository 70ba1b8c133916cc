"""Read a YAML file with one clear error for every way it can fail (used by every loader)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def read_yaml(path: str | Path, what: str, error: type[Exception] = ValueError) -> Any:
    """The parsed content of ``path``; ``error`` names ``what`` and the path when unreadable or invalid."""
    try:
        return yaml.safe_load(Path(path).read_text(encoding='utf-8'))
    except OSError as exc:
        raise error(f'cannot read {what} {path}: {exc.strerror}') from None
    except yaml.YAMLError as exc:
        raise error(f'{what} {path} is not valid YAML: {exc}') from None
