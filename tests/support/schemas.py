"""Test helpers over the event contract (:mod:`rvm_common.contract`, the package's JSON Schemas).

Shared by the schema, bridge and dashboard tests: ``validate_event(payload)`` picks the schema
from the payload's ``type`` (outbound events) or from ``event=`` (inbound ``manual-sync`` /
``command``, which carry no envelope) and raises :class:`SchemaViolation` listing every error.
"""
from __future__ import annotations

from typing import Any

# re-exported
from rvm_common.contract import SCHEMA_DIR, errors, event_names, schema, validator  # noqa: F401


class SchemaViolation(AssertionError):
    """A payload that does not match its event's JSON Schema."""


def validate_event(payload: Any, event: str | None = None) -> None:
    """Raise :class:`SchemaViolation` unless ``payload`` matches its schema."""
    problems = errors(payload, event)
    if problems:
        raise SchemaViolation('; '.join(problems))
