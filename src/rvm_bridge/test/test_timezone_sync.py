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
        sync = TimezoneSync(
            url='u', timezone_name='Asia/Jakarta', fetch=lambda u, t: DATE,
            wall_clock=lambda: next(times), allow_system_change=allowed, run=ran.append)
        sync.sync('startup')
    assert ran[0] == ['timedatectl', 'set-timezone', 'Asia/Jakarta']
    assert ran[-1][:2] == ['timedatectl', 'set-time'] and len(ran) == 3


class Clock:
    """Injected wall and monotonic clocks the test moves by hand."""

    def __init__(self, wall: float) -> None:
        self.wall, self.mono = wall, 100.0

    def advance(self, seconds: float) -> None:
        self.wall += seconds
        self.mono += seconds


def test_manual_sync_answer_echoes_the_request_id_and_startup_has_none():
    clock = Clock(T0 + 0.5)
    sync = TimezoneSync(
        url='u', timezone_name='UTC', fetch=lambda u, t: DATE, wall_clock=lambda: clock.wall,
        monotonic=lambda: clock.mono)
    assert 'request_id' not in sync.sync('startup')
    answer = sync.sync('manual', request_id='req-42')
    assert answer['request_id'] == 'req-42' and answer['trigger'] == 'manual'
    assert answer['heartbeat_s'] == 30.0 and 'heartbeat' not in answer


def test_heartbeat_repeats_the_last_result_each_period_with_the_time_now():
    clock = Clock(T0 + 0.5)
    sync = TimezoneSync(
        url='u', timezone_name='Asia/Jakarta', rvm_id='rvm-9', fetch=lambda u, t: DATE,
        wall_clock=lambda: clock.wall, monotonic=lambda: clock.mono, heartbeat_s=10.0)
    # nothing synced yet: nothing to repeat
    assert sync.heartbeat() is None
    first = sync.sync('manual', request_id='req-1')
    clock.advance(9.9)
    assert sync.heartbeat() is None                              # not due
    clock.advance(0.1)
    beat = sync.heartbeat()
    assert (
        beat['heartbeat'] is True
        and beat['heartbeat_s'] == 10.0
        and beat['type'] == 'timezone-synced'
    )
    assert beat['event_id'] != first['event_id'] and 'request_id' not in beat   # not an answer
    assert (beat['timezone'], beat['status'], beat['trigger']) == (
        'Asia/Jakarta', 'synced', 'manual')
    # the local time now, not at the sync
    assert beat['local_time'].startswith('2026-01-15T19:00:10')
    assert beat['server_time'] == first['server_time'] and beat['clock_offset_ms'] == 0.0
    assert sync.heartbeat() is None                              # the period restarts at each beat
    clock.advance(10.0)
    assert sync.heartbeat()['heartbeat'] is True
    clock.advance(5.0)
    # a real sync restarts the period too
    sync.sync('manual')
    clock.advance(9.0)
    assert sync.heartbeat() is None


def test_heartbeat_zero_is_off():
    clock = Clock(T0 + 0.5)
    sync = TimezoneSync(url='u', fetch=lambda u, t: DATE, wall_clock=lambda: clock.wall,
                        monotonic=lambda: clock.mono, heartbeat_s=0.0)
    sync.sync('startup')
    clock.advance(1000.0)
    assert sync.heartbeat() is None
