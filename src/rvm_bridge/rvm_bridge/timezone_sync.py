"""Timezone and clock-offset sync against the server (at start and on ``manual-sync``).

Server time comes from the HTTP ``Date`` header of the configured API base (or
a dedicated endpoint); the offset is measured against the midpoint of the
request (NTP-style), so it is good to about +-(1 s Date resolution + RTT/2).
The IANA timezone comes from the manual-sync payload, else the configured
parameter, else UTC; it is validated with :mod:`zoneinfo`.  The system clock
and timezone are changed only when ``allow_system_change`` is true (via
``timedatectl``; needs privileges on the machine).

A manual-sync's ``request_id`` is echoed in its answer.  :meth:`TimezoneSync.heartbeat`
repeats the last result every ``heartbeat_s`` (fresh envelope, current local time,
``heartbeat: true``) so a dashboard opened later still shows the machine's time.
"""
from __future__ import annotations

import email.utils
import logging
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests

from rvm_common.events import EVENT_TIMEZONE_SYNCED, make_event, utc_iso

LOG = logging.getLogger(__name__)

#: fetch(url, timeout) -> the server's ``Date`` header text (raises on failure)
DateFetcher = Callable[[str, float], str]


def fetch_date_header(url: str, timeout: float) -> str:
    """HEAD ``url`` (GET when HEAD is refused) and return its ``Date`` header."""
    resp = requests.head(url, timeout=timeout, allow_redirects=False)
    if resp.status_code == 405 or 'Date' not in resp.headers:
        resp = requests.get(url, timeout=timeout, allow_redirects=False, stream=True)
        resp.close()
    date = resp.headers.get('Date')
    if not date:
        raise ValueError(f'{url} answered HTTP {resp.status_code} without a Date header')
    return date


