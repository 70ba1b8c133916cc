"""Verdict evidence: the crop, its size budget, the mask in crop pixels, the hook and the store."""
import base64
import json
import os
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from rvm_common.events import TOPIC_PROCESSING, TOPIC_VERDICT
from rvm_detector.evidence import (EvidenceHook, EvidencePolicy, crop_box, encode_evidence,
                                   evidence_hook, evidence_message)
from rvm_detector.evidence_store import EvidenceStore


def scene(seed=0, box=(200, 150, 360, 260), colour=(0, 0, 255)):
    """A noisy 640x480 frame (hard for JPEG) with a solid rectangle at ``box``."""
    image = np.random.default_rng(seed).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    x1, y1, x2, y2 = box
    image[y1:y2, x1:x2] = colour
    return image


def decode(field):
    data = np.frombuffer(base64.b64decode(field['data']), np.uint8)
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


def test_crop_box_adds_the_margin_and_stays_inside_the_frame():
    assert crop_box((100, 100, 200, 150), 640, 480, 0.1) == (90, 95, 210, 155)
    assert crop_box((0, 0, 640, 480), 640, 480, 0.2) == (0, 0, 640, 480)
    with pytest.raises(ValueError, match='outside'):
        crop_box((700, 10, 800, 20), 640, 480, 0.1)
    with pytest.raises(ValueError, match='not finite'):
        crop_box((float('nan'), 10, 20, 20), 640, 480, 0.1)


