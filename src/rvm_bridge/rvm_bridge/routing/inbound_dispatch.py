"""Inbound events (server -> edge): accept, validate, dispatch; count and ignore the rest.

Two kinds, ``manual-sync`` and ``command``, each validated against its schema in the
event contract (:mod:`rvm_common.contract`).  ``data`` arrives as a JSON string
(HTTP-triggered events) or an object (client events); Reverb relays ``{}`` as ``[]``.
``command`` is accepted only as a server event (Pusher HTTP API / Laravel broadcast):
a ``client-command`` - which any authorized browser on the machine's channel could
send - is rejected, logged and counted.  A ``client-manual-sync`` only triggers a
time sync and stays allowed, at most one per ``client_sync_interval_s``.  Unknown
channels/events and malformed payloads are counted and logged, never raised to the
connection thread.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any, Callable

from rvm_common import contract

from rvm_bridge.routing.channel_map import ChannelMap

LOG = logging.getLogger(__name__)

#: Commands the edge understands (others are counted as malformed).
COMMANDS = ('maintenance_on', 'maintenance_off', 'end_session')


class InboundError(ValueError):
    """An inbound payload that does not match its event's schema."""


def read_inbound_json(data: Any) -> Any:
    """Decode ``data`` when it is a JSON string; objects pass through."""
    if isinstance(data, (str, bytes)):
        text = data.decode('utf-8', 'replace') if isinstance(data, bytes) else data
        if not text.strip():
            return {}
        try:
            return json.loads(text)
        except ValueError as exc:
            raise InboundError(f'data is not JSON: {exc}') from exc
    return data


def _reverb_empty_objects(kind: str, payload: Any) -> Any:
    """Reverb (PHP) relays an empty object as ``[]``: read it as ``{}`` where an object belongs."""
    if kind == 'manual-sync' and (payload is None or payload == []):
        return {}
    if kind == 'command' and isinstance(payload, dict) and payload.get('args') == []:
        return {**payload, 'args': {}}
    return payload


def parse_inbound(kind: str, data: Any) -> dict[str, Any]:
    """The payload of an inbound ``kind`` event, checked against the event contract.

    Raises :class:`InboundError` naming every schema error (``rvm_common.contract``), or the
    unknown command: the contract allows any command name, the edge knows :data:`COMMANDS`.
    """
    payload = _reverb_empty_objects(kind, read_inbound_json(data))
    problems = contract.errors(payload, kind)
    if problems:
        raise InboundError('; '.join(problems))
    if kind == 'command' and payload['command'] not in COMMANDS:
        raise InboundError(
            f'unknown command {payload["command"]!r} (known: {", ".join(COMMANDS)})')
    return payload


#: Kinds accepted only from the server, never as a ``client-`` event.
SERVER_ONLY = frozenset({'command'})


class InboundDispatcher:
    """Routes (channel, event, data) from the socket to ``handler(kind, payload)``."""

    def __init__(
        self, channel_map: ChannelMap, handler: Callable[[str, dict[str, Any]], None], *,
        client_sync_interval_s: float = 10.0, clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.channel_map = channel_map
        self.handler = handler
        self.client_sync_interval_s = client_sync_interval_s
        self._clock = clock
        self._last_client_sync = float('-inf')
        self._lock = threading.Lock()
        self.counters = {'accepted': 0, 'unknown': 0, 'malformed': 0, 'handler_errors': 0,
                         'rejected_client_command': 0, 'rate_limited': 0}

    def _count(self, key: str) -> None:
        with self._lock:
            self.counters[key] += 1

    def dispatch(self, channel: str, event: str, data: Any) -> bool:
        """True when the event was accepted and handed to the handler."""
        if not isinstance(event, str) or event.startswith(('pusher:', 'pusher_internal:')):
            return False
        kind = self.channel_map.inbound_kind(str(channel), event)
        if kind is None:
            self._count('unknown')
            LOG.info('inbound %s on %s is not in the channel map; ignored', event, channel)
            return False
        from_client = event.startswith('client-')
        if from_client and kind in SERVER_ONLY:
            self._count('rejected_client_command')
            LOG.warning(
                '%s on %s rejected: commands are accepted only from the server, not as client'
                ' events',
                event, channel)
            return False
        if from_client and kind == 'manual-sync':
            now = self._clock()
            if now - self._last_client_sync < self.client_sync_interval_s:
                self._count('rate_limited')
                LOG.info('client-manual-sync on %s ignored: at most one per %.0f s', channel,
                         self.client_sync_interval_s)
                return False
            self._last_client_sync = now
        try:
            payload = parse_inbound(kind, data)
        except InboundError as exc:
            self._count('malformed')
            LOG.warning('inbound %s on %s ignored: %s', event, channel, exc)
            return False
        self._count('accepted')
        try:
            self.handler(kind, payload)
        except Exception:  # noqa: BLE001 - never break the socket thread
            self._count('handler_errors')
            LOG.exception('inbound handler for %s failed', kind)
        return True

    def stats(self) -> dict[str, int]:
        with self._lock:
            return dict(self.counters)
