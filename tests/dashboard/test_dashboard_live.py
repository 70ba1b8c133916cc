"""The dashboard in headless chromium against a real Soketi, fed with schema-valid events (phase 1:
events published with the official pusher SDK, as the bridge's HTTP transport does)."""
from __future__ import annotations

import json

from rvm_common import events
from rvm_common.events import make_event, utc_iso
from support.schemas import validate_event

RVM = 'rvm-demo'


def event(kind: str, fields: dict) -> dict:
    payload = make_event(kind, fields, rvm_id=RVM)
    validate_event(payload)
    return payload


def verdict(item: str, *, accepted: bool = True, seq: int | None = None) -> dict:
    fields = {
        'item_id': item, 'session_id': 's-1', 'category': 'pet' if accepted else 'glass',
        'class_name': 'pet_bottle' if accepted else 'glass_bottle',
        'confidence': 0.93 if accepted else 0.41, 'accepted': accepted,
        'reason': None if accepted else 'low_confidence',
        'bbox': {'x1': 200.0, 'y1': 90.0, 'x2': 420.0, 'y2': 400.0},
        'mask': {
            'polygon': [[230, 100], [400, 110], [410, 390], [215, 380]], 'area_px': 52000.0,
            'area_fraction': 0.17},
        'frame': {'width': 640, 'height': 480}, 'capture_time': utc_iso(),
        'timings_ms': {
            'preprocess': 2.0, 'inference': 30.5, 'refine': 0.0, 'postprocess': 3.0, 'total': 35.5,
        },
        'model': 'yolo11n-seg-rvm'}
    payload = event(events.EVENT_DETECTION_COMPLETED, fields)
    if seq is not None:
        payload['seq'] = seq
    return payload


STATUS = {'state': 'maintenance', 'previous_state': 'online', 'reasons': ['maintenance requested'],
          'alerts': [{'id': 'maintenance', 'kind': 'maintenance', 'level': 'warn',
                      'message': 'maintenance mode on', 'since': utc_iso()}], 'since': utc_iso()}
HEALTH = {
    'cpu': {'percent': 37.5, 'per_core': [41.0, 34.0], 'load_1m': 1.12},
    'memory': {'percent': 48.2, 'used_mb': 3712.0, 'total_mb': 7620.0, 'swap_percent': 0.0},
    'disk': [{'path': '/', 'percent': 61.3, 'free_gb': 22.4}],
    'temperatures': {'cpu-thermal': 52.5}, 'gpu': None,
    'pipeline': {'camera_fps': 15.0, 'detector_fps': 14.2, 'bridge_state': 'connected'},
    'uptime_s': 3605.0}


def text(browser, selector: str) -> str:
    return browser.call('text', selector=selector)


def open_dashboard(browser, demo) -> None:
    browser.call('open', url=demo.endpoints.dashboard_url)
    browser.wait("document.getElementById('conn-state').textContent === 'connected'")
    # the private per-machine channel is authorized by the demo's Laravel-like endpoint (Bearer
    # token)
    browser.wait(
        "document.getElementById('log').innerText.includes('subscribed to private-rvm.rvm-demo')")
    browser.wait(
        "document.getElementById('log').innerText.includes('subscribed to detection-results')")


