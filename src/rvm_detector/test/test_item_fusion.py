"""Which detections are items on a calibrated chamber (scripted detections and presence readings):
foreground support, motion in a still scene, an item the model keeps following, and fixtures
(clutter the model sees on the armed chamber), so phantoms never open an episode and faint or
clear items still get their verdict."""

import chamber_scripts as cs
from item_sequences import decisions, new_session, run

from rvm_detector.chamber_state import Chamber


def test_clutter_the_model_sees_on_the_armed_chamber_is_never_a_second_object_or_presence():
    """A can-like clutter lies in the calibrated chamber: the model sees it every frame, first
    without presence (a phantom while armed), later presence sees it too (a flickering light):
    it is a fixture, neither a second object of the judged item nor a chamber that never
    empties (background_flicker easy, seed 3 #4: multiple_objects, then no verdict at all)."""
    import numpy as np

    from item_sequences import det

    from rvm_detector.presence import PresenceReading
    clutter = (500, 20, 600, 100)
    frames, times = cs.accepted_and_exit()
    frames = [f + [det(*clutter, 'aluminium_can', 0.93)] for f in frames]
    readings = []
    for i, dets in enumerate(frames):
        boxes = [d.bbox for d in dets[:-1]] + ([clutter] if i >= 10 else [])
        mask = np.zeros((480, 640), bool)
        for x1, y1, x2, y2 in boxes:
            mask[int(y1):int(y2), int(x1):int(x2)] = True
        bbox = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
                max(b[3] for b in boxes)) if boxes else None
        readings.append(PresenceReading(present=bool(boxes), bbox=bbox, mask=mask))
    session, events = run(frames, session=new_session(), times=times, readings=readings)
    assert decisions(events) == [('pet_bottle', True, None)]
    assert session.state is Chamber.EMPTY


def _masks(frames, share_of):
    """Presence readings whose mask covers ``share_of(i)`` of each detection box of frame i
    (present only from a 10 % share on, like a blob large enough to count)."""
    import numpy as np

    from item_sequences import H, W

    from rvm_detector.presence import PresenceReading
    readings = []
    for i, dets in enumerate(frames):
        mask, share = np.zeros((H, W), bool), share_of(i)
        for det in dets:
            x1, y1, x2, y2 = (int(v) for v in det.bbox)
            mask[y1:y1 + int((y2 - y1) * share), x1:x2] = True
        present = bool(dets) and share >= 0.1
        readings.append(PresenceReading(present=present, mask=mask,
                                        bbox=dets[0].bbox if present else None))
    return readings


def test_an_item_that_came_in_with_presence_stays_an_item_when_it_fades_into_the_floor():
    """A pale cup (or a clear bottle) shows 30 % foreground while it comes in, 4 % once it rests:
    the track that presence corroborated stays an item while the model follows it, so it gets
    its verdict (camera_gap seed 9 easy #3: no verdict; two_items seed 0 hard #2: the clear
    bottle beside a can was a phantom). A still detection that never had the full share is
    still a phantom."""
    frames, times = cs.accepted_and_exit()
    first = next(i for i, f in enumerate(frames) if f)
    fading = _masks(frames, lambda i: 0.3 if i < first + 2 else 0.04)
    _, events = run(frames, session=new_session(), times=times, readings=fading)
    assert decisions(events) == [('pet_bottle', True, None)]
    session, events = run(frames, session=new_session(), times=times,
                          readings=_masks(frames, lambda i: 0.04))
    assert events == [] and session.items_total == 0 and session.phantoms > 0


def test_an_item_put_exactly_where_clutter_lies_is_an_item_when_it_looks_different():
    """The model calls a grey mark on the floor a can while the chamber is armed (a fixture). A
    blue bottle then comes to rest exactly on it: at the fixture's box, but not with its look, so
    it is the item, judged and credited at the exit (not ignored as the clutter)."""
    import numpy as np

    from item_sequences import H, W

    from rvm_detector.presence import PresenceReading
    mark = cs.box(260, 'aluminium_can', 0.8)
    rest = cs.empty(3) + cs.enter() + cs.rest(6)
    frames, times = cs.timed(rest + cs.leave_exit())
    frames = [[mark] + f if i < 3 or not f else f for i, f in enumerate(frames)]
    images, readings = [], []
    for dets in frames:
        image, mask = np.full((H, W, 3), 128, np.uint8), np.zeros((H, W), bool)
        image[140:340, 260:380] = 100                              # the grey mark
        for d in dets:
            if d is not mark:
                x1, y1, x2, y2 = (int(v) for v in d.bbox)
                image[y1:y2, x1:x2], mask[y1:y2, x1:x2] = (200, 120, 30), True
        images.append(image)
        box = next((d.bbox for d in dets if d is not mark), None)
        readings.append(PresenceReading(present=box is not None, bbox=box, mask=mask))
    session, events = run(frames, session=new_session(), times=times, readings=readings,
                          images=images)
    assert session.fixtures.boxes == [mark.bbox]
    assert decisions(events) == [('pet_bottle', True, None)]


def test_a_clear_bottle_presence_never_sees_is_an_item_by_its_motion_as_it_comes_in():
    """A clear PET bottle differs from the floor nowhere (0 % foreground) but the image changes
    where it moves in: a detection whose box changed (>= 5 %) while the scene as a whole did not
    is an item, and it stays one at rest while the model follows it (camera_moved seed 10 hard
    #1: no verdict). The same motion over the whole frame (a light switched) proves nothing."""
    import numpy as np

    from item_sequences import H, W

    from rvm_detector.presence import PresenceReading
    frames, times = cs.accepted_and_exit()
    first = next(i for i, f in enumerate(frames) if f)

    def readings(scene_wide):
        out = []
        for i, dets in enumerate(frames):
            motion = np.zeros((H, W), bool)
            if scene_wide:
                motion[:] = i >= first
            for det in dets[:1] if first <= i < first + 3 else []:
                x1, y1, x2, y2 = (int(v) for v in det.bbox)
                motion[y1:y1 + (y2 - y1) // 5, x1:x2] = True        # 20 % of its box changed
            out.append(PresenceReading(present=False, mask=np.zeros((H, W), bool),
                                       motion=motion))
        return out
    _, events = run(frames, session=new_session(), times=times, readings=readings(False))
    assert decisions(events) == [('pet_bottle', True, None)]
    session, events = run(frames, session=new_session(), times=times, readings=readings(True))
    assert events == [] and session.items_total == 0 and session.phantoms > 0
