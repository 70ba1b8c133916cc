"""The stored acknowledgement: the server's ``events-stored`` event on ``private-rvm.{rvm_id}``.

MyRVM (Laravel's listener on Reverb's ``MessageReceived``) stores each durable client
event idempotently by ``event_id`` and then broadcasts, as a *server* event,
``{"type": "events-stored", "version": 1, "rvm_id": "...", "event_ids": ["..."]}``.
Only the server can send it: a browser's client events are always named ``client-*``,
so a dashboard cannot fake an acknowledgement.  Ids stored earlier are listed again
("stored or already stored").  Schema:
``rvm_common/schemas/events-stored.json`` (validated with :mod:`rvm_common.contract`).
"""
from __future__ import annotations

import json
from typing import Any

from rvm_common import contract

EVENT_STORED = 'events-stored'


class StoredAckError(ValueError):
    """An ``events-stored`` payload that does not match the contract."""


def ack_channel(rvm_id: str) -> str:
    """``private-rvm.{rvm_id}``: where the acknowledgements of this machine arrive."""
    return f'private-rvm.{rvm_id}'


def parse_events_stored(data: Any, rvm_id: str) -> list[str]:
    """The acknowledged event ids of one ``events-stored`` payload (object or JSON string).

    Checked against the event contract (``events-stored.json``: type, version, at most
    1000 ids) and against this machine's ``rvm_id``; raises :class:`StoredAckError` otherwise.
    """
    if isinstance(data, (str, bytes)):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise StoredAckError(f'events-stored data is not JSON: {exc}') from exc
    problems = contract.errors(data, EVENT_STORED)
    if problems:
        raise StoredAckError('; '.join(problems))
    if data.get('rvm_id') not in (None, rvm_id):
        raise StoredAckError(
            f'events-stored for rvm_id {data.get("rvm_id")!r}, this machine is {rvm_id!r}')
    return list(data['event_ids'])