def format_utc_offset(delta: timedelta | None) -> str:
    """``timedelta`` -> ``+07:00`` / ``-03:30`` / ``+05:45``."""
    minutes = int((delta or timedelta(0)).total_seconds() // 60)
    sign = '+' if minutes >= 0 else '-'
    minutes = abs(minutes)
    return f'{sign}{minutes // 60:02d}:{minutes % 60:02d}'


@dataclass(frozen=True)
class SyncResult:
    """Outcome of one sync (also the fields of the timezone-synced payload)."""

    timezone: str
    utc_offset: str
    local_time: str
    server_time: str | None
    clock_offset_ms: float | None
    status: str
    trigger: str
    error: str = ''

    def fields(self) -> dict[str, Any]:
        out = {
            'timezone': self.timezone, 'utc_offset': self.utc_offset,
            'local_time': self.local_time, 'server_time': self.server_time,
            'clock_offset_ms': self.clock_offset_ms, 'status': self.status,
            'trigger': self.trigger}
        if self.error:
            out['error'] = self.error
        return out


def compute_sync(date_header: str | None, t_send: float, t_recv: float, tz_name: str, trigger: str,
                 error: str = '') -> SyncResult:
    """Pure maths: Date header, local send/receive wall times, timezone -> :class:`SyncResult`."""
    try:
        zone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        LOG.error('timezone %r is not a known IANA zone: %s', tz_name, exc)
        zone, error = ZoneInfo('UTC'), error or f'unknown timezone {tz_name!r}'
        tz_name = 'UTC'
    server_dt = None
    if date_header:
        try:
            server_dt = email.utils.parsedate_to_datetime(date_header)
            if server_dt.tzinfo is None:
                server_dt = server_dt.replace(tzinfo=timezone.utc)
        except (TypeError, ValueError):
            error = error or f'unparseable Date header {date_header!r}'
            server_dt = None
    midpoint = (t_send + t_recv) / 2.0
    offset_ms = None
    if server_dt is not None:
        # Date has 1 s resolution (truncated): its true value lies in [Date, Date+1s); use the
        # middle.
        offset_ms = round((server_dt.timestamp() + 0.5 - midpoint) * 1000.0, 1)
    now_server = t_recv + (offset_ms or 0.0) / 1000.0
    local = datetime.fromtimestamp(now_server, zone)
    return SyncResult(
        timezone=tz_name, utc_offset=format_utc_offset(local.utcoffset()),
        local_time=local.isoformat(timespec='milliseconds'),
        server_time=utc_iso(server_dt.timestamp()) if server_dt else None,
        clock_offset_ms=offset_ms, status='synced' if server_dt and not error else 'failed',
        trigger=trigger, error=error)


class TimezoneSync:
    """Runs one sync on demand and builds the ``timezone-synced`` payload."""

    def __init__(
        self, *, url: str, timezone_name: str = '', timeout_s: float = 5.0, rvm_id: str = '',
        allow_system_change: bool = False, fetch: DateFetcher = fetch_date_header,
        wall_clock: Callable[[], float] = time.time, heartbeat_s: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
        run: Callable[[list[str]], Any] = lambda cmd: subprocess.run(cmd, check=True, timeout=10),
    ) -> None:
        self.url = url
        self.timezone_name = timezone_name or 'UTC'
        self.timeout_s = timeout_s
        self.rvm_id = rvm_id
        self.allow_system_change = allow_system_change
        self.heartbeat_s = heartbeat_s
        self._fetch, self._clock, self._run, self._monotonic = fetch, wall_clock, run, monotonic
        self.last: SyncResult | None = None
        # monotonic time of the last payload (sync or heartbeat)
        self._last_sent: float | None = None

    def sync(self, trigger: str = 'startup', requested_timezone: str | None = None,
             request_id: str | None = None) -> dict[str, Any]:
        """Measure now; returns the TOPIC_TIMEZONE payload (status ``synced`` or ``failed``),
        echoing ``request_id`` (the manual-sync's) when given."""
        tz_name = requested_timezone or self.timezone_name
        date, error = None, ''
        t_send = self._clock()
        if not self.url:
            error = 'no time source configured (api_base / time_endpoint empty)'
        else:
            try:
                date = self._fetch(self.url, self.timeout_s)
            except (requests.RequestException, OSError, ValueError) as exc:
                error = f'time source {self.url} failed: {type(exc).__name__}: {exc}'
        t_recv = self._clock()
        result = compute_sync(date, t_send, t_recv, tz_name, trigger, error)
        if error:   # no time source configured is the normal offline case, not a warning
            (LOG.warning if self.url else LOG.info)('timezone sync (%s): %s', trigger, error)
        if result.status == 'synced':
            self.timezone_name = result.timezone
            if self.allow_system_change:
                self._apply_to_system(result)
        self.last = result
        self._last_sent = self._monotonic()
        fields = {**result.fields(), 'heartbeat_s': self.heartbeat_s}
        if request_id:
            fields['request_id'] = request_id
        return make_event(EVENT_TIMEZONE_SYNCED, fields, rvm_id=self.rvm_id)

    def heartbeat(self) -> dict[str, Any] | None:
        """The last result again (``heartbeat: true``, local time now) when a heartbeat is due.

        Due once ``heartbeat_s`` has passed since the last payload; None when not due, disabled
        (``heartbeat_s`` <= 0) or never synced.
        """
        if self.last is None or self.heartbeat_s <= 0 or self._last_sent is None:
            return None
        now = self._monotonic()
        if now - self._last_sent < self.heartbeat_s:
            return None
        self._last_sent = now
        last = self.last
        try:
            zone = ZoneInfo(last.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo('UTC')
        local = datetime.fromtimestamp(
            self._clock() + (last.clock_offset_ms or 0.0) / 1000.0, zone)
        fields = {**last.fields(), 'local_time': local.isoformat(timespec='milliseconds'),
                  'utc_offset': format_utc_offset(local.utcoffset()), 'heartbeat': True,
                  'heartbeat_s': self.heartbeat_s}
        return make_event(EVENT_TIMEZONE_SYNCED, fields, rvm_id=self.rvm_id)

    def _apply_to_system(self, result: SyncResult) -> None:
        """Set the system timezone (and clock when off by > 1 s) with ``timedatectl``."""
        try:
            self._run(['timedatectl', 'set-timezone', result.timezone])
            if result.clock_offset_ms is not None and abs(result.clock_offset_ms) > 1000.0:
                target = datetime.fromtimestamp(
                    self._clock() + result.clock_offset_ms / 1000.0, timezone.utc)
                self._run(['timedatectl', 'set-ntp', 'false'])
                self._run(['timedatectl', 'set-time', target.strftime('%Y-%m-%d %H:%M:%S UTC')])
        except (OSError, subprocess.SubprocessError) as exc:
            LOG.error('could not change the system clock/timezone: %s', exc)
