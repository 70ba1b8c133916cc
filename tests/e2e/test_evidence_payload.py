"""A verdict with its evidence crop fits the server's message limit with room to spare."""
import math
import uuid

import numpy as np

from rvm_bridge.bridge_config import BridgeConfig
from rvm_bridge.routing.channel_map import load_channel_map
from rvm_bridge.protocol.payload_limit import fit_payload
from rvm_common import contract
from rvm_common.events import EVENT_DETECTION_COMPLETED, TOPIC_VERDICT, make_event
from rvm_detector.detector_config import DetectorConfig
from rvm_detector.evidence import EvidenceHook, evidence_hook

#: Room left under the limit for what a server or a proxy adds (beyond payload_limit's margin).
ROOM = 1000


def worst_verdict():
    """A verdict as large as the detector makes one: 64-point mask, long names, every field."""
    box = (40.25, 60.75, 600.5, 430.125)
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    polygon = [[round(cx + 279.9 * math.cos(a), 1), round(cy + 184.9 * math.sin(a), 1)]
               for a in np.linspace(0, 2 * math.pi, 64, endpoint=False)]
    fields = {
        'item_id': str(uuid.uuid4()), 'episode_id': str(uuid.uuid4()),
        'session_id': str(uuid.uuid4()), 'category': 'aluminium_can',
        'class_name': 'aluminium_can', 'confidence': 0.9123, 'accepted': False,
        'reason': 'multiple_objects',
        'objects': {'count': 3, 'categories': {'aluminium_can': 2, 'glass_bottle': 1}},
        'bbox': dict(zip(('x1', 'y1', 'x2', 'y2'), box)),
        'mask': {'polygon': polygon, 'area_px': 123456.7, 'area_fraction': 0.401883},
        'frame': {'width': 640, 'height': 480}, 'capture_time': '2026-12-06T04:00:00.123Z',
        'timings_ms': {'preprocess': 2.11, 'inference': 61.42, 'refine': 120.5,
                       'postprocess': 3.25, 'total': 187.28},
        'model': 'rvm_yolo11n_seg.pt'}
    return make_event(EVENT_DETECTION_COMPLETED, fields, rvm_id='rvm-000000000001',
                      timestamp=1_796_000_000.0)


def test_worst_case_verdict_with_crop_fits_the_reverb_limit_untouched():
    rng = np.random.default_rng(7)
    noise = rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)   # the hardest image for JPEG
    payload = worst_verdict()
    payload['seq'] = 123456789
    evidence_hook(DetectorConfig()).attach(None, [(TOPIC_VERDICT, payload)], noise)
    assert payload['evidence']['width'] == 160
    contract.validate(payload)
    limit = BridgeConfig().max_message_bytes
    route = load_channel_map(rvm_id='rvm-000000000001').route(TOPIC_VERDICT)
    fit = fit_payload(route.channel, route.wire_event, payload, limit)
    print(f'verdict with crop: {fit.size} bytes on the wire (limit {limit}), '
          f"crop {len(payload['evidence']['data'])} base64 chars")
    assert fit.text is not None and not fit.compacted and not fit.truncated
    assert fit.size <= limit - ROOM


def test_a_crop_too_large_for_the_limit_is_dropped_by_the_bridge_not_the_envelope():
    payload = worst_verdict()
    hook = EvidenceHook()
    hook.policy = type(hook.policy)(max_bytes=20_000, max_side=640)
    hook.attach(None, [(TOPIC_VERDICT, payload)],
                np.random.default_rng(1).integers(0, 256, (480, 640, 3), dtype=np.uint8))
    fit = fit_payload('detection-results', 'detection-completed', payload, 10_000)
    assert fit.text is not None and fit.truncated
    assert '"evidence"' not in fit.text and payload['event_id'] in fit.text


def test_the_largest_allowed_crop_still_fits_untouched():
    """evidence_max_bytes' maximum (5000) keeps a worst-case verdict under Reverb's limit."""
    import dataclasses
    payload = worst_verdict()
    payload['seq'] = 123456789
    config = dataclasses.replace(DetectorConfig(), evidence_max_bytes=5000, evidence_max_px=640)
    noise = np.random.default_rng(3).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    evidence_hook(config).attach(None, [(TOPIC_VERDICT, payload)], noise)
    assert len(payload['evidence']['data']) > 4 * 4500 // 3      # near the 5000-byte bound
    fit = fit_payload('private-rvm.rvm-000000000001', 'client-detection-completed', payload,
                      BridgeConfig().max_message_bytes)
    print(f'verdict with the largest crop: {fit.size} bytes on the wire')
    assert fit.text is not None and not fit.compacted and not fit.truncated
