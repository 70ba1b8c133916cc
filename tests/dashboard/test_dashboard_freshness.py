"""The dashboard in headless chromium: panel ages, staleness, offline machines, sync time-outs.

Each panel's age, stale greying after 3 heartbeat periods, "offline since …" for a silent
machine, and the manual-sync round trip's time-out with its reason. Events are published with
the pusher SDK (as the bridge's HTTP transport does), their timestamps chosen by the test, so
nothing depends on how fast this machine is."""

from __future__ import annotations

import json
import time

from rvm_common import events
from rvm_common.events import make_event, utc_iso
from support.schemas import validate_event

from .test_dashboard_live import HEALTH, STATUS, open_dashboard, text

RVM = 'rvm-demo'


def live_event(
    kind: str, fields: dict, *, age_s: float, heartbeat_s: float, rvm: str = RVM, **extra
) -> dict:
    """A schema-valid ``kind`` event made ``age_s`` seconds ago that promises ``heartbeat_s``."""
    payload = make_event(kind, {**fields, 'heartbeat_s': heartbeat_s, **extra}, rvm_id=rvm,
                         timestamp=time.time() - age_s)
    validate_event(payload)
    return payload


TIMEZONE = {
    'timezone': 'Asia/Jakarta', 'utc_offset': '+07:00',
    'local_time': '2026-11-26T17:54:25.004+07:00', 'server_time': utc_iso(),
    'clock_offset_ms': -4.0, 'status': 'synced', 'trigger': 'startup'}


def has_class(browser, selector: str, name: str) -> bool:
    return browser.call(
        'eval', expression=f"document.querySelector('{selector}').classList.contains('{name}')")


def test_panels_show_their_age_and_grey_out_after_three_heartbeats(demo, browser):
    sdk = demo.soketi.pusher_client()
    open_dashboard(browser, demo)
    # status 10 s old with a 2 s heartbeat: overdue (> 3 x 2 s); health fresh with a 1 h period
    sdk.trigger(
        events.CHANNEL_STATUS, events.EVENT_STATUS_UPDATED,
        live_event(events.EVENT_STATUS_UPDATED, STATUS, age_s=10, heartbeat_s=2, heartbeat=True))
    sdk.trigger(events.CHANNEL_STATUS, events.EVENT_HEALTH_UPDATED,
                live_event(events.EVENT_HEALTH_UPDATED, HEALTH, age_s=0, heartbeat_s=3600))
    # timezone fresh now, with a 1 s heartbeat: stale 3 s later when nothing follows
    sdk.trigger(events.CHANNEL_TIMEZONE, events.EVENT_TIMEZONE_SYNCED,
                live_event(events.EVENT_TIMEZONE_SYNCED, TIMEZONE, age_s=0, heartbeat_s=1))
    browser.wait(f"document.getElementById('health-age-{RVM}') && "
                 f"document.getElementById('status-age-{RVM}').textContent.includes('stale')")

    machine = f'#machines .machine[data-rvm="{RVM}"]'
    assert has_class(browser, machine, 'stale')                       # greyed out
    # "updated 10 s ago · every 2 s · stale"
    assert text(browser, f'#status-age-{RVM}').startswith('updated 1')
    assert 'every 2 s' in text(browser, f'#status-age-{RVM}')
    health_age = text(browser, f'#health-age-{RVM}')
    assert (
        health_age.startswith('updated ')
        and 'every 1 h' in health_age
        and 'stale' not in health_age
    )
    assert not has_class(browser, f'#health .health[data-rvm="{RVM}"]', 'stale')
    # the machine still sends health in time: stale status figures, but not offline
    assert (
        browser.call('eval', expression=f"document.querySelector('{machine} .offline').hidden")
        is True
    )

    assert not has_class(browser, '#panel-timezone', 'stale')
    browser.wait(
        "document.getElementById('panel-timezone').classList.contains('stale')", timeout=10)
    assert 'stale' in text(browser, '#tz-age')

    # a heartbeat (same state, fresh timestamp) makes the status figures current again
    sdk.trigger(
        events.CHANNEL_STATUS, events.EVENT_STATUS_UPDATED,
        live_event(events.EVENT_STATUS_UPDATED, STATUS, age_s=0, heartbeat_s=2, heartbeat=True))
    browser.wait(f"!document.querySelector('{machine}').classList.contains('stale')")
    # an older event arriving after a newer one does not replace it
    sdk.trigger(
        events.CHANNEL_STATUS, events.EVENT_STATUS_UPDATED,
        live_event(
            events.EVENT_STATUS_UPDATED, {**STATUS, 'state': 'error'}, age_s=30, heartbeat_s=2),
    )
    browser.wait(
        "window.rvmDashboard.received.filter(r => r.event === 'status-updated').length === 3")
    assert text(browser, f'#state-{RVM}').lower() == 'maintenance'


