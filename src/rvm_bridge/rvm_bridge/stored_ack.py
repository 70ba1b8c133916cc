"""The stored acknowledgement: the server's ``events-stored`` event on ``private-rvm.{rvm_id}``.

MyRVM (Laravel's listener on Reverb's ``MessageReceived``) stores each durable client
event idempotently by ``event_id`` and then broadcasts, as a *server* event,
``{"type": "events-stored", "version": 1, "rvm_id": "...", "event_ids": ["..."]}``.
Only the server can send it: a browser's client events are always named ``client-*``,
so a dashboard cannot fake an acknowledgement.  Ids stored earlier are listed again
("stored or already stored").  Schema: ``docs/schemas/events-stored.json``.
"""
from __future__ import annotations

import json
from typing import Any

EVENT_STORED = 'events-stored'
MAX_IDS = 1000


class StoredAckError(ValueError):
    """An ``events-stored`` payload that does not match the contract."""


def ack_channel(rvm_id: str) -> str:
    """``private-rvm.{rvm_id}``: where the acknowledgements of this machine arrive."""
    return f'private-rvm.{rvm_id}'


def parse_events_stored(data: Any, rvm_id: str) -> list[str]:
    """The acknowledged event ids of one ``events-stored`` payload (object or JSON string)."""
    if isinstance(data, (str, bytes)):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise StoredAckError(f'events-stored data is not JSON: {exc}') from exc
    if not isinstance(data, dict):
        raise StoredAckError('events-stored data must be a JSON object')
    if data.get('rvm_id') not in (None, rvm_id):
        raise StoredAckError(f'events-stored for rvm_id {data.get("rvm_id")!r}, this machine is {rvm_id!r}')
    ids = data.get('event_ids')
    if not isinstance(ids, list) or len(ids) > MAX_IDS or not all(isinstance(i, str) and i for i in ids):
        raise StoredAckError(f'"event_ids" must be a list of at most {MAX_IDS} non-empty strings')
    return ids
