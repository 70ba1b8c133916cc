"""Evidence and catch-up in headless chromium: the verdict card shows the real crop with its mask;
a page opened after a run shows the run from the server's state endpoint; a page disconnected
during a Reverb outage catches up on reconnect. The demo stack's ``GET /api/v2/rvm/{id}/state``
plays Laravel's endpoint; its store is fed as Laravel's database would be."""
from __future__ import annotations

import json

import numpy as np

from rvm_common import events
from rvm_common.events import utc_iso
from rvm_detector.evidence import encode_evidence
from support.schemas import validate_event

from .conftest import ARTIFACTS
from .test_dashboard_live import HEALTH, STATUS, event, open_dashboard, verdict
from .test_demo_stack import request

BLUE = (255, 60, 0)        # BGR: the item's colour in the crop
BOX = (200, 150, 360, 300)
COMPONENTS = {
    'camera': {'state': 'online', 'rate_hz': 14.8, 'age_s': 0.1, 'stale': False},
    'detector': {'state': 'ready', 'rate_hz': 14.1, 'age_s': 0.1, 'stale': False},
    'bridge': {'state': 'connected', 'rate_hz': None, 'age_s': 0.5, 'stale': False},
    'verdicts': {'state': None, 'rate_hz': 0.6, 'age_s': 2.0, 'stale': False}}


def with_crop(payload: dict) -> dict:
    """``payload`` with the evidence the detector attaches (a blue item on a grey chamber)."""
    image = np.full((480, 640, 3), 90, np.uint8)
    x1, y1, x2, y2 = BOX
    image[y1:y2, x1:x2] = BLUE
    polygon = [[x1, y1], [x2, y1], [x2, y2], [x1, y2]]
    payload['evidence'] = encode_evidence(image, BOX, polygon).field
    validate_event(payload)
    return payload


CARD = """(() => {
    const li = document.querySelector('#verdicts .verdict[data-item-id="%s"]');
    if (!li) return null;
    const canvas = li.querySelector('canvas');
    const c = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let blue = 0, outline = 0;
    for (let i = 0; i < c.length; i += 4) {
      if (c[i + 2] > 200 && c[i] < 60) blue++;                          // the crop's item
      if (c[i + 1] > 150 && c[i] < 90 && c[i + 2] < 160) outline++;     // green mask outline
    }
    return {picture: canvas.dataset.picture, blue, outline, text: li.innerText};
})()"""


def card(browser, item: str) -> dict:
    browser.wait(f"document.querySelector('#verdicts .verdict[data-item-id=\"{item}\"] canvas')"
                 "?.dataset.picture === 'crop'")
    return browser.call('eval', expression=CARD % item)


def test_verdict_card_shows_the_crop_with_the_mask_drawn(demo, browser):
    open_dashboard(browser, demo)
    demo.soketi.pusher_client().trigger(
        events.CHANNEL_DETECTIONS, events.EVENT_DETECTION_COMPLETED, with_crop(verdict('crop-1')))
    shown = card(browser, 'crop-1')
    assert shown['blue'] > 3000, shown          # the item's pixels, not a dark tile
    assert shown['outline'] > 100, shown        # the mask outline over it
    plain = verdict('no-crop')                  # an older sender: the outline tile still works
    demo.soketi.pusher_client().trigger(
        events.CHANNEL_DETECTIONS, events.EVENT_DETECTION_COMPLETED, plain)
    browser.wait("document.querySelector('#verdicts .verdict[data-item-id=\"no-crop\"] canvas')"
                 "?.dataset.picture === 'outline'")


def test_state_endpoint_needs_a_token_and_knows_its_machine(demo):
    base = demo.endpoints.http_base
    assert request(f'{base}/api/v2/rvm/rvm-demo/state')[0] == 401
    assert request(f'{base}/api/v2/rvm/rvm-demo/state', token='wrong')[0] == 401
    assert request(f'{base}/api/v2/rvm/other/state', token=demo.token)[0] == 404
    status, _, body = request(f'{base}/api/v2/rvm/rvm-demo/state', token=demo.token)
    assert status == 200 and json.loads(body)['verdicts'] == []
    for i in range(55):
        demo.state.record(events.TOPIC_VERDICT, verdict(f'item-{i}'))
    demo.state.record(events.TOPIC_RVM_STATUS, event(events.EVENT_STATUS_UPDATED, STATUS))
    doc = json.loads(request(f'{base}/api/v2/rvm/rvm-demo/state', token=demo.token)[2])
    assert [v['item_id'] for v in doc['verdicts'][:2]] == ['item-54', 'item-53']
    assert len(doc['verdicts']) == 50 and doc['status']['state'] == 'maintenance'


