"""The event contract: the JSON Schemas (draft 2020-12) shipped in ``rvm_common/schemas/``.

One schema per event (``<event>.json``), outbound ones ``$ref`` the shared ``envelope.json``.
This module is the only reader of those files: tests validate outbound payloads with it and the
bridge validates inbound events (``command``, ``manual-sync``, ``events-stored``) at run time.
Validators are built once per event and cached.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

SCHEMA_DIR = Path(__file__).resolve().parent / 'schemas'
ENVELOPE = 'envelope'
_MESSAGE_LIMIT = 240


class ContractError(ValueError):
    """A payload that does not match its event's schema (``problems`` lists every error)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__('; '.join(problems))
        self.problems = problems


@lru_cache(maxsize=1)
def _load() -> tuple[Registry, dict[str, dict[str, Any]]]:
    schemas: dict[str, dict[str, Any]] = {}
    resources = []
    for path in sorted(SCHEMA_DIR.glob('*.json')):
        document = json.loads(path.read_text(encoding='utf-8'))
        Draft202012Validator.check_schema(document)
        schemas[path.stem] = document
        resources.append((document['$id'], Resource.from_contents(document)))
    if ENVELOPE not in schemas:
        raise FileNotFoundError(
            f'{SCHEMA_DIR}/{ENVELOPE}.json is missing (rvm_common package data)')
    return Registry().with_resources(resources), schemas


def event_names() -> list[str]:
    """Every event that has a schema (outbound and inbound), without the envelope."""
    return sorted(name for name in _load()[1] if name != ENVELOPE)


def schema(event: str) -> dict[str, Any]:
    """The parsed schema of ``event`` (KeyError when there is none)."""
    return _load()[1][event]


@lru_cache(maxsize=None)
def validator(event: str) -> Draft202012Validator:
    """The cached validator (with format checks) of ``event``; KeyError when it has no schema."""
    registry, schemas = _load()
    return Draft202012Validator(schemas[event], registry=registry, format_checker=FormatChecker())


def errors(payload: Any, event: str | None = None) -> list[str]:
    """Readable schema errors of ``payload`` (empty when valid).

    The schema is ``event``'s, or the one named by the payload's ``type`` (outbound events and
    ``events-stored``); inbound ``command`` / ``manual-sync`` carry no type and need ``event``.
    """
    name = event or (payload.get('type') if isinstance(payload, dict) else None)
    if not isinstance(name, str) or name == ENVELOPE or name not in _load()[1]:
        return [f'no schema for event type {name!r}']
    found = validator(name).iter_errors(payload)
    return sorted(
        f"{name}: /{'/'.join(map(str, e.absolute_path))}: {_short(e.message)}" for e in found)


def validate(payload: Any, event: str | None = None) -> None:
    """Raise :class:`ContractError` unless ``payload`` matches its schema."""
    problems = errors(payload, event)
    if problems:
        raise ContractError(problems)


def _short(message: str) -> str:
    return message if len(message) <= _MESSAGE_LIMIT else message[:_MESSAGE_LIMIT] + '...'


def laravel_reencoded(value: Any) -> Any:
    """What Laravel makes of a payload it re-encodes (``json_decode(.., true)``, ``json_encode``).

    An empty object becomes ``[]``: every outbound payload must still match its schema after it.
    """
    if isinstance(value, dict):
        return {k: laravel_reencoded(v) for k, v in value.items()} if value else []
    if isinstance(value, list):
        return [laravel_reencoded(v) for v in value]
    return value
