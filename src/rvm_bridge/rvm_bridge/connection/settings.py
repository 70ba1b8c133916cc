"""Settings of :class:`~.pusher_connection.PusherConnection`: server, TLS, auth, timers, retries.

Built from the bridge's config (:meth:`ConnectionSettings.from_config` reads the
fields it knows by name and keeps the defaults below for the rest), or directly
in tests.  Secrets are not settings: the Bearer token is read from the env var
or file named here, per request.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from importlib import metadata
from typing import Any
from urllib.parse import quote

from rvm_bridge.connection.channel_auth import DEFAULT_AUTH_PATH
from rvm_common.params import ConfigError


def _version() -> str:
    try:
        return metadata.version('rvm_bridge')
    except metadata.PackageNotFoundError:
        return '0.0.0'


@dataclass(frozen=True)
class ConnectionSettings:
    """Where and how the Pusher connection connects, authorizes and retries."""

    host: str = '127.0.0.1'
    port: int = 8080
    tls: bool = True
    app_key: str = ''
    origin: str = ''                    # Origin header of the handshake; '' = none
    ca_bundle: str = ''                 # PEM CA bundle; '' = system store (verification always on)
    # full URL of the channel auth endpoint; '' = none configured
    auth_url: str = ''
    auth_token_env: str = 'RVM_BRIDGE_TOKEN'
    auth_token_file: str = ''
    http_timeout_s: float = 5.0         # every auth request
    # ping after min(this, server's activity_timeout) of silence
    activity_timeout_s: float = 120.0
    pong_timeout_s: float = 30.0        # no pong (or anything) this long after a ping -> reconnect
    handshake_timeout_s: float = 10.0   # socket open but no connection_established -> back off
    subscribe_timeout_s: float = 10.0   # subscribe sent, no succeeded/error -> subscribe again
    connect_timeout_s: float = 10.0     # TCP + TLS + HTTP upgrade
    reconnect_min_s: float = 1.0        # first backoff delay (jittered)
    reconnect_max_s: float = 30.0       # backoff cap
    # connected this long before the backoff starts again from the min
    healthy_after_s: float = 10.0
    # 'reconnect now' (4200-4299) waits a random 0..this: no fleet-wide wave
    reconnect_spread_s: float = 2.0
    # first retry after 401/403 / missing token (slow, no tight loop)
    auth_retry_s: float = 30.0
    auth_retry_max_s: float = 600.0     # cap of that retry
    # after a refusal (4000-4099): try again unchanged after this; 0 = never
    refused_retry_s: float = 300.0
    timeline_size: int = 200
    timeline_in_stats: int = 20
    client_name: str = 'rvm-edge'

    def validate(self) -> None:
        """Raise :class:`ConfigError` for values that cannot work."""
        if not self.host:
            raise ConfigError('the Pusher connection needs a host')
        if not self.app_key:
            raise ConfigError('the Pusher connection needs an app key')
        if not 0 < self.port <= 65535:
            raise ConfigError(f'port {self.port} is not a TCP port')
        for name in (
            'http_timeout_s', 'activity_timeout_s', 'pong_timeout_s', 'handshake_timeout_s',
            'subscribe_timeout_s',
            'connect_timeout_s', 'reconnect_min_s', 'auth_retry_s',
        ):
            if getattr(self, name) <= 0:
                raise ConfigError(f'{name} must be > 0')
        if self.healthy_after_s < 0 or self.reconnect_spread_s < 0:
            raise ConfigError('healthy_after_s and reconnect_spread_s must be >= 0')
        if (
            self.reconnect_max_s < self.reconnect_min_s
            or self.auth_retry_max_s < self.auth_retry_s
        ):
            raise ConfigError('retry caps must not be below the first delays')

    def ws_url(self) -> str:
        """``ws(s)://host:port/app/{key}?protocol=7&client=rvm-edge&version=...``."""
        scheme = 'wss' if self.tls else 'ws'
        return (f'{scheme}://{self.host}:{self.port}/app/{quote(self.app_key, safe="")}'
                f'?protocol=7&client={quote(self.client_name)}&version={_version()}')

    @classmethod
    def from_config(cls, config: Any, **overrides: Any) -> 'ConnectionSettings':
        """Settings from any object with same-named attributes (e.g. ``BridgeConfig``).

        ``app_key`` may also be named ``key``; ``auth_url`` comes from ``config.auth_url()``
        or ``api_base`` + ``auth_endpoint``; ``reconnect_*`` fall back to
        ``retry_min_s``/``retry_max_s``.
        """
        values: dict[str, Any] = {}
        for f in fields(cls):
            value = getattr(config, f.name, None)
            if value is not None and not callable(value):
                values[f.name] = value
        if 'app_key' not in values and isinstance(getattr(config, 'key', None), str):
            values['app_key'] = config.key
        auth_url = getattr(config, 'auth_url', None)
        if callable(auth_url):
            values['auth_url'] = auth_url()
        elif 'auth_url' not in values:
            values['auth_url'] = join_url(
                getattr(config, 'api_base', '') or '',
                getattr(config, 'auth_endpoint', DEFAULT_AUTH_PATH) or '')
        for mine, theirs in (
            ('reconnect_min_s', 'retry_min_s'), ('reconnect_max_s', 'retry_max_s'),
        ):
            if mine not in values and isinstance(getattr(config, theirs, None), (int, float)):
                values[mine] = float(getattr(config, theirs))
        values.update(overrides)
        return cls(**values)


def join_url(base: str, endpoint: str) -> str:
    """A full URL from an API base and a path (an endpoint that is already a URL wins)."""
    if endpoint.startswith(('http://', 'https://')):
        return endpoint
    if not base:
        return ''
    return base.rstrip('/') + '/' + endpoint.lstrip('/')