def test_crop_shows_the_item_at_most_160_px_and_within_the_byte_budget():
    image = scene()
    evidence = encode_evidence(image, (200, 150, 360, 260), None, EvidencePolicy())
    field = evidence.field
    assert len(evidence.jpeg) <= 3000
    assert base64.b64decode(field['data']) == evidence.jpeg
    assert max(field['width'], field['height']) <= 160
    crop = decode(field)
    assert crop.shape[:2] == (field['height'], field['width'])
    # the item (pure red) is in the middle of the crop; the margin shows the noisy background
    h, w = crop.shape[:2]
    b, g, r = (int(v) for v in crop[h // 2, w // 2])
    assert r > 200 and g < 60 and b < 60
    assert crop[:3, :3].std() > 20
    assert field['box'] == {'x1': 176, 'y1': 133, 'x2': 384, 'y2': 277}


def test_mask_polygon_is_given_in_crop_pixels():
    image = scene()
    square = [[200, 150], [360, 150], [360, 260], [200, 260]]
    field = encode_evidence(image, (200, 150, 360, 260), square).field
    scale = field['width'] / (field['box']['x2'] - field['box']['x1'])
    expected = [[round((x - field['box']['x1']) * scale), round((y - field['box']['y1']) * scale)]
                for x, y in square]
    assert field['polygon'] == expected
    assert all(0 <= x <= field['width'] and 0 <= y <= field['height']
               for x, y in field['polygon'])


def test_a_small_budget_lowers_quality_then_size_and_an_impossible_one_is_an_error():
    image = scene()
    roomy = encode_evidence(image, (200, 150, 360, 260), None, EvidencePolicy(max_bytes=6000))
    tight = encode_evidence(image, (200, 150, 360, 260), None, EvidencePolicy(max_bytes=1200))
    assert len(tight.jpeg) <= 1200 < len(roomy.jpeg)
    assert (tight.field['quality'], tight.field['width']) < (roomy.field['quality'], 161)
    with pytest.raises(ValueError, match='fits 100 bytes'):
        encode_evidence(image, (200, 150, 360, 260), None, EvidencePolicy(max_bytes=100))


def test_small_items_are_not_enlarged():
    field = encode_evidence(scene(), (300, 200, 340, 230), None).field
    assert (field['width'], field['height']) == (52, 40)        # box grown by 15 %, unscaled


def verdict(item_id, box=(200, 150, 360, 260)):
    x1, y1, x2, y2 = box
    return {'event_id': f'ev-{item_id}', 'item_id': item_id, 'accepted': True,
            'bbox': {'x1': x1, 'y1': y1, 'x2': x2, 'y2': y2},
            'mask': {'polygon': [[x1, y1], [x2, y1], [x2, y2], [x1, y2]]}}


def test_hook_crops_a_waiting_accept_from_the_frame_it_was_judged_on():
    saved = []
    hook = EvidenceHook(save=lambda payload, frame, crop: saved.append((payload, frame, crop)))
    judged_frame, exit_frame = scene(colour=(0, 0, 255)), scene(colour=(255, 0, 0))
    pending = {'fields': verdict('item-1')}
    session = SimpleNamespace(episode=SimpleNamespace(item_id='item-1', pending=pending))
    hook.attach(session, [], judged_frame)                  # judged: waits for the exit
    assert 'evidence' in pending['fields']
    payload = dict(pending['fields'])
    session.episode = None                                  # the item left: the final verdict
    hook.attach(session, [(TOPIC_PROCESSING, {}), (TOPIC_VERDICT, payload)], exit_frame)
    crop = decode(payload['evidence'])
    b, g, r = crop[crop.shape[0] // 2, crop.shape[1] // 2]
    assert r > 200 and b < 60                               # red: the judged frame, not blue
    assert len(saved) == 1 and saved[0][1] is judged_frame
    assert saved[0][2] == base64.b64decode(payload['evidence']['data'])


def test_hook_crops_an_immediate_verdict_and_a_shutdown_verdict_from_the_last_frame():
    hook = EvidenceHook()
    session = SimpleNamespace(episode=None)
    now = verdict('item-2')
    hook.attach(session, [(TOPIC_VERDICT, now)], scene())
    assert decode(now['evidence']).shape[0] > 0
    later = verdict('item-3')
    assert hook.attached(session, [(TOPIC_VERDICT, later)]) == [(TOPIC_VERDICT, later)]
    assert 'evidence' in later


def test_hook_off_and_a_bad_box_leave_the_verdict_without_evidence():
    off = verdict('item-4')
    EvidenceHook(EvidencePolicy(enabled=False)).attach(None, [(TOPIC_VERDICT, off)], scene())
    assert 'evidence' not in off
    hook = EvidenceHook()
    bad = verdict('item-5', box=(900, 900, 950, 950))
    hook.attach(None, [(TOPIC_VERDICT, bad)], scene())
    assert 'evidence' not in bad and hook.failures == 1


def test_hook_from_config_has_a_store_only_with_a_folder(tmp_path):
    config = SimpleNamespace(evidence=True, evidence_max_px=120, evidence_max_bytes=2000,
                             evidence_dir='', evidence_max_mb=1.0)
    assert evidence_hook(config).save is None
    config.evidence_dir = str(tmp_path)
    hook = evidence_hook(config)
    payload = verdict('item-6')
    hook.attach(None, [(TOPIC_VERDICT, payload)], scene())
    assert payload['evidence']['width'] == 120
    assert (tmp_path / 'ev-item-6' / 'crop.jpg').read_bytes() == base64.b64decode(
        payload['evidence']['data'])


def test_an_empty_evidence_dir_takes_the_default_and_off_keeps_none(tmp_path):
    """'' = the default folder (ROS node: ~/.rvm_edge/evidence); 'off' keeps nothing on disk."""
    from rvm_detector.detector_config import DetectorConfig
    from rvm_detector.evidence import (
        EVIDENCE_DIR_OFF, ROS_EVIDENCE_DIR, with_default_evidence_dir)
    assert DetectorConfig().evidence_dir == ''
    assert with_default_evidence_dir(DetectorConfig(), ROS_EVIDENCE_DIR).evidence_dir == (
        '~/.rvm_edge/evidence')
    chosen = DetectorConfig(evidence_dir=str(tmp_path))
    assert with_default_evidence_dir(chosen, ROS_EVIDENCE_DIR) is chosen
    off = with_default_evidence_dir(DetectorConfig(evidence_dir=EVIDENCE_DIR_OFF), str(tmp_path))
    assert off.evidence_dir == 'off' and evidence_hook(off).save is None
    no_crops = DetectorConfig(evidence=False)
    assert with_default_evidence_dir(no_crops, str(tmp_path)).evidence_dir == ''


def store_one(store, item_id, seed=0):
    payload = verdict(item_id)
    EvidenceHook(save=store.save).attach(None, [(TOPIC_VERDICT, payload)], scene(seed))
    return payload


def test_store_keeps_frame_crop_and_verdict_and_finds_them_by_prefix(tmp_path):
    store = EvidenceStore(tmp_path / 'evidence', max_mb=10)
    payload = store_one(store, 'abcd1234-item')
    found = store.find('ev-abcd')
    assert found.event_id == 'ev-abcd1234-item'
    assert store.find('ABCD1234').event_id == found.event_id         # item id, any case
    frame = cv2.imread(str(found.frame))
    assert frame.shape == (480, 640, 3)
    assert found.crop.read_bytes() == base64.b64decode(payload['evidence']['data'])
    stored = json.loads((found.folder / 'verdict.json').read_text())
    assert stored['item_id'] == 'abcd1234-item' and 'data' not in stored['evidence']
    assert stored['evidence']['width'] == payload['evidence']['width']
    assert not [p for p in (tmp_path / 'evidence').iterdir() if p.name.startswith('.')]


def test_store_find_names_what_is_wrong(tmp_path):
    store = EvidenceStore(tmp_path, max_mb=10)
    store_one(store, 'same-1')
    store_one(store, 'same-2')
    with pytest.raises(KeyError, match='matches 2 verdicts'):
        store.find('ev-same')
    with pytest.raises(KeyError, match="no verdict 'nothing'"):
        store.find('nothing')
    with pytest.raises(KeyError, match='at least 4'):
        store.find('ev')
    with pytest.raises(ValueError, match='event_id'):
        store.save({'event_id': '../x'}, scene(), b'')


def test_store_is_bounded_by_size_oldest_first(tmp_path):
    store = EvidenceStore(tmp_path, max_mb=10)
    first = store_one(store, 'first', seed=1)
    one = store.total_bytes()
    store.max_bytes = int(one * 2.5)                      # room for two verdicts
    for i, name in enumerate(('second', 'third')):
        store_one(store, name, seed=2 + i)
        folder = tmp_path / f'ev-{name}'
        os.utime(folder, ns=(folder.stat().st_mtime_ns + i + 1,) * 2)
    store.prune()
    names = [e.event_id for e in store.entries()]
    assert names == ['ev-second', 'ev-third']
    assert store.total_bytes() <= store.max_bytes and store.removed == 1
    with pytest.raises(KeyError):
        store.find(first['event_id'])


def test_detector_core_verdicts_carry_a_valid_crop_and_the_store_keeps_them(
        loaded_segmenter, tmp_path):
    import dataclasses

    from event_checks import check_event

    from rvm_detector.detector_config import DetectorConfig
    from rvm_detector.detector_core import DetectorCore
    cfg = dataclasses.replace(
        DetectorConfig(), imgsz=160, conf=1e-6, max_det=1, stable_frames=2, agnostic_nms=False,
        leave_frames=2, min_confidence=1.0, evidence_dir=str(tmp_path), evidence_max_mb=5.0)
    core = DetectorCore(cfg, segmenter=loaded_segmenter)
    core.load()
    frame = scene()
    loaded_segmenter.conf, loaded_segmenter.max_det = 1.0, 1       # empty chamber: arm it
    try:
        for i in range(2):
            core.process(frame, i, float(i))
    finally:
        loaded_segmenter.conf = 1e-6
    events = []
    for i in range(2, 10):
        events += core.process(frame, 1_700_000_000_000_000_000 + i, float(i)).events
    events += core.shutdown()
    loaded_segmenter.max_det = 3
    verdicts = [p for t, p in events if t == TOPIC_VERDICT]
    assert verdicts, 'the random model made no verdict'
    for payload in verdicts:
        check_event(TOPIC_VERDICT, payload)                    # the schema knows the field
        assert decode(payload['evidence']).shape[:2] == (
            payload['evidence']['height'], payload['evidence']['width'])
        stored = EvidenceStore(tmp_path).find(payload['event_id'])
        assert stored.crop.read_bytes() == base64.b64decode(payload['evidence']['data'])


def test_rviz_message_is_the_crop_with_its_outline():
    from rvm_common.typestore import rosbags_factory
    payload = verdict('item-7')
    EvidenceHook().attach(None, [(TOPIC_VERDICT, payload)], scene())
    msg = evidence_message(rosbags_factory(), payload, 1_700_000_000_000_000_123, 'evidence')
    assert msg.format == 'bgr8; jpeg compressed bgr8' and msg.header.frame_id == 'evidence'
    assert msg.header.stamp.sec == 1_700_000_000 and msg.header.stamp.nanosec == 123
    image = cv2.imdecode(np.asarray(msg.data, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape[:2] == (payload['evidence']['height'], payload['evidence']['width'])
    x, y = payload['evidence']['polygon'][0]
    b, g, r = (int(v) for v in image[min(y, image.shape[0] - 1), min(x, image.shape[1] - 1)])
    assert g > 120 and r < 120                                   # accepted: a green outline
    assert evidence_message(rosbags_factory(), verdict('item-8'), 0) is None


def test_crop_limits_that_would_break_the_message_limit_are_refused():
    from rvm_common.params import ConfigError, config_from_mapping
    from rvm_detector.detector_config import DetectorConfig
    with pytest.raises(ConfigError, match='evidence_max_bytes'):
        config_from_mapping(DetectorConfig, {'evidence_max_bytes': 9000})
    with pytest.raises(ConfigError, match='evidence_max_px'):
        config_from_mapping(DetectorConfig, {'evidence_max_px': 8})
    assert config_from_mapping(DetectorConfig, {'evidence_max_bytes': 5000}).evidence_max_bytes \
        == 5000


def test_a_restarted_store_picks_up_its_folder_and_drops_half_written_ones(tmp_path):
    first = EvidenceStore(tmp_path, max_mb=10)
    store_one(first, 'old-1', seed=1)
    one = first.total_bytes()
    (tmp_path / '.crashed.123').mkdir()                       # a write cut short by a crash
    (tmp_path / '.crashed.123' / 'frame.jpg').write_bytes(b'x' * 10)
    again = EvidenceStore(tmp_path, max_mb=one * 1.5 / 1_000_000)
    store_one(again, 'new-2', seed=2)
    assert [e.event_id for e in again.entries()] == ['ev-new-2']   # the old one made room
    assert not (tmp_path / '.crashed.123').exists()