def test_page_shows_status_health_verdicts_and_manual_sync(demo, browser, pusher_listener):
    sdk = demo.soketi.pusher_client()
    listener = pusher_listener(demo.soketi, [events.CHANNEL_TIMEZONE])
    listener.wait_for(lambda r: r.get('event') == 'pusher:subscription_succeeded')
    open_dashboard(browser, demo)
    assert 'token=' not in browser.call('eval', expression='location.href')

    sdk.trigger(
        events.CHANNEL_STATUS, events.EVENT_STATUS_UPDATED,
        event(events.EVENT_STATUS_UPDATED, STATUS))
    sdk.trigger(
        events.CHANNEL_STATUS, events.EVENT_HEALTH_UPDATED,
        event(events.EVENT_HEALTH_UPDATED, HEALTH))
    accepted, rejected = verdict('item-1', seq=1), verdict('item-2', accepted=False, seq=2)
    sdk.trigger(events.CHANNEL_DETECTIONS, events.EVENT_DETECTION_COMPLETED, accepted)
    # data as a JSON string inside the JSON data (double-encoded) is accepted too
    sdk.trigger(
        events.CHANNEL_DETECTIONS, events.EVENT_DETECTION_COMPLETED,
        json.dumps(json.dumps(rejected)))
    sdk.trigger(
        events.CHANNEL_DETECTIONS, events.EVENT_PROCESSING_UPDATED,
        event(
            events.EVENT_PROCESSING_UPDATED,
            {
                'item_id': 'item-2', 'session_id': 's-1', 'status': 'completed',
                'detail': 'glass_bottle rejected'},
        ),
    )
    sdk.trigger(
        events.CHANNEL_DETECTIONS, events.EVENT_SESSION_COMPLETED,
        event(
            events.EVENT_SESSION_COMPLETED,
            {
                'session_id': 's-1', 'started_at': utc_iso(), 'ended_at': utc_iso(),
                'reason': 'idle_timeout', 'counts': {'pet': 1}, 'accepted': 1, 'rejected': 1,
                'total': 2},
        ),
    )

    browser.wait("document.querySelectorAll('#verdicts .verdict').length === 2")
    browser.wait("document.querySelector('#sessions tr[data-session-id=\"s-1\"]') !== null")
    assert text(browser, '#state-rvm-demo').lower() == 'maintenance'
    assert 'maintenance mode on' in text(browser, '#machines')
    health = text(browser, '#health')
    assert (
        '37.5 %' in health and '48.2 %' in health and '15.0 fps' in health and '52.5 °C' in health)
    first = browser.call('eval', expression="""(() => {
        const li = document.querySelector(`#verdicts .verdict[data-item-id="item-1"]`);
        const c = li.querySelector('canvas').getContext('2d').getImageData(0, 0, 160, 120).data;
        let mask = 0;                                  // greenish mask pixels drawn over the bbox
        for (let i = 0; i < c.length; i += 4) if (c[i + 1] > 90 && c[i + 1] > c[i] + 30) mask++;
        return {text: li.innerText, category: li.dataset.category, mask};
    })()""")
    assert (
        first['category'] == 'pet'
        and 'accepted' in first['text'].lower()
        and '93.0 %' in first['text']
    )
    assert first['mask'] > 200
    assert 'latency' in first['text'] and ' ms' in first['text']
    second = text(browser, '#verdicts .verdict[data-item-id="item-2"]')
    assert 'rejected' in second.lower() and 'low confidence' in second
    assert 'completed' in text(browser, '#processing')
    latencies = browser.call(
        'eval', expression='window.rvmDashboard.verdicts.map(v => v.latency_ms)')
    assert all(0 <= ms < 5000 for ms in latencies)

    # the same event again (a durable re-send) is shown once
    sdk.trigger(events.CHANNEL_DETECTIONS, events.EVENT_DETECTION_COMPLETED, accepted)
    browser.wait("document.getElementById('count-duplicates').textContent === '1'")
    assert (
        browser.call('eval', expression="document.querySelectorAll('#verdicts .verdict').length")
        == 2
    )

    # manual sync: the button -> demo endpoint -> Pusher HTTP API -> manual-sync on
    # timezone-updates
    browser.call('click', selector='#manual-sync')
    record = listener.wait_for(lambda r: r.get('event') == events.EVENT_MANUAL_SYNC)
    data = record['data'] if isinstance(record['data'], dict) else json.loads(record['data'])
    validate_event(data, events.EVENT_MANUAL_SYNC)
    assert data['requested_by'] == 'dashboard' and len(data['request_id']) >= 8
    browser.wait("document.getElementById('sync-message').textContent.startsWith('sent')")
    browser.wait(
        "document.getElementById('sync-message').textContent.includes('manual sync requested')")
    # phase 1 stands in for the edge's answer (the bridge tests cover the real one): it echoes
    # request_id
    sdk.trigger(
        events.CHANNEL_TIMEZONE, events.EVENT_TIMEZONE_SYNCED,
        event(
            events.EVENT_TIMEZONE_SYNCED,
            {
                'timezone': 'Asia/Jakarta', 'utc_offset': '+07:00',
                'local_time': '2026-11-26T17:54:25.004+07:00', 'server_time': utc_iso(),
                'clock_offset_ms': -4.0, 'status': 'synced', 'trigger': 'manual',
                'request_id': data['request_id']},
        ),
    )
    browser.wait("document.getElementById('tz-status').textContent.startsWith('synced (manual)')")
    answer = text(browser, '#sync-message')
    assert (
        answer.startswith('rvm-demo answered in ') and 'synced Asia/Jakarta +07:00' in answer
    ), answer
    assert text(browser, '#tz-name') == 'Asia/Jakarta' and text(browser, '#tz-offset') == '+07:00'
    assert browser.call('eval', expression='window.rvmDashboard.malformed') == 0

    # bad input: a frame that is not JSON is counted and ignored; a verdict truncated to its
    # envelope (what the bridge sends when even the compact form is over the size limit) is still
    # listed
    sdk.trigger(events.CHANNEL_DETECTIONS, events.EVENT_DETECTION_COMPLETED, 'not json {')
    browser.wait('window.rvmDashboard.malformed === 1')
    bare = {
        k: v
        for k, v in verdict('item-3').items()
        if k in ('type', 'version', 'event_id', 'rvm_id', 'timestamp')
    }
    bare.update(seq=3, truncated=True)
    validate_event(bare)
    sdk.trigger(events.CHANNEL_DETECTIONS, events.EVENT_DETECTION_COMPLETED, bare)
    browser.wait(
        f"document.querySelector('#verdicts .verdict[data-event-id=\"{bare['event_id']}\"]') !=="
        " null"
    )
    assert 'truncated' in text(browser, f'#verdicts .verdict[data-event-id="{bare["event_id"]}"]')
    assert (
        browser.call('eval', expression="document.getElementById('conn-state').textContent")
        == 'connected'
    )


