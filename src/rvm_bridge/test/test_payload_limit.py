"""Payload limit: fits as-is, compacts (floats, polygons), truncates, never exceeds the limit."""
import json
import math

import pytest

from rvm_bridge.protocol.payload_limit import fit_payload, wire_size
from rvm_common.events import make_event


def _verdict(n_points=64, **extra):
    poly = [[320 + 150.123456 * math.cos(2 * math.pi * i / n_points),
             240 + 100.654321 * math.sin(2 * math.pi * i / n_points)] for i in range(n_points)]
    return make_event('detection-completed', {
        'item_id': 'i1', 'session_id': 's1', 'category': 'pet_bottle', 'class_name': 'pet_bottle',
        'confidence': 0.91234567, 'accepted': True, 'reason': None,
        'bbox': {'x1': 170.1234, 'y1': 140.5678, 'x2': 470.9, 'y2': 340.1},
        'mask': {'polygon': poly, 'area_px': 47000, 'area_fraction': 0.153},
        'frame': {'width': 640, 'height': 480}, 'capture_time': '2026-01-01T00:00:00.000Z',
        'timings_ms': {'preprocess': 1.23456, 'inference': 20.5, 'refine': 0.0, 'postprocess': 1.0,
                       'total': 22.7}, 'model': 'yolo11n-seg', **extra}, rvm_id='rvm-1')


def test_small_payload_unchanged():
    payload = _verdict(8)
    fit = fit_payload('detection-results', 'detection-completed', payload, 10_000)
    assert json.loads(fit.text) == payload and not fit.compacted and not fit.truncated


def test_compact_rounds_and_simplifies_before_truncating():
    payload = _verdict(64)
    full = wire_size(
        'detection-results', 'detection-completed', json.dumps(payload, separators=(',', ':')))
    limit = full - 1200
    fit = fit_payload('detection-results', 'detection-completed', payload, limit)
    data = json.loads(fit.text)
    assert fit.size <= limit and fit.compacted and not fit.truncated and 'truncated' not in data
    assert data['confidence'] == 0.91 and len(data['mask']['polygon']) >= 8
    assert data['event_id'] == payload['event_id']


def test_huge_polygon_is_truncated_under_limit():
    payload = _verdict(5000, detail='x' * 30_000)
    fit = fit_payload('detection-results', 'detection-completed', payload, 10_000)
    data = json.loads(fit.text)
    assert fit.truncated and data['truncated'] is True and fit.size <= 10_000
    assert (
        data['item_id'] == 'i1' and data['accepted'] is True and data['category'] == 'pet_bottle')


def test_bare_envelope_and_impossible_limit():
    payload = _verdict(16, item_id='i' * 5000)
    fit = fit_payload('c', 'e', payload, 800)
    assert fit.text is not None and fit.size <= 800 and json.loads(fit.text)['truncated'] is True
    assert fit_payload('c', 'e', payload, 50).text is None


def _strict(text):
    """Parse as pusher-js / PHP would: NaN and Infinity are not JSON."""
    def reject(token):
        raise ValueError(f'not JSON: {token}')
    return json.loads(text, parse_constant=reject)


def test_non_finite_numbers_become_null_with_a_note_and_the_text_is_valid_json():
    payload = {
        'type': 't', 'event_id': 'x', 'value': float('nan'),
        'n': {'inf': float('-inf'), 'ok': 1.5}, 'obj': object()}
    fit = fit_payload('c', 'e', payload, 10_000)
    data = _strict(fit.text)
    assert (
        data['value'] is None
        and data['n'] == {'inf': None, 'ok': 1.5}
        and data['obj'].startswith('<object')
    )
    assert data['json_notes'] == [
        'value: nan -> null', 'n.inf: -inf -> null', 'obj: object -> string']
    assert (
        fit.size == wire_size('c', 'e', fit.text) <= 10_000
        and payload['value'] != payload['value']
    )


@pytest.mark.parametrize('limit', [800, 2_000, 5_000, 10_000])
def test_every_fit_is_valid_json_under_the_limit_and_keeps_the_identity(limit):
    payload = _verdict(600, detail='d' * 12_000, score=float('inf'))
    fit = fit_payload('private-rvm.rvm-1', 'client-detection-completed', payload, limit)
    data = _strict(fit.text)
    assert (
        wire_size('private-rvm.rvm-1', 'client-detection-completed', fit.text) == fit.size <= limit
    )
    assert (
        data['event_id'] == payload['event_id']
        and data['truncated'] is True
        and data['score'] is None
    )
    if limit >= 2_000:
        assert (data['item_id'], data['accepted'], data['category']) == ('i1', True, 'pet_bottle')


@pytest.mark.parametrize('limit', [1_500, 1_100])
def test_compacted_polygons_keep_their_corners_and_own_points(limit):
    square = (
        [[0, 0]]
        + [[x, 0] for x in range(1, 50)]
        + [[50, 0]]
        + [[50, y] for y in range(1, 50)]
        + [[50, 50]]
        + [[x, 50] for x in range(49, 0, -1)]
        + [[0, 50]]
        + [[0, y] for y in range(49, 0, -1)]
    )
    payload = make_event(
        'detection-completed', {'item_id': 'i1', 'mask': {'polygon': square}}, rvm_id='rvm-1')
    fit = fit_payload('private-rvm.rvm-1', 'client-detection-completed', payload, limit)
    assert fit.compacted and not fit.truncated and fit.size <= limit
    polygon = json.loads(fit.text)['mask']['polygon']
    assert polygon == [
        [0, 0], [50, 0], [50, 50], [0, 50]], 'a square is its corners, in outline order'


def test_polygons_of_odd_points_are_thinned_evenly_without_raising():
    odd = [['a', i] for i in range(400)]
    payload = make_event(
        'detection-completed', {'item_id': 'i1', 'mask': {'polygon': odd}}, rvm_id='rvm-1')
    fit = fit_payload('private-rvm.rvm-1', 'client-detection-completed', payload, 1_500)
    polygon = json.loads(fit.text)['mask']['polygon']
    assert (
        fit.compacted and not fit.truncated and 3 <= len(polygon) <= 32 and polygon[0] == ['a', 0])
