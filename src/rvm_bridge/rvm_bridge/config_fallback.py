"""A bridge whose configuration cannot work stays up: offline, outbox only, state ``error``.

Used by the ROS node (the runner exits with the error instead): a node that died on a
``ConfigError`` would lose every durable event published meanwhile and, respawned, crash
again.  Here the same config minus the server (``host=''``) builds an offline core that still
writes durable events to the outbox; :func:`error_status` marks ``bridge/status`` and
``/diagnostics`` ``error`` with the reason until the configuration is fixed and the node restarted.
An outbox held by another process (:class:`~rvm_bridge.outbox.lock.OutboxInUse`) cannot be
shared: the offline core writes to a file of its own beside it, ``<outbox>.pid<N>.sqlite3``,
named in the error (its events are kept, not delivered by the other process).
"""
from __future__ import annotations

import dataclasses
import logging
import os
from typing import Any, Callable

from rvm_common.bridge_state import BridgeState
from rvm_common.params import ConfigError

LOG = logging.getLogger('rvm_bridge.config_fallback')


def build_core(config: Any, on_inbound: Callable[[str, dict], None], *,
               core_factory: Callable[..., Any] | None = None) -> tuple[Any, str]:
    """(core, error): the configured core and ``''``, or an offline core and the config error."""
    if core_factory is None:
        from rvm_bridge.bridge_core import BridgeCore as core_factory
    try:
        return core_factory(config, on_inbound), ''
    except ConfigError as exc:
        from rvm_bridge.outbox.lock import OutboxInUse
        offline = dataclasses.replace(config, host='')
        where = 'outbox only'
        if isinstance(exc, OutboxInUse):
            own = f'{config.resolved_outbox_path()}.pid{os.getpid()}.sqlite3'
            offline = dataclasses.replace(offline, outbox_path=own)
            where = f'events kept in {own}'
        error = f'configuration error: {exc}; offline ({where}) until fixed and restarted'
        LOG.error('%s', error)
        return core_factory(offline, on_inbound), error


def error_status(status: dict[str, Any], error: str) -> dict[str, Any]:
    """``status`` with state ``error`` and ``last_error`` = ``error`` (unchanged when no error)."""
    if not error:
        return status
    return dict(status, state=BridgeState.ERROR.value, last_error=error)
