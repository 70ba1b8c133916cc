"""Timezone sync maths against a fake Date header and fake clocks."""
import requests

from rvm_bridge.timezone_sync import TimezoneSync, compute_sync, format_utc_offset
from datetime import timedelta

# 2026-01-15 12:00:00 UTC
T0 = 1768478400.0
DATE = 'Thu, 15 Jan 2026 12:00:00 GMT'


def test_offset_zero_when_clocks_agree():
    # local midpoint at T0+0.5 = middle of the Date second -> offset 0
    r = compute_sync(DATE, T0 + 0.4, T0 + 0.6, 'Asia/Jakarta', 'startup')
    assert r.status == 'synced' and r.clock_offset_ms == 0.0
    assert r.utc_offset == '+07:00' and r.local_time.startswith('2026-01-15T19:00:00')
    assert r.server_time == '2026-01-15T12:00:00.000Z'


def test_edge_clock_ahead_gives_negative_offset():
    r = compute_sync(DATE, T0 + 3.4, T0 + 3.6, 'UTC', 'manual')
    assert r.clock_offset_ms == -3000.0 and r.trigger == 'manual' and r.utc_offset == '+00:00'
    assert r.local_time.startswith('2026-01-15T12:00:00')   # corrected by the offset


def test_half_hour_zone_and_dst():
    assert compute_sync(DATE, T0, T0, 'Asia/Kolkata', 'x').utc_offset == '+05:30'
    summer = 'Wed, 15 Jul 2026 12:00:00 GMT'
    assert compute_sync(summer, T0, T0, 'America/New_York', 'x').utc_offset == '-04:00'
    assert format_utc_offset(timedelta(hours=-3, minutes=-30)) == '-03:30'


def test_unknown_zone_and_bad_date_fail_clearly():
    r = compute_sync(DATE, T0, T0, 'Mars/Olympus', 'x')
    assert r.status == 'failed' and 'Mars/Olympus' in r.error and r.timezone == 'UTC'
    r = compute_sync('yesterday-ish', T0, T0, 'UTC', 'x')
    assert r.status == 'failed' and 'Date' in r.error and r.clock_offset_ms is None


def test_sync_uses_requested_timezone_and_emits_payload():
    times = iter([T0 + 0.4, T0 + 0.6])
    calls = []
    sync = TimezoneSync(url='http://api.local/', timezone_name='UTC', rvm_id='rvm-9',
                        fetch=lambda url, timeout: calls.append((url, timeout)) or DATE,
                        wall_clock=lambda: next(times))
    payload = sync.sync('manual', requested_timezone='Asia/Makassar')
    assert calls == [('http://api.local/', 5.0)]
    assert payload['type'] == 'timezone-synced' and payload['rvm_id'] == 'rvm-9'
    assert payload['timezone'] == 'Asia/Makassar' and payload['utc_offset'] == '+08:00'
    assert payload['status'] == 'synced' and payload['trigger'] == 'manual'
    assert sync.timezone_name == 'Asia/Makassar'


def test_sync_failure_is_reported_not_raised():
    def boom(url, timeout):
        raise requests.ConnectionError('refused')
    sync = TimezoneSync(url='http://127.0.0.1:9/', timezone_name='UTC', fetch=boom)
    payload = sync.sync('startup')
    assert payload['status'] == 'failed' and 'refused' in payload['error']


def test_system_change_only_when_allowed():
    ran = []
    for allowed in (False, True):
        times = iter([T0 + 10.4, T0 + 10.6, T0 + 10.7])
        sync = TimezoneSync(url='u', timezone_name='Asia/Jakarta', fetch=lambda u, t: DATE,
                            wall_clock=lambda: next(times), allow_system_change=allowed, run=ran.append)
        sync.sync('startup')
    assert ran[0] == ['timedatectl', 'set-timezone', 'Asia/Jakarta']
    assert ran[-1][:2] == ['timedatectl', 'set-time'] and len(ran) == 3
