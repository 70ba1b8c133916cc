"""Private/presence channel authorization at the MyRVM (Laravel) broadcasting endpoint.

Laravel's ``/broadcasting/auth`` takes a form body ``socket_id`` + ``channel_name``
and answers ``{"auth": "<key>:<signature>", "channel_data": "..."}`` (channel_data
for presence channels).  The edge authenticates with ``Authorization: Bearer
<token>``; the token comes from an env var or a file through a provider callable,
is read per request (so a rotated file is picked up) and never logged.

Errors are typed so the connection can pick a retry policy: :class:`AuthRejected`
(401/403: wrong token - slow retry, never a tight loop), :class:`AuthUnavailable`
(network, timeout, 5xx, bad answer: normal backoff), :class:`AuthConfigError`
(no endpoint / no token: reported, slow retry).  Every call has a timeout; the
connection runs it off the socket thread.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import requests

LOG = logging.getLogger(__name__)

DEFAULT_AUTH_PATH = '/api/v2/broadcasting/auth'


class AuthError(RuntimeError):
    """Channel authorization did not succeed."""


class AuthConfigError(AuthError):
    """No endpoint or no token configured."""


class AuthRejected(AuthError):
    """The endpoint refused the token or the channel (HTTP 401/403)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class AuthUnavailable(AuthError):
    """The endpoint could not be reached or answered nonsense (retry with backoff)."""


@dataclass(frozen=True)
class ChannelAuth:
    """A signed subscription: ``auth`` and, for presence channels, ``channel_data``."""

    auth: str
    channel_data: str | None = None


def token_provider(env_var: str = '', token_file: str = '') -> Callable[[], str]:
    """A callable returning the Bearer token: ``$env_var`` first, then the file's content."""
    def read() -> str:
        token = os.environ.get(env_var, '').strip() if env_var else ''
        if not token and token_file:
            try:
                token = Path(token_file).expanduser().read_text(encoding='utf-8').strip()
            except OSError as exc:
                raise AuthConfigError(
                    f'cannot read the auth token file {token_file}: {exc.strerror}') from exc
        return token
    # what the messages tell an operator to set
    read.source = ' or '.join(filter(None, [f'${env_var}' if env_var else '', token_file]))
    return read


class ChannelAuthorizer:
    """POSTs ``socket_id`` + ``channel_name`` to the auth endpoint with the Bearer token."""

    def __init__(self, url: str, token: Callable[[], str], *, timeout_s: float = 5.0,
                 ca_bundle: str = '', session: requests.Session | None = None) -> None:
        self.url = url
        self._token = token
        self.timeout_s = float(timeout_s)
        self._verify: bool | str = ca_bundle or True
        self._session = session or requests.Session()
        self.counters = {'ok': 0, 'rejected': 0, 'unavailable': 0, 'config': 0}

    def authorize(self, socket_id: str, channel: str) -> ChannelAuth:
        """Sign ``channel`` for ``socket_id``; raises an :class:`AuthError` subclass."""
        try:
            return self._authorize(socket_id, channel)
        except AuthRejected:
            self.counters['rejected'] += 1
            raise
        except AuthConfigError:
            self.counters['config'] += 1
            raise
        except AuthUnavailable:
            self.counters['unavailable'] += 1
            raise

    def _authorize(self, socket_id: str, channel: str) -> ChannelAuth:
        if not self.url:
            raise AuthConfigError(
                f'channel {channel} needs authorization but no auth endpoint is configured')
        token = self._token()
        if not token:
            raise AuthConfigError(
                f'channel {channel} needs authorization but no Bearer token is set: set '
                f"{getattr(self._token, 'source', '') or 'the auth token'} (the machine's token)")
        headers = {'Authorization': f'Bearer {token}', 'Accept': 'application/json',
                   'X-Requested-With': 'XMLHttpRequest'}
        try:
            resp = self._session.post(
                self.url, data={'socket_id': socket_id, 'channel_name': channel}, headers=headers,
                timeout=self.timeout_s, verify=self._verify, allow_redirects=False)
        except requests.Timeout as exc:
            raise AuthUnavailable(f'auth endpoint timed out after {self.timeout_s} s') from exc
        except requests.RequestException as exc:
            raise AuthUnavailable(f'auth endpoint unreachable: {type(exc).__name__}') from exc
        if resp.status_code in (401, 403):
            raise AuthRejected(
                f'auth endpoint refused channel {channel} (HTTP {resp.status_code}): check the '
                f"Bearer token in {getattr(self._token, 'source', '') or 'the auth token'} and "
                "the machine's channel permissions",
                resp.status_code,
            )
        if resp.status_code != 200:
            raise AuthUnavailable(
                f'auth endpoint answered HTTP {resp.status_code} for channel {channel}')
        try:
            body = resp.json()
        except ValueError as exc:
            raise AuthUnavailable('auth endpoint answered something that is not JSON') from exc
        auth = body.get('auth') if isinstance(body, dict) else None
        if not isinstance(auth, str) or ':' not in auth:
            raise AuthUnavailable('auth endpoint answer has no "auth" signature')
        channel_data = body.get('channel_data')
        if channel.startswith('presence-') and not isinstance(channel_data, str):
            raise AuthUnavailable(
                f'auth endpoint answer for presence channel {channel} has no channel_data')
        self.counters['ok'] += 1
        return ChannelAuth(auth, channel_data if isinstance(channel_data, str) else None)

    def close(self) -> None:
        """Release the HTTP session."""
        self._session.close()
