"""Synthetic detection sequences for the item state machine tests (no model involved)."""
from __future__ import annotations

import numpy as np
from event_checks import check_event

from rvm_common.events import TOPIC_VERDICT
from rvm_detector.class_map import ClassMap
from rvm_detector.detection import Detection
from rvm_detector.item_session import ItemPolicy, ItemSession
from rvm_detector.item_verdict import VerdictPolicy
from rvm_detector.polygon import polygon_area

W, H = 640, 480
CLASS_IDS = {'pet_bottle': 0, 'aluminium_can': 1, 'glass_bottle': 2, 'other': 3}


def hand(x1, y1, x2, y2) -> Detection:
    """A detection of category ``hand`` (a model with a hand class; the bundled one has none)."""
    d = det(x1, y1, x2, y2, 'hand', 0.9)
    d.category = 'hand'
    return d


def det(x1, y1, x2, y2, class_name='pet_bottle', conf=0.9, with_polygon=True) -> Detection:
    # an octagon inside the box, so the polygon has real area and the mask is not the box
    cx, cy, rx, ry = (x1 + x2) / 2, (y1 + y2) / 2, (x2 - x1) / 2, (y2 - y1) / 2
    angles = np.linspace(0, 2 * np.pi, 8, endpoint=False)
    poly = np.stack([cx + rx * np.cos(angles), cy + ry * np.sin(angles)], 1).astype(np.float32)
    poly = poly if with_polygon else None
    return Detection(class_id=CLASS_IDS.get(class_name, 9), class_name=class_name, confidence=conf,
                     bbox=(float(x1), float(y1), float(x2), float(y2)), polygon=poly,
                     area_px=polygon_area(poly))


def item_frames(class_name='pet_bottle', conf=0.9, size=(120, 200), rest=8, with_polygon=True,
                extra=None) -> list[list[Detection]]:
    """Empty, entering from the left (moving), resting, leaving to the right, empty."""
    w, h = size
    y1 = (H - h) / 2
    frames: list[list[Detection]] = [[] for _ in range(3)]
    for x in (0, 60, 120, 180):                       # entering: moves 60 px a frame
        frames.append([det(x, y1, x + w, y1 + h, class_name, conf, with_polygon)])
    for _ in range(rest):                              # resting: still
        dets = [det(260, y1, 260 + w, y1 + h, class_name, conf, with_polygon)]
        if extra is not None:
            dets.append(extra())
        frames.append(dets)
    for x in (320, 380, 440, 500):                     # leaving
        frames.append([det(x, y1, x + w, y1 + h, class_name, conf, with_polygon)])
    frames += [[] for _ in range(5)]
    return frames


class Clock:
    def __init__(self):
        self.t = 1_800_000_000.0

    def __call__(self):
        return self.t


def new_session(**policy) -> ItemSession:
    return ItemSession(
        ClassMap.load(''), ItemPolicy(**dict(dict(stable_frames=4, leave_frames=3), **policy)),
        VerdictPolicy(), rvm_id='rvm-1', model_name='m.pt', wall_clock=Clock())


def presence(present=True, dark=False):
    """A scripted presence reading (no mask: every detection counts as supported)."""
    from rvm_detector.presence import PresenceReading
    return PresenceReading(present=present and not dark, dark=dark)


def run(frames, session=None, start=0.0, fps=10.0, times=None, readings=None, images=None):
    """Feed ``frames`` (lists of detections) at ``fps`` or at ``times``; schema-checked events.

    ``readings``: one presence reading per frame (None: detection-only, no calibration);
    ``images``: one BGR image per frame (None: signatures by class and area only).
    """
    session = session or new_session()
    events = []
    for i, dets in enumerate(frames):
        now = times[i] if times is not None else start + i / fps
        reading = readings[i] if readings is not None else None
        image = images[i] if images is not None else None
        view = session.track(dets, (W, H), image, reading)
        events += session.advance(view, now, int((1_800_000_000 + now) * 1e9),
                                  {'inference': 10.0, 'total': 12.0})
    for topic, payload in events:
        check_event(topic, payload)
    return session, events


def verdicts(events):
    """The verdict payloads among ``(topic, payload)`` events."""
    return [p for t, p in events if t == TOPIC_VERDICT]


def play(script, session=None, **policy):
    """Run a ``chamber_scripts`` script (frames, times) through a fresh session."""
    frames, times = script
    return run(frames, session=session or new_session(**policy), times=times)


def decisions(events):
    """``(category, accepted, reason)`` of each verdict, in order."""
    return [(v['category'], v['accepted'], v['reason']) for v in verdicts(events)]
