"""Load the JSON Schemas in docs/schemas/ and validate rvm-edge event payloads against them.

Shared by the schema, bridge and dashboard tests: ``validate_event(payload)`` picks the schema
from the payload's ``type`` (outbound events) or from ``event=`` (inbound ``manual-sync`` /
``command``, which carry no envelope) and raises :class:`SchemaViolation` listing every error.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

SCHEMA_DIR = Path(__file__).resolve().parents[2] / 'docs' / 'schemas'
ENVELOPE = 'envelope'
INBOUND_EVENTS = ('manual-sync', 'command')


class SchemaViolation(AssertionError):
    """A payload that does not match its event's JSON Schema."""


@lru_cache(maxsize=1)
def _load() -> tuple[Registry, dict[str, dict[str, Any]]]:
    schemas: dict[str, dict[str, Any]] = {}
    resources = []
    for path in sorted(SCHEMA_DIR.glob('*.json')):
        schema = json.loads(path.read_text(encoding='utf-8'))
        Draft202012Validator.check_schema(schema)
        schemas[path.stem] = schema
        resources.append((schema['$id'], Resource.from_contents(schema)))
    return Registry().with_resources(resources), schemas


def event_names() -> list[str]:
    """Every event that has a schema (outbound and inbound), without the envelope."""
    return sorted(name for name in _load()[1] if name != ENVELOPE)


def schema(event: str) -> dict[str, Any]:
    """The parsed schema of ``event`` (KeyError when there is none)."""
    return _load()[1][event]


@lru_cache(maxsize=None)
def validator(event: str) -> Draft202012Validator:
    """A validator (with format checks) for ``event``."""
    registry, schemas = _load()
    return Draft202012Validator(schemas[event], registry=registry, format_checker=FormatChecker())


def errors(payload: Any, event: str | None = None) -> list[str]:
    """Readable schema errors of ``payload`` (empty when valid)."""
    name = event or (payload.get('type') if isinstance(payload, dict) else None)
    if not isinstance(name, str) or name not in _load()[1] or name == ENVELOPE:
        return [f'no schema for event type {name!r}']
    found = validator(name).iter_errors(payload)
    return sorted(f"{name}: /{'/'.join(map(str, e.absolute_path))}: {_short(e.message)}" for e in found)


def _short(message: str, limit: int = 240) -> str:
    return message if len(message) <= limit else message[:limit] + '...'


def validate_event(payload: Any, event: str | None = None) -> None:
    """Raise :class:`SchemaViolation` unless ``payload`` matches its schema."""
    problems = errors(payload, event)
    if problems:
        raise SchemaViolation('; '.join(problems))
