"""What a collector returns: one :class:`Reading` per sample, plus diagnostic levels."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# the levels, re-exported
from rvm_common.diagnostics_msgs import ERROR, OK, STALE, WARN  # noqa: F401

LEVEL_NAMES = {OK: 'OK', WARN: 'WARN', ERROR: 'ERROR', STALE: 'STALE'}


@dataclass
class Reading:
    """One sample of one collector.

    ``present`` is False when the source does not exist on this machine (tool
    not installed, no sensor): ``reason`` says why.  ``ok`` is False when the
    source exists but this sample failed (unreadable file, odd output).
    ``values`` is JSON-able and goes into the health payload.
    """

    name: str
    values: dict[str, Any] = field(default_factory=dict)
    ok: bool = True
    present: bool = True
    reason: str = ''
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def absent(cls, name: str, reason: str) -> 'Reading':
        return cls(name=name, ok=False, present=False, reason=reason)

    @classmethod
    def failed(cls, name: str, reason: str) -> 'Reading':
        return cls(name=name, ok=False, reason=reason)


def mb(n_bytes: float) -> float:
    """Bytes -> MiB rounded to 0.1."""
    return round(n_bytes / (1024 * 1024), 1)
