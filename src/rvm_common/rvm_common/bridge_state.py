"""The bridge's state (``state`` of ``bridge/status``): one Enum for every module that reads it.

The bridge core sets it, its diagnostics turn it into a level, the health rules count its
outage states as the bridge being down, and the runner's closing line reads it.  The values
are the strings on the wire (``bridge/status`` JSON, ``health-updated.pipeline.bridge_state``).
"""
from __future__ import annotations

import enum
from typing import Any


class BridgeState(str, enum.Enum):
    """States of the bridge; the socket's ones are named as in pusher-js (ConnectionState)."""

    OFFLINE = 'offline'            # no server configured (host ''): outbox only; not an outage
    ERROR = 'error'                # configuration error: outbox only until fixed and restarted
    STARTING = 'starting'          # configured, not connected yet
    ONLINE = 'online'              # HTTP/API transports only (no socket): sending works
    DEGRADED = 'degraded'          # HTTP/API only: sends fail while events wait in the outbox
    INITIALIZED = 'initialized'    # the socket's states (rvm_bridge.connection.state)
    CONNECTING = 'connecting'
    CONNECTED = 'connected'
    UNAVAILABLE = 'unavailable'
    FAILED = 'failed'
    DISCONNECTED = 'disconnected'

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    @classmethod
    def parse(cls, value: Any) -> BridgeState | None:
        """The state named by ``value`` (an Enum member or its wire string, any case), or None."""
        try:
            return cls(str(getattr(value, 'value', value)).lower())
        except ValueError:
            return None

    @property
    def is_outage(self) -> bool:
        """The link to the server is down (or going up): durable events wait in the outbox."""
        return self in OUTAGES


#: States in which the server cannot be reached; ``offline`` (nothing configured) is not one.
OUTAGES = frozenset({BridgeState.CONNECTING, BridgeState.UNAVAILABLE, BridgeState.FAILED,
                     BridgeState.DISCONNECTED, BridgeState.DEGRADED})