def test_page_reconnects_after_soketi_is_killed_and_restarted(demo, browser):
    open_dashboard(browser, demo)
    sdk = demo.soketi.pusher_client()
    sdk.trigger(
        events.CHANNEL_DETECTIONS, events.EVENT_DETECTION_COMPLETED, verdict('before-crash'))
    browser.wait(
        "document.querySelector('#verdicts .verdict[data-item-id=\"before-crash\"]') !== null")

    demo.soketi.kill()
    browser.wait("document.getElementById('conn-state').textContent !== 'connected'")
    demo.soketi.restart()
    browser.wait("document.getElementById('conn-state').textContent === 'connected'", timeout=40)
    assert text(browser, '#conn-reconnects') == '1'
    browser.wait(
        "(document.getElementById('log').innerText.match(/subscribed to detection-results/g) ||"
        " []).length >= 2"
    )

    sdk = demo.soketi.pusher_client()
    sdk.trigger(
        events.CHANNEL_DETECTIONS, events.EVENT_DETECTION_COMPLETED, verdict('after-restart'))
    browser.wait(
        "document.querySelector('#verdicts .verdict[data-item-id=\"after-restart\"]') !== null")
    items = browser.call('eval', expression="[...document.querySelectorAll('#verdicts .verdict')]"
                                            ".map(li => li.dataset.itemId)")
    assert items == ['after-restart', 'before-crash']
    assert 'connecting' in text(browser, '#log') or 'unavailable' in text(browser, '#log')
