"""The ``api`` transport: durable events straight to the MyRVM API, stored before the answer.

``POST {api_base}/api/v2/edge/events`` with ``Authorization: Bearer <token>``,
``Accept: application/json`` and the body ``{"events": [envelope, ...]}``.  A 2xx whose
body is ``{"stored": [event_id, ...]}`` confirms exactly those ids (stored now or
already stored); an id missing from the list stays queued and is sent again.  The whole
request (request line, headers, body) stays within ``max_request_bytes``.  Answers are
classified like the HTTP events API's (:func:`rvm_bridge.transports.http_events.classify_answer`):
401/403/404 pause the route (configuration), 413 is too large, the rest is retried.
"""
from __future__ import annotations

import json
import logging
from typing import Callable
from urllib.parse import urlsplit

import requests

from rvm_bridge.connection.channel_auth import AuthConfigError
from rvm_bridge.delivery.send_outcome import SendOutcome, WireEvent
from rvm_bridge.transports.http_events import classify_answer, request_bytes

LOG = logging.getLogger(__name__)

EVENTS_PATH = '/api/v2/edge/events'


class ApiTransport:
    """Sends batches of durable envelopes to the MyRVM API; server/network errors never raise."""

    def __init__(
        self, *, url: str, token: Callable[[], str], ca_bundle: str = '', timeout_s: float = 5.0,
        max_batch: int = 10, max_request_bytes: int = 10_000,
        session: requests.Session | None = None,
    ) -> None:
        self.url = url
        self._token = token
        self.timeout_s = timeout_s
        self.max_batch = max(1, int(max_batch))
        self.max_request_bytes = max_request_bytes
        self._verify: bool | str = ca_bundle or True
        self.session = session or requests.Session()
        self._host = urlsplit(url).netloc
        self.counters = {'requests': 0, 'stored': 0, 'not_stored': 0, 'errors': 0}

    def _headers(self) -> dict[str, str]:
        return {'Authorization': f'Bearer {self._token()}', 'Accept': 'application/json',
                'Content-Type': 'application/json'}

    @staticmethod
    def body(batch: list[WireEvent]) -> bytes:
        """``{"events":[...]}`` built from the events' wire JSON as it is (no re-encoding)."""
        return ('{"events":[' + ','.join(ev.data for ev in batch) + ']}').encode('utf-8')

    def size_of(self, batch: list[WireEvent], headers: dict[str, str]) -> int:
        """Bytes of the whole request carrying ``batch``."""
        return request_bytes('POST', self.url, headers, self.body(batch), self.session, self._host)

    def send(self, events: list[WireEvent]) -> SendOutcome:
        """POST the prefix of ``events`` that fits one request.

        ``stored`` in the outcome lists what the server confirmed.
        """
        if not events:
            return SendOutcome()
        try:
            headers = self._headers()
        except AuthConfigError as exc:
            return SendOutcome(
                retry=[e.key for e in events[:1]], error=str(exc), config_error=True)
        if headers['Authorization'] == 'Bearer ':
            return SendOutcome(
                retry=[e.key for e in events[:1]], config_error=True,
                error=(
                    'transport api: no Bearer token (set the auth_token_env variable '
                    'or auth_token_file)'
                ),
            )
        batch = events[:1]
        for n in range(2, min(len(events), self.max_batch) + 1):
            if self.size_of(events[:n], headers) > self.max_request_bytes:
                break
            batch = events[:n]
        keys = [e.key for e in batch]
        size = self.size_of(batch, headers)
        if size > self.max_request_bytes:
            return SendOutcome(
                retry=keys, too_large=True, largest=size,
                error=(
                    f'request of {size} bytes is over max_request_bytes={self.max_request_bytes}'),
            )
        self.counters['requests'] += 1
        try:
            resp = self.session.post(
                self.url, data=self.body(batch), headers=headers, timeout=self.timeout_s,
                verify=self._verify)
        except (requests.RequestException, OSError) as exc:
            self.counters['errors'] += 1
            return SendOutcome(retry=keys, error=f'{self.url}: {type(exc).__name__}: {exc}')
        outcome = classify_answer(resp.status_code, resp.text, keys)
        if outcome.too_large:
            outcome.largest = size
        if not outcome.accepted:
            self.counters['errors'] += 1
            outcome.error = f'{self.url}: {outcome.error}'
            return outcome
        return self._stored(batch, resp.text)

    def _stored(self, batch: list[WireEvent], text: str) -> SendOutcome:
        try:
            stored = json.loads(text).get('stored')
        except (ValueError, AttributeError):
            stored = None
        if not isinstance(stored, list):
            self.counters['not_stored'] += len(batch)
            return SendOutcome(retry=[e.key for e in batch],
                               error=f'{self.url}: 2xx without a "stored" list: nothing confirmed')
        ids = {str(i) for i in stored}
        out = SendOutcome(stored=[e.key for e in batch if e.event_id in ids],
                          retry=[e.key for e in batch if e.event_id not in ids])
        self.counters['stored'] += len(out.stored)
        if out.retry:
            self.counters['not_stored'] += len(out.retry)
            out.error = (
                f'{self.url}: {len(out.retry)} event(s) not in the "stored" answer; sent again'
                ' later'
            )
        return out


def api_events_url(api_base: str) -> str:
    """``{api_base}/api/v2/edge/events``."""
    return api_base.rstrip('/') + EVENTS_PATH