def test_a_machine_whose_heartbeats_stopped_shows_offline_since(demo, browser):
    sdk = demo.soketi.pusher_client()
    open_dashboard(browser, demo)
    for kind, fields in (
        (events.EVENT_STATUS_UPDATED, STATUS), (events.EVENT_HEALTH_UPDATED, HEALTH),
    ):
        sdk.trigger(
            events.CHANNEL_STATUS, kind,
            live_event(kind, fields, age_s=75, heartbeat_s=5, rvm='rvm-gone'))
    line = '#machines .machine[data-rvm="rvm-gone"] .offline'
    browser.wait(f"document.querySelector('{line}') && !document.querySelector('{line}').hidden")
    assert text(browser, line).startswith('offline since ') and 'no heartbeat for 1 min 1' in text(
        browser, line)
    assert has_class(browser, '#machines .machine[data-rvm="rvm-gone"]', 'gone')
    assert has_class(browser, '#health .health[data-rvm="rvm-gone"]', 'stale')


def open_with_sync_timeout(browser, demo, seconds: float) -> None:
    browser.call('open', url=f'{demo.endpoints.dashboard_url}&sync_timeout={seconds}')
    browser.wait("document.getElementById('conn-state').textContent === 'connected'")
    browser.wait(
        "document.getElementById('log').innerText.includes('subscribed to timezone-updates')")


def click_sync(browser, listener) -> str:
    """Click Manual sync; the request_id the manual-sync event (seen by ``listener``) carried."""
    start = len(listener.records)
    browser.call('click', selector='#manual-sync')
    record = listener.wait_for(lambda r: r.get('event') == events.EVENT_MANUAL_SYNC, start=start)
    data = record['data'] if isinstance(record['data'], dict) else json.loads(record['data'])
    validate_event(data, events.EVENT_MANUAL_SYNC)
    return data['request_id']


def test_manual_sync_says_sent_then_no_answer_and_why(demo, browser, pusher_listener):
    sdk = demo.soketi.pusher_client()
    listener = pusher_listener(demo.soketi, [events.CHANNEL_TIMEZONE])
    listener.wait_for(lambda r: r.get('event') == 'pusher:subscription_succeeded')
    open_with_sync_timeout(browser, demo, 1)
    message = "document.getElementById('sync-message')"

    # no machine has said anything yet
    click_sync(browser, listener)
    browser.wait(f"{message}.textContent.startsWith('sent')")
    browser.wait(f"{message}.dataset.state === 'timed_out'", timeout=10)
    assert text(browser, '#sync-message') == ('no answer in 1 s: no machine has reported yet '
                                              '(is rvm-edge running and connected?)')

    for kind, fields in (
        (events.EVENT_STATUS_UPDATED, STATUS), (events.EVENT_HEALTH_UPDATED, HEALTH),
    ):
        sdk.trigger(events.CHANNEL_STATUS, kind, live_event(kind, fields, age_s=60, heartbeat_s=5))
    browser.wait(
        f"!document.querySelector('#machines .machine[data-rvm=\"{RVM}\"] .offline').hidden")
    request_id = click_sync(browser, listener)
    browser.wait(f"{message}.dataset.state === 'timed_out'", timeout=10)
    assert text(browser, '#sync-message').startswith(
        f'no answer in 1 s: machine {RVM} offline since ')

    # the machine answers late, echoing the request_id: still reported, marked late
    sdk.trigger(events.CHANNEL_TIMEZONE, events.EVENT_TIMEZONE_SYNCED, live_event(
        events.EVENT_TIMEZONE_SYNCED, {**TIMEZONE, 'trigger': 'manual'}, age_s=0, heartbeat_s=30,
        request_id=request_id))
    browser.wait(f"{message}.dataset.state === 'answered'")
    assert text(browser, '#sync-message').startswith(f'{RVM} answered in ')
    assert '(late): synced Asia/Jakarta +07:00, clock offset -4 ms' in text(
        browser, '#sync-message')

    # an answer to someone else's request does not count as ours
    click_sync(browser, listener)
    sdk.trigger(events.CHANNEL_TIMEZONE, events.EVENT_TIMEZONE_SYNCED, live_event(
        events.EVENT_TIMEZONE_SYNCED, {**TIMEZONE, 'trigger': 'manual'}, age_s=0, heartbeat_s=30,
        request_id='someone-else'))
    browser.wait(f"{message}.dataset.state === 'timed_out'", timeout=10)

    # server gone: the demo endpoint cannot trigger the event
    demo.soketi.kill()
    browser.wait("document.getElementById('conn-state').textContent !== 'connected'")
    browser.call('click', selector='#manual-sync')
    browser.wait(f"{message}.dataset.state === 'failed'")
    assert text(browser, '#sync-message').startswith('not sent: HTTP 502')
