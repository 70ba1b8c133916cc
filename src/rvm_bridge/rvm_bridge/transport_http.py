"""Outbound transport over the Pusher HTTP events API, signed by the official ``pusher`` SDK.

One event -> ``POST /apps/{id}/events``; several queued -> ``POST
/apps/{id}/batch_events`` (at most ``max_batch`` = 10 events and
``max_request_bytes`` per request, Reverb's limits).  A 2xx answer confirms
every event of the request.  Outcomes are classified per event:

* 2xx -> confirmed;
* 400/404/413/422 and SDK validation errors -> rejected (non-retryable; the
  caller dead-letters the event).  A rejected *batch* is re-sent event by event
  so that one bad event does not take its neighbours with it;
* 401/403 (wrong app credentials) -> retry, slowly: a configuration problem
  must not dead-letter every queued verdict;
* 429, 5xx, timeouts, connection errors -> retry with backoff.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any, Hashable

import requests
from pusher.errors import PusherBadAuth, PusherBadRequest, PusherBadStatus, PusherError, PusherForbidden
from pusher.pusher_client import PusherClient

from rvm_common.events import dumps

LOG = logging.getLogger(__name__)

NON_RETRYABLE_STATUS = frozenset({400, 404, 405, 413, 422})
AUTH_STATUS = frozenset({401, 403})


@dataclass(frozen=True)
class WireEvent:
    """One event ready for the wire; ``key`` identifies it to the caller (outbox seq, latest key)."""

    key: Hashable
    channel: str
    event: str
    data: str


@dataclass
class SendOutcome:
    """What happened to the events of one :meth:`HttpTransport.send` call."""

    confirmed: list[Hashable] = field(default_factory=list)
    rejected: list[tuple[Hashable, str]] = field(default_factory=list)
    retry: list[Hashable] = field(default_factory=list)
    error: str = ''
    auth_error: bool = False


class HttpTransport:
    """Sends events with the ``pusher`` SDK; never raises for server or network errors."""

    def __init__(self, *, host: str, port: int, tls: bool, app_id: str, key: str, secret: str,
                 ca_bundle: str = '', timeout_s: float = 5.0, max_batch: int = 10,
                 max_request_bytes: int = 10_000) -> None:
        self.max_batch = max(1, min(int(max_batch), 10))
        self.max_request_bytes = max_request_bytes
        self.client = PusherClient(app_id=str(app_id), key=key, secret=secret, ssl=tls, host=host,
                                   port=port or None, timeout=timeout_s)
        if tls and ca_bundle:
            self.client.http.options['verify'] = ca_bundle
        # requests re-reads proxy settings from the whole environment on every request (a third of
        # the sender's CPU on a busy queue): resolve them once, then stop looking.
        session = self.client.http.session
        base = f'{"https" if tls else "http"}://{host}:{port}/'
        session.proxies.update(requests.utils.get_environ_proxies(base))
        session.trust_env = False
        self.counters = {'requests': 0, 'batches': 0, 'confirmed': 0, 'rejected': 0, 'errors': 0}

    def take_batch(self, events: list[WireEvent]) -> list[WireEvent]:
        """The longest prefix of ``events`` that fits one request (count and bytes)."""
        out: list[WireEvent] = []
        size = len('{"batch":[]}')
        for ev in events[:self.max_batch]:
            item = len(dumps({'channel': ev.channel, 'name': ev.event, 'data': ev.data}).encode('utf-8')) + 1
            if out and size + item > self.max_request_bytes:
                break
            out.append(ev)
            size += item
        return out

    def send(self, events: list[WireEvent]) -> SendOutcome:
        """Send the prefix of ``events`` that fits one request; events after it are untouched."""
        batch = self.take_batch(events)
        if not batch:
            return SendOutcome()
        outcome = self._request(batch)
        if len(batch) > 1 and outcome.rejected:
            LOG.warning('batch of %d rejected (%s); re-sending one by one', len(batch), outcome.error)
            outcome = SendOutcome()
            for ev in batch:
                single = self._request([ev])
                outcome.confirmed += single.confirmed
                outcome.rejected += single.rejected
                if single.retry:  # keep order: stop at the first event that must be retried
                    idx = batch.index(ev)
                    outcome.retry = [e.key for e in batch[idx:]]
                    outcome.error, outcome.auth_error = single.error, single.auth_error
                    break
        return outcome

    def _request(self, batch: list[WireEvent]) -> SendOutcome:
        keys = [ev.key for ev in batch]
        self.counters['requests'] += 1
        try:
            if len(batch) == 1:
                ev = batch[0]
                self.client.trigger([ev.channel], ev.event, ev.data)
            else:
                self.counters['batches'] += 1
                self.client.trigger_batch([{'channel': ev.channel, 'name': ev.event, 'data': ev.data}
                                           for ev in batch])
        except (PusherBadRequest, ValueError, TypeError) as exc:
            return self._rejected(keys, f'rejected by server/SDK: {_short(exc)}')
        except (PusherBadAuth, PusherForbidden) as exc:
            return self._retry(keys, f'app credentials refused ({type(exc).__name__}): {_short(exc)}', auth=True)
        except PusherBadStatus as exc:
            status = _status_of(exc)
            if status in NON_RETRYABLE_STATUS:
                return self._rejected(keys, f'HTTP {status}: {_short(exc)}')
            return self._retry(keys, f'HTTP {status or "?"}: {_short(exc)}')
        except (requests.RequestException, PusherError, OSError) as exc:
            return self._retry(keys, f'{type(exc).__name__}: {_short(exc)}')
        self.counters['confirmed'] += len(keys)
        return SendOutcome(confirmed=keys)

    def _rejected(self, keys: list[Hashable], error: str) -> SendOutcome:
        self.counters['rejected'] += len(keys)
        return SendOutcome(rejected=[(k, error) for k in keys], error=error)

    def _retry(self, keys: list[Hashable], error: str, auth: bool = False) -> SendOutcome:
        self.counters['errors'] += 1
        return SendOutcome(retry=keys, error=error, auth_error=auth)


def _status_of(exc: Exception) -> int | None:
    match = re.match(r'\s*(\d{3})\b', str(exc))
    return int(match.group(1)) if match else None


def _short(exc: Any, limit: int = 200) -> str:
    text = str(exc).replace('\n', ' ')
    return text if len(text) <= limit else text[:limit] + '...'
