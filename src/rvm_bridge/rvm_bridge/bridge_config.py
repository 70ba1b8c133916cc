"""Parameters of the bridge (one frozen dataclass; ROS parameters and runner YAML alike).

Secrets are never parameters: the app secret and the Bearer token are read
from the environment variables *named* here (or the token from a file).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from rvm_common.params import ConfigError, param


@dataclass(frozen=True)
class BridgeConfig:
    """Connection, channel map, outbox, payload limit and timezone-sync settings of the bridge."""

    host: str = param(
        '', "Reverb/Pusher host; '' = offline: events go to the outbox and outbox_log only")
    port: int = param(8080, 'Reverb/Pusher port (WebSocket and HTTP events API)')
    tls: bool = param(True, 'Use wss:// and https:// (certificate verification always on)')
    ca_bundle: str = param('', "PEM CA bundle for TLS verification; '' = system/SDK default")
    origin: str = param('', "Origin header of the WebSocket handshake; '' = none")
    app_key: str = param('', 'Pusher/Reverb app key (public)')
    app_id: str = param('', 'Pusher/Reverb app id (needed by transport http)')
    app_secret_env: str = param(
        'RVM_BRIDGE_APP_SECRET',
        'Name of the env var holding the app secret (transport http signing)')
    auth_endpoint: str = param('/api/v2/broadcasting/auth',
                               'Channel auth endpoint (path on api_base, or a full URL)')
    auth_token_env: str = param('RVM_BRIDGE_TOKEN', 'Name of the env var holding the Bearer token')
    auth_token_file: str = param(
        '', "File holding the Bearer token (used when the env var is empty)")
    api_base: str = param('', "Base URL of the MyRVM API (auth endpoint, server time); '' = none")
    rvm_id: str = param(
        '', "Machine id: envelope rvm_id and {rvm_id} in channel names; '' = rvm-<hostname>",
        read_only=True)
    channel_map_file: str = param(
        '', "Channel map YAML; '' = the bundled rvm_bridge/config/channel_map.yaml")
    transport: str = param('http', 'Default transport of routes that name none',
                           choices=('http', 'client-event', 'api'))
    events_endpoint: str = param(
        '/api/v2/edge/events',
        'Transport api: MyRVM endpoint storing durable events (path on api_base, or a URL)')
    outbox_path: str = param(
        '~/.rvm_edge/bridge_outbox.sqlite3', 'SQLite (WAL) durable outbox file')
    outbox_log: str = param('', "JSON-lines log of every published event; '' = none")
    outbox_max_rows: int = param(100_000, 'Outbox bound: queued durable events (0 = unbounded)')
    outbox_max_mb: int = param(200, 'Outbox bound: queued payload megabytes (0 = unbounded)')
    outbox_max_age_s: float = param(
        0.0,
        'Operator rule: dead-letter events waiting longer than this (seconds '
        'the bridge ran: immune to clock steps); 0 = never',
    )
    outbox_max_attempts: int = param(
        0, 'Operator rule: dead-letter events after this many failed sends; 0 = never')
    outbox_policy: str = param(
        'drop_oldest', 'When full: move the oldest to dead_letter, or refuse the new one',
        choices=('drop_oldest', 'reject_new'))
    demo_source: str = param(
        '', "Verdicts come from a non-camera source ('sample', 'video', 'folder', 'bag',"
        " 'synthetic'; rvm-edge run sets it): every outbound event carries demo: true (stored,"
        " never credited) and a server not on this machine is refused; '' = a live camera")
    allow_demo_upload: bool = param(
        False, 'Send demo events (demo_source set) to a server that is not on this machine'
        ' (rvm-edge run --send-demo-data); false: refused at start')
    outbox_group_ms: float = param(
        2.0, 'Durable appends: > 0 = a writer thread commits what arrives within this many ms'
        ' in one transaction (one fsync) and publish() returns at once (an event counts as'
        ' stored, for delivery and status, only once committed; stop() commits what is queued);'
        ' 0 = publish() returns once its event is committed (one fsync each for a single'
        ' publisher)', minimum=0.0, maximum=100.0)
    outbox_memory_buffer: int = param(
        10_000, 'Events held in memory while the outbox file refuses writes (disk full, I/O error,'
        ' locked), retried with backoff; one more is refused, logged and counted',
        minimum=1)
    max_message_bytes: int = param(
        10_000, "Max bytes of one WebSocket frame, whole frame (Reverb max_message_size)")
    max_request_bytes: int = param(
        10_000,
        'Max bytes of one HTTP request: request line + headers + body (Reverb max_request_size)')
    http_timeout_s: float = param(5.0, 'Timeout of every HTTP call (events API, time source)')
    http_batch_size: int = param(
        10, 'Max events per batch_events request (Pusher/Reverb allow 10)')
    client_events_per_s: float = param(
        10.0, 'Client-event rate limit per connection (token bucket)')
    confirm_timeout_s: float = param(
        5.0,
        'Wait for the pong after written client events (pusher:errors come '
        'before it); not a confirmation',
    )
    ack_timeout_s: float = param(
        30.0, 'Re-send a durable event (same event_id) when no events-stored ack came within this')
    max_in_flight: int = param(100, 'Durable client events sent and awaiting their ack, at most')
    manual_sync_min_interval_s: float = param(
        10.0, 'Client-event manual-sync: at most one per this many seconds')
    retry_min_s: float = param(1.0, 'First retry delay after a failed send')
    retry_max_s: float = param(30.0, 'Cap of the exponential retry delay (jittered)')
    activity_timeout_s: float = param(
        120.0, "Ping after min(this, the server's activity_timeout) of silence")
    pong_timeout_s: float = param(30.0, 'No pong this long after a ping -> reconnect')
    reconnect_spread_s: float = param(
        2.0,
        "A 'reconnect now' close (4200-4299: a server restart closes "
        "every socket at once) waits a random 0..this first, so a fleet "
        "does not reconnect in one wave",
        minimum=0.0)
    handshake_timeout_s: float = param(
        10.0, 'Socket open but no pusher:connection_established -> back off')
    connect_timeout_s: float = param(10.0, 'TCP + TLS + WebSocket upgrade timeout')
    auth_retry_s: float = param(30.0, 'First channel-auth retry after 401/403 or a missing token')
    auth_retry_max_s: float = param(600.0, 'Cap of the channel-auth retry delay')
    refused_retry_s: float = param(
        300.0, 'Retry unchanged this long after a refusal (close 4000-4099); 0 = stay failed')
    time_endpoint: str = param('', "URL whose HTTP Date is the server time; '' = api_base")
    timezone: str = param('', "IANA timezone when the server sends none; '' = UTC")
    timezone_sync_on_start: bool = param(True, 'Sync time/timezone when the bridge starts')
    allow_system_clock_change: bool = param(
        False, 'Let timezone sync set the system timezone/clock (timedatectl)')
    timezone_heartbeat_s: float = param(
        30.0,
        'Repeat the last timezone-synced this often (heartbeat for dashboards '
        'opened later); 0 = only at start and on manual-sync',
    )
    status_period_s: float = param(
        5.0, 'Period of bridge/status and /diagnostics (0 = only on request)')
    qos_depth: int = param(50, 'ROS node only: history depth of subscriptions/publishers')
    qos_reliable: bool = param(
        True, 'ROS node only: RELIABLE (true) or BEST_EFFORT subscriptions')
    shutdown_grace_s: float = param(
        5.0, 'ROS node only: on a stop signal (ros2 launch signals every node at once) keep'
        ' taking events until the nodes publishing to the bridge are gone (final offline status,'
        ' session summary), at most this long; then deliver and stop. 0 = stop at once',
        minimum=0.0, maximum=20.0)

    def validate(self) -> None:
        """Raise :class:`ConfigError` for values that cannot work."""
        if not (0 <= self.port <= 65535):
            raise ConfigError(f'port: {self.port} is not a TCP port')
        for name in ('max_message_bytes', 'max_request_bytes'):
            if getattr(self, name) < 512:
                raise ConfigError(f'{name}: {getattr(self, name)} is too small (>= 512)')
        if self.ack_timeout_s <= 0 or self.max_in_flight < 1:
            raise ConfigError('ack_timeout_s must be > 0 and max_in_flight >= 1')
        if not (1 <= self.http_batch_size <= 10):
            raise ConfigError(f'http_batch_size: {self.http_batch_size} must be 1..10')
        if self.client_events_per_s <= 0:
            raise ConfigError('client_events_per_s must be > 0')
        if self.retry_min_s <= 0 or self.retry_max_s < self.retry_min_s:
            raise ConfigError('retry_min_s must be > 0 and <= retry_max_s')
        if self.host and not self.app_key:
            raise ConfigError('app_key is required when host is set')
        from rvm_bridge.demo_data import check_demo_destination
        check_demo_destination(self)

    @property
    def online(self) -> bool:
        return bool(self.host)

    def resolved_outbox_path(self) -> str:
        return (
            str(Path(self.outbox_path).expanduser())
            if self.outbox_path != ':memory:'
            else self.outbox_path
        )

    def time_url(self) -> str:
        return self.time_endpoint or self.api_base

    def auth_url(self) -> str:
        if self.auth_endpoint.startswith(('http://', 'https://')) or not self.api_base:
            return self.auth_endpoint if self.auth_endpoint.startswith('http') else ''
        return self.api_base.rstrip('/') + '/' + self.auth_endpoint.lstrip('/')

    def events_url(self) -> str:
        """Full URL of the api transport's endpoint ('' when api_base is not set)."""
        if self.events_endpoint.startswith(('http://', 'https://')):
            return self.events_endpoint
        return (
            self.api_base.rstrip('/') + '/' + self.events_endpoint.lstrip('/')
            if self.api_base
            else ''
        )

    def app_secret(self) -> str:
        return os.environ.get(self.app_secret_env, '') if self.app_secret_env else ''
