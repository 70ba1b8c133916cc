"""One virtual machine: the real :class:`~rvm_bridge.bridge_core.BridgeCore` with its own outbox.

The core is built exactly as on a machine (bundled channel map: durable verdicts and
sessions as client events on ``private-rvm.{rvm_id}`` confirmed by ``events-stored``;
status/health over the HTTP events API).  Only its connection factory is wrapped: the
channel-auth call goes through the edge-side :class:`~rvm_fleet.auth_limit.RateLimitedAuth`,
and connection state changes are time-stamped for the reconnect-storm figures.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

from rvm_bridge.bridge_core import BridgeConfig, BridgeCore
from rvm_bridge.connection.channel_auth import ChannelAuthorizer, token_provider
from rvm_bridge.connection.pusher_connection import PusherConnection
from rvm_bridge.connection.settings import ConnectionSettings
from rvm_common.bridge_state import BridgeState
from rvm_fleet.auth_limit import RateLimitedAuth, TokenBucket


class VirtualMachine:
    """A BridgeCore plus the time stamps of its connection (``connected_at``, ``lost_at``).

    ``auth_bucket`` makes a token bucket for this machine's channel-auth requests;
    ``on_auth(channel, when)`` sees every request (fleet-wide auth rate).
    """

    def __init__(self, config: BridgeConfig, *, auth_bucket: Callable[[], TokenBucket],
                 on_auth: Callable[[str, float], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self._clock = clock
        self._bucket = auth_bucket
        self._on_auth = on_auth
        self.auth: RateLimitedAuth | None = None
        self._authorizer: ChannelAuthorizer | None = None
        self._lock = threading.Lock()
        self.connected_at: list[float] = []      # every transition to CONNECTED
        self.lost_at: list[float] = []           # every transition away from CONNECTED
        # every connection attempt (transition to CONNECTING)
        self.attempts_at: list[float] = []
        self.core = BridgeCore(config, connection_factory=self._connection)
        self.rvm_id = self.core.rvm_id

    def _connection(self, config: Any, on_event: Callable, on_state: Callable) -> PusherConnection:
        settings = ConnectionSettings.from_config(config)
        self._authorizer = ChannelAuthorizer(
            settings.auth_url, token_provider(settings.auth_token_env, settings.auth_token_file),
            timeout_s=settings.http_timeout_s, ca_bundle=settings.ca_bundle)
        self.auth = RateLimitedAuth(
            self._authorizer.authorize, self._bucket(), on_request=self._on_auth, clock=self._clock
        )
        connection = PusherConnection(settings, on_event, on_state, auth=self.auth)
        connection.add_state_listener(self._state_changed)
        return connection

    def _state_changed(self, previous: Any, current: Any, reason: str = '') -> None:
        now = self._clock()
        state, was = BridgeState.parse(current), BridgeState.parse(previous)
        with self._lock:
            if state is BridgeState.CONNECTED:
                self.connected_at.append(now)
            elif was is BridgeState.CONNECTED:
                self.lost_at.append(now)
            if state is BridgeState.CONNECTING:
                self.attempts_at.append(now)

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        self.core.start()

    def stop(self, timeout: float = 5.0) -> None:
        self.core.stop(timeout)
        if self._authorizer is not None:
            self._authorizer.close()

    def publish(self, topic: str, payload: dict[str, Any]) -> None:
        self.core.publish(topic, payload)

    # -- state -----------------------------------------------------------------------------------
    def ready(self) -> bool:
        """Connected and every channel subscribed, the private one too: client events can flow."""
        conn = self.core.connection
        if conn is None or BridgeState.parse(conn.state_name()) is not BridgeState.CONNECTED:
            return False
        subs = conn.subscriptions()
        return bool(subs) and all(state == 'subscribed' for state in subs.values())

    def first_connect_after(self, moment: float) -> float | None:
        """The first CONNECTED time stamp after ``moment`` (None: not yet)."""
        with self._lock:
            return next((t for t in self.connected_at if t > moment), None)

    def outbox_depth(self) -> int:
        return self.core.outbox.depth()
