"""Outbound transport over the Pusher HTTP events API, signed by the official ``pusher`` SDK.

One event -> ``POST /apps/{id}/events``; several queued -> ``POST /apps/{id}/batch_events``
(at most ``max_batch`` = 10 events).  The size that counts is what goes on the wire: the
request line (with the signed query), the headers and the body together must stay within
``max_request_bytes`` (Reverb's ``max_request_size`` counts all of it; default 10,000).

Every answer is read.  A 2xx is "accepted for fan-out" only with a non-error body (Soketi
answers a wrong secret with ``200 {"error": ..., "code": 401}``); it is not a storage
acknowledgement.  401/403/404 (secret, key, app id) are configuration errors: the route
pauses and every row stays.  413 means too large (the sender halves the batch, then
re-trims).  400/422 are rejections (dead-lettered only for ``latest`` events; durable rows
stay and are retried); 429, 5xx, timeouts and connection errors are retried with backoff.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Hashable

import requests
from pusher.pusher_client import PusherClient

from rvm_bridge.delivery.send_outcome import SendOutcome, WireEvent

__all__ = ['HttpTransport', 'SendOutcome', 'WireEvent', 'request_bytes', 'classify_answer']

LOG = logging.getLogger(__name__)

CONFIG_STATUS = {
    401: 'app secret or key refused', 403: 'app key/secret forbidden', 404: 'unknown app id'}
REJECT_STATUS = frozenset({400, 405, 422})


def request_bytes(
    method: str, url: str, headers: dict[str, str], body: bytes, session: requests.Session,
    host_header: str,
) -> int:
    """Bytes of the HTTP/1.1 request: request line, headers (as ``requests`` sends them), body."""
    prepared = session.prepare_request(requests.Request(method, url, headers=headers, data=body))
    size = len(f'{method} {prepared.path_url} HTTP/1.1\r\n'.encode())
    size += len(f'Host: {host_header}\r\n'.encode())
    size += sum(len(f'{k}: {v}\r\n'.encode()) for k, v in prepared.headers.items())
    return size + 2 + len(body)


def classify_answer(status: int, text: str, keys: list[Hashable]) -> SendOutcome:
    """The outcome of one HTTP answer (status and body) for the events ``keys``."""
    body: Any = None
    try:
        body = json.loads(text) if text.strip() else {}
    except ValueError:
        body = None
    if 200 <= status < 300:
        if isinstance(body, dict) and body.get('error'):
            code = body.get('code')
            error = f'HTTP {status} with an error body: {_short(body.get("error"))} (code {code})'
            if code in CONFIG_STATUS:
                return SendOutcome(
                    retry=keys, error=f'{error}: {CONFIG_STATUS[code]}', config_error=True)
            if code == 413:
                # Soketi: 200 {"error": "The event data should be less than ..", "code": 413}
                return SendOutcome(retry=keys, error=error, too_large=True)
            return SendOutcome(retry=keys, error=error)
        return SendOutcome(accepted=keys)
    detail = _short(body.get('error') or body.get('message') if isinstance(body, dict) else text)
    if status in CONFIG_STATUS:
        return SendOutcome(retry=keys, error=f'HTTP {status} ({CONFIG_STATUS[status]}): {detail}',
                           config_error=True)
    if status == 413:
        return SendOutcome(
            retry=keys, error=f'HTTP 413 request too large: {detail}', too_large=True)
    if status in REJECT_STATUS:
        reason = f'HTTP {status}: {detail}'
        return SendOutcome(rejected=[(k, reason) for k in keys], error=reason)
    return SendOutcome(retry=keys, error=f'HTTP {status}: {detail}')


class HttpTransport:
    """Sends events signed with the ``pusher`` SDK; never raises for server or network errors."""

    def __init__(self, *, host: str, port: int, tls: bool, app_id: str, key: str, secret: str,
                 ca_bundle: str = '', timeout_s: float = 5.0, max_batch: int = 10,
                 max_request_bytes: int = 10_000) -> None:
        self.max_batch = max(1, min(int(max_batch), 10))
        self.max_request_bytes = max_request_bytes
        self.timeout_s = timeout_s
        self.client = PusherClient(app_id=str(app_id), key=key, secret=secret, ssl=tls, host=host,
                                   port=port or None, timeout=timeout_s)
        self.verify: Any = (
            ca_bundle if (tls and ca_bundle) else self.client.http.options.get('verify', True))
        self._host_header = f'{host}:{port}' if port else host
        # requests re-reads proxy settings from the whole environment on every request (a third of
        # the sender's CPU on a busy queue): resolve them once, then stop looking.
        self.session = self.client.http.session
        base = f'{"https" if tls else "http"}://{host}:{port}/'
        self.session.proxies.update(requests.utils.get_environ_proxies(base))
        self.session.trust_env = False
        self.counters = {'requests': 0, 'batches': 0, 'accepted': 0, 'rejected': 0, 'errors': 0,
                         'too_large': 0}

    def _build(self, batch: list[WireEvent]) -> Any:
        if len(batch) == 1:
            ev = batch[0]
            return self.client.trigger.make_request([ev.channel], ev.event, ev.data)
        return self.client.trigger_batch.make_request(
            [{'channel': ev.channel, 'name': ev.event, 'data': ev.data} for ev in batch])

    def size_of(self, batch: list[WireEvent]) -> int:
        """Bytes of the whole request that would carry ``batch``."""
        req = self._build(batch)
        return request_bytes(
            req.method, req.url, req.headers, req.body, self.session, self._host_header)

    def take_batch(self, events: list[WireEvent]) -> list[WireEvent]:
        """The longest prefix of ``events`` (at least one) whose whole request fits."""
        out = events[:1]
        for n in range(2, min(len(events), self.max_batch) + 1):
            if self.size_of(events[:n]) > self.max_request_bytes:
                break
            out = events[:n]
        return out

    def send(self, events: list[WireEvent]) -> SendOutcome:
        """Send the prefix of ``events`` that fits one request; events after it are untouched."""
        batch = self.take_batch(events)
        if not batch:
            return SendOutcome()
        size = self.size_of(batch)
        if size > self.max_request_bytes:
            self.counters['too_large'] += 1
            return SendOutcome(
                retry=[e.key for e in batch], too_large=True, largest=size,
                error=(
                    f'request of {size} bytes is over max_request_bytes={self.max_request_bytes}'),
            )
        outcome = self._request(batch)
        if len(batch) > 1 and outcome.rejected:
            LOG.warning(
                'batch of %d rejected (%s); re-sending one by one', len(batch), outcome.error)
            outcome = SendOutcome()
            for i, ev in enumerate(batch):
                single = self._request([ev])
                outcome.accepted += single.accepted
                outcome.rejected += single.rejected
                if single.retry:  # keep order: stop at the first event that must be retried
                    outcome.retry = [e.key for e in batch[i:]]
                    outcome.error, outcome.config_error = single.error, single.config_error
                    outcome.too_large = single.too_large
                    break
        if outcome.too_large:
            outcome.largest = size
            self.counters['too_large'] += 1
        return outcome

    def _request(self, batch: list[WireEvent]) -> SendOutcome:
        keys = [ev.key for ev in batch]
        self.counters['requests'] += 1
        self.counters['batches'] += len(batch) > 1
        try:
            req = self._build(batch)
        except (ValueError, TypeError) as exc:        # the SDK's own checks (e.g. "Too much data")
            if 'too much data' in str(exc).lower():
                return SendOutcome(retry=keys, error=f'pusher SDK: {exc}', too_large=True)
            reason = f'refused by the pusher SDK: {_short(exc)}'
            return SendOutcome(rejected=[(k, reason) for k in keys], error=reason)
        try:
            resp = self.session.request(req.method, req.url, headers=req.headers, data=req.body,
                                        timeout=self.timeout_s, verify=self.verify)
        except (requests.RequestException, OSError) as exc:
            self.counters['errors'] += 1
            return SendOutcome(retry=keys, error=f'{type(exc).__name__}: {_short(exc)}')
        outcome = classify_answer(resp.status_code, resp.text, keys)
        self.counters['accepted'] += len(outcome.accepted)
        self.counters['rejected'] += len(outcome.rejected)
        self.counters['errors'] += bool(outcome.retry)
        return outcome


def _short(value: Any, limit: int = 200) -> str:
    text = str(value).replace('\n', ' ')
    return text if len(text) <= limit else text[:limit] + '...'
