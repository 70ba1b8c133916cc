"""Inbound events (server -> edge): accept, validate, dispatch; count and ignore the rest.

One handler per event kind in an explicit table (``manual-sync``, ``command``).
``data`` arrives as a JSON string (HTTP-triggered events) or an object (client
events).  ``command`` is accepted only as a server event (Pusher HTTP API /
Laravel broadcast): a ``client-command`` - which any authorized browser on the
machine's channel could send - is rejected, logged and counted.  A
``client-manual-sync`` only triggers a time sync and stays allowed, at most one
per ``client_sync_interval_s``.  Unknown channels/events and malformed payloads
are counted and logged, never raised to the connection thread.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any, Callable

from rvm_bridge.channel_map import ChannelMap

LOG = logging.getLogger(__name__)

#: Commands the edge understands (others are counted as malformed).
COMMANDS = ('maintenance_on', 'maintenance_off', 'end_session')   # docs/schemas/command.json


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


def _optional_str(payload: dict[str, Any], key: str, max_len: int = 200) -> None:
    value = payload.get(key)
    if value is not None and (not isinstance(value, str) or len(value) > max_len):
        raise InboundError(f'"{key}" must be a string of at most {max_len} characters')


def validate_manual_sync(payload: Any) -> dict[str, Any]:
    """``{timezone?: str, requested_by?: str, ...}`` (``[]`` too: Reverb relays ``{}`` as ``[]``)."""
    if payload is None or payload == []:
        payload = {}
    if not isinstance(payload, dict):
        raise InboundError('manual-sync data must be a JSON object')
    _optional_str(payload, 'timezone', 64)
    if payload.get('timezone') == '':
        raise InboundError('"timezone" must not be empty')
    _optional_str(payload, 'requested_by')
    _optional_str(payload, 'request_id', 128)
    return payload


def validate_command(payload: Any) -> dict[str, Any]:
    """``{command: one of COMMANDS, ...}``."""
    if not isinstance(payload, dict):
        raise InboundError('command data must be a JSON object')
    command = payload.get('command')
    if command not in COMMANDS:
        raise InboundError(f'unknown command {command!r} (known: {", ".join(COMMANDS)})')
    _optional_str(payload, 'requested_by')
    _optional_str(payload, 'request_id', 128)
    if payload.get('args') == []:       # an empty object relayed by Reverb (PHP) arrives as []
        payload['args'] = {}
    if 'args' in payload and not isinstance(payload['args'], dict):
        raise InboundError('"args" must be an object')
    return payload


VALIDATORS: dict[str, Callable[[Any], dict[str, Any]]] = {
    'manual-sync': validate_manual_sync,
    'command': validate_command,
}
#: Kinds accepted only from the server, never as a ``client-`` event.
SERVER_ONLY = frozenset({'command'})


class InboundDispatcher:
    """Routes (channel, event, data) from the socket to ``handler(kind, payload)``."""

    def __init__(self, channel_map: ChannelMap, handler: Callable[[str, dict[str, Any]], None], *,
                 client_sync_interval_s: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
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
            LOG.warning('%s on %s rejected: commands are accepted only from the server, not as client events',
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
            payload = VALIDATORS[kind](read_inbound_json(data))
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