def record_run(demo, items: list[str]) -> list[dict]:
    """What MyRVM's database holds after a run: status, health, timezone, verdicts, session."""
    demo.state.record(events.TOPIC_RVM_STATUS, event(events.EVENT_STATUS_UPDATED, STATUS))
    health = dict(HEALTH, pipeline=dict(HEALTH['pipeline'], components=COMPONENTS,
                                        outbox_depth=0))
    demo.state.record(events.TOPIC_HEALTH, event(events.EVENT_HEALTH_UPDATED, health))
    demo.state.record(events.TOPIC_TIMEZONE, event(events.EVENT_TIMEZONE_SYNCED, {
        'timezone': 'Asia/Jakarta', 'utc_offset': '+07:00',
        'local_time': '2026-12-06T11:00:00.000+07:00', 'server_time': utc_iso(),
        'clock_offset_ms': 3.0, 'status': 'synced', 'trigger': 'startup'}))
    made = [with_crop(verdict(item, accepted=i % 2 == 0)) for i, item in enumerate(items)]
    for payload in made:
        demo.state.record(events.TOPIC_VERDICT, payload)
    demo.state.record(events.TOPIC_SESSION, event(events.EVENT_SESSION_COMPLETED, {
        'session_id': 's-1', 'started_at': utc_iso(), 'ended_at': utc_iso(),
        'reason': 'shutdown', 'counts': {'pet': 2, 'glass': 1}, 'accepted': 2, 'rejected': 1,
        'total': 3}))
    return made


def test_page_opened_after_the_run_shows_the_finished_run(demo, browser):
    made = record_run(demo, ['late-1', 'late-2', 'late-3'])
    open_dashboard(browser, demo)          # nothing is live any more: all comes from the server
    browser.wait("window.rvmDashboard.catchUp?.state === 'done'")
    for item in ('late-1', 'late-2', 'late-3'):
        assert card(browser, item)['blue'] > 3000
    items = browser.call('eval', expression="[...document.querySelectorAll('#verdicts .verdict')]"
                                            ".map(li => li.dataset.itemId)")
    assert items == ['late-3', 'late-2', 'late-1']                   # newest first
    assert 'from the server (caught up)' in card(browser, 'late-1')['text']
    assert browser.call('text', selector='#state-rvm-demo').lower() == 'maintenance'
    assert browser.call('text', selector='#tz-name') == 'Asia/Jakarta'
    browser.wait("document.querySelector('#sessions tr[data-session-id=\"s-1\"]') !== null")
    labels = browser.call('eval', expression="[...document.querySelectorAll('#health .label')]"
                                             ".map(x => x.textContent)")
    assert len(labels) == len(set(labels)), labels                   # each component once
    grid = browser.call('text', selector='#health')
    assert 'online · 14.8 fps' in grid and '0.6 /s' in grid and '–  ·' not in grid
    assert 'caught up from the server: 7 events, 7 new' in browser.call('text', selector='#log')
    # the same verdict arriving live afterwards (a durable re-send) is dropped by event_id
    demo.soketi.pusher_client().trigger(
        events.CHANNEL_DETECTIONS, events.EVENT_DETECTION_COMPLETED, made[0])
    browser.wait("document.getElementById('count-duplicates').textContent === '1'")
    assert browser.call('eval', expression="document.querySelectorAll('#verdicts .verdict')"
                                           ".length") == 3
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.call('screenshot', path=str(ARTIFACTS / 'caught_up.png'), full_page=False)


def test_page_disconnected_during_an_outage_catches_up_on_reconnect(demo, browser):
    open_dashboard(browser, demo)
    browser.wait("window.rvmDashboard.catchUp?.state === 'done'")
    before = with_crop(verdict('before-outage'))
    demo.state.record(events.TOPIC_VERDICT, before)
    demo.soketi.pusher_client().trigger(
        events.CHANNEL_DETECTIONS, events.EVENT_DETECTION_COMPLETED, before)
    card(browser, 'before-outage')

    demo.soketi.kill()                                    # Reverb is down ...
    browser.wait("document.getElementById('conn-state').textContent !== 'connected'")
    for item in ('during-1', 'during-2'):                 # ... the server still stores verdicts
        demo.state.record(events.TOPIC_VERDICT, with_crop(verdict(item)))
    demo.soketi.restart()
    browser.wait("document.getElementById('conn-state').textContent === 'connected'", timeout=40)
    for item in ('during-1', 'during-2'):
        assert card(browser, item)['blue'] > 3000
    # on open the server had nothing; after the reconnect: the one seen live and the two missed
    log = browser.call('text', selector='#log')
    assert 'server: 0 events, 0 new' in log and 'server: 3 events, 2 new' in log, log
    after = with_crop(verdict('after-outage'))
    demo.soketi.pusher_client().trigger(
        events.CHANNEL_DETECTIONS, events.EVENT_DETECTION_COMPLETED, after)
    card(browser, 'after-outage')
    items = browser.call('eval', expression="[...document.querySelectorAll('#verdicts .verdict')]"
                                            ".map(li => li.dataset.itemId)")
    assert items == ['after-outage', 'during-2', 'during-1', 'before-outage']
    # the verdict seen live before the outage came again in the catch-up: dropped by event_id
    assert browser.call('eval', expression='window.rvmDashboard.duplicates') == 1
