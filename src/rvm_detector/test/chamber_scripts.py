"""Scripted detection sequences for the chamber state machine (no model; 10 frames per second).

Each script returns ``(frames, times)`` for :func:`item_sequences.run`; boxes are 120 x 200 px
items in a 640 x 480 frame, entering on the left (the entry) and leaving on the right (the exit).
"""

from __future__ import annotations

from item_sequences import det, hand, new_session, presence, run

Y = 140


def box(x, class_name='pet_bottle', conf=0.9, y=Y, w=120, h=200):
    return det(x, y, x + w, y + h, class_name, conf)


def empty(n):
    return [[] for _ in range(n)]


def enter(class_name='pet_bottle', to=260, y=Y):
    """Moves in from the left edge, 60 px a frame (the track holds: IoU 0.33 > match_iou)."""
    return [[box(x, class_name, y=y)] for x in range(0, to, 60)]


def rest(n, x=260, class_name='pet_bottle', y=Y, extra=()):
    return [[box(x, class_name, y=y), *[e() for e in extra]] for _ in range(n)]


def leave_exit(x=260, y=Y):
    return [[box(x2, y=y)] for x2 in range(x + 60, 640, 60)] + empty(4)


def withdraw_entry(x=260, y=Y):
    return [[box(x2, y=y)] for x2 in range(x - 60, -60, -60)] + empty(4)


def timed(frames, fps=10.0, start=0.0):
    return frames, [start + i / fps for i in range(len(frames))]


def accepted_and_exit():
    return timed(empty(3) + enter() + rest(6) + leave_exit())


def rejected_other():
    return timed(empty(3) + enter('other') + rest(6, class_name='other') + leave_exit())


def blip():
    return timed(empty(3) + [[box(300)]] + empty(3))


def two_enter_together():
    other = lambda: det(40, 20, 140, 100, 'aluminium_can')   # noqa: E731
    return timed(
        empty(3)
        + [[box(x), other()] for x in range(0, 260, 60)]
        + rest(6, extra=(other,))
        + empty(4)
    )


def second_joins_judged():
    other = lambda: det(500, 20, 600, 100, 'glass_bottle')   # noqa: E731
    return timed(empty(3) + enter() + rest(6) + rest(5, extra=(other,)) + empty(4))


def withdrawn():
    return timed(empty(3) + enter() + rest(6) + withdraw_entry())


def never_settles(seconds=12.0):
    """Jiggles 30 px every frame (IoU below stable_iou) for ``seconds``."""
    n = int(seconds * 10)
    return timed(
        empty(3) + enter() + [[box(260 + (30 if i % 2 else 0))] for i in range(n)] + empty(4))


def leaves_before_verdict():
    return timed(empty(3) + [[box(x)] for x in range(0, 640, 60)] + empty(4))


def nudged_after_judgement():
    """Judged at 260, pushed 80 px (IoU 0.2 < match_iou: a new track), rests again, then exits."""
    return timed(empty(3) + enter() + rest(6) + rest(8, x=340) + leave_exit(340))


def hand_occludes_judged():
    """A hand covers the judged item for 2 frames (fewer than leave_frames), it is seen again."""
    covered = [[hand(200, 100, 420, 380)] for _ in range(2)]
    return timed(empty(3) + enter() + rest(6) + covered + rest(6) + leave_exit())


def hand_only():
    return timed(empty(3) + [[hand(x, 100, x + 200, 300)] for x in range(0, 400, 40)] + empty(4))


def hand_holds_item():
    """The item is still, but a hand holds it for 10 frames: no verdict until the hand is gone."""
    held = [[box(260), hand(140, 160, 300, 320)] for _ in range(10)]
    return timed(empty(3) + enter() + held + rest(6) + leave_exit())


def camera_gap_while_settling(gap_s=60.0):
    """Frames stop for ``gap_s`` while the item is still moving; then it rests and is judged."""
    before = empty(3) + enter() + [[box(260 + (30 if i % 2 else 0))] for i in range(5)]
    after = rest(6) + leave_exit()
    frames, times = timed(before)
    t0 = times[-1] + gap_s
    return frames + after, times + [t0 + i / 10.0 for i in range(len(after))]


# -- evidence scripts (issue 24): presence is given per frame (None = detection-only) -----------

def small(x, class_name='pet_bottle', y=Y):
    """A smaller item (60 x 100 px: a quarter of the area, so a different object)."""
    return det(x, y, x + 60, y + 100, class_name, 0.9)


def close_pair():
    """A leaves through the exit; one frame later B (same look) comes in through the entry."""
    return timed(empty(3) + enter() + rest(6) + leave_exit()[:-4] + empty(1) + enter() + rest(6)
                 + leave_exit())


def swap():
    """A is judged, pulled back out; one empty frame; a smaller B comes in, rests, exits."""
    b_in = [[small(x)] for x in range(0, 260, 60)]
    b_out = [[small(x)] for x in range(320, 700, 60)] + empty(4)
    return timed(empty(3) + enter() + rest(6) + withdraw_entry()[:-4] + empty(1) + b_in
                 + [[small(260)] for _ in range(6)] + b_out)


def enter_while_clearing():
    """A rejected item leaves through the exit; one frame later the next item enters."""
    return timed(empty(3) + enter('other') + rest(6, class_name='other')
                 + [[box(x, 'other')] for x in range(320, 700, 60)] + empty(1) + enter()
                 + rest(6) + leave_exit())


def beside_rejected():
    """A rejected item stays (top); a valid, smaller item comes in below it, rests; both exit."""
    a = lambda x=260: det(x, 20, x + 120, 140, 'other')   # noqa: E731
    b_in = [[a(), small(x, y=300)] for x in range(0, 260, 60)]
    both_out = [[a(x), small(x, y=300)] for x in range(320, 700, 60)] + empty(4)
    return timed(empty(3) + [[a(x)] for x in range(0, 260, 60)] + [[a()] for _ in range(6)]
                 + b_in + [[a(), small(260, y=300)] for _ in range(6)] + both_out)


def yank(rest_x=300):
    """Judged while resting in the middle, gone the next frame (nothing seen at the exit)."""
    return timed(empty(3) + enter(to=rest_x + 1) + rest(8, x=rest_x) + empty(5))


def push(from_x=280):
    """Judged at ``from_x``, pushed to the exit in two frames (one of them in the exit zone)."""
    return timed(empty(3) + enter(to=from_x + 1) + rest(8, x=from_x) + [[box(530)]] + empty(5))


def occluded(frames=8):
    """Judged; then nothing is detected for ``frames`` frames (a hand, lights, misses) while
    presence still sees something; then it is seen again and leaves through the exit."""
    return timed(empty(3) + enter() + rest(6) + empty(frames) + rest(4) + leave_exit())


def swap_on_the_same_track():
    """A is pulled back to the entry (not past the frame edge), two empty frames, then a smaller
    B shows up where A was last seen: the tracker hands A's track to B. B rests and exits."""
    b = lambda x: det(x, Y, x + 80, Y + 140)   # noqa: E731  (under half of A's area)
    a_out = [[box(x)] for x in (200, 140, 80, 20)]
    b_in = [[b(x)] for x in (20, 80, 140, 200, 260)]
    b_out = [[b(x)] for x in range(320, 700, 60)] + empty(4)
    return timed(empty(3) + enter() + rest(6) + a_out + empty(2) + b_in
                 + [[b(260)] for _ in range(6)] + b_out)


def judged_then_rests_as(class_name='other', frames=10, first=6):
    """Judged ``pet_bottle`` on its first ``first`` still frames; the rest of its rest the model
    says ``class_name`` (``frames`` frames); then it leaves by the exit."""
    return timed(empty(3) + enter() + rest(first) + rest(frames, class_name=class_name)
                 + leave_exit())


def split_by_a_hand(frames=6):
    """A hand across the judged item: the model sees two pieces of it inside its footprint."""
    pieces = [[det(260, Y, 380, Y + 80, conf=0.6), det(270, Y + 120, 370, Y + 200, conf=0.45)]
              for _ in range(frames)]
    return timed(empty(3) + enter() + rest(6) + pieces + rest(4) + leave_exit())


def occluded_at_the_entry(frames=8, x=100):
    """Judged lying with one end in the entry zone, covered (no detection) for ``frames`` frames
    so the tracker drops its track, found again where it lay, then it leaves by the exit."""
    return timed(empty(3) + enter(to=x + 1) + rest(6, x=x) + empty(frames) + rest(4, x=x)
                 + leave_exit(x))


def long_item_across_the_zones(x=180, w=440):
    """A long item that rests from inside the entry zone to past the start of the exit zone of a
    narrow chamber (:func:`narrow_zones`): seen in every frame on one track, then it leaves by
    the exit (hard single, seed 4 #2: a big glass bottle)."""
    long_box = lambda x1: det(x1, Y, min(x1 + w, 640), Y + 200, 'glass_bottle')   # noqa: E731
    return timed(empty(3) + [[long_box(x1)] for x1 in range(0, x, 60)]
                 + [[long_box(x)] for _ in range(8)]
                 + [[long_box(x1)] for x1 in range(x + 60, 640, 60)] + empty(4))


def narrow_zones():
    """A calibrated chamber opening from x 100 to 500 (entry 100-200 on the left, exit 400-500)."""
    import numpy as np
    from rvm_detector.session_records import ChamberZones

    def band(x1, x2):
        return np.array([[x1, 0], [x2, 0], [x2, 480], [x1, 480]], np.float32)
    return ChamberZones(band(100, 500), band(100, 200), band(400, 500), 'left')


def covered_at_the_entry(x=100, covered=4, pieces=3):
    """Judged resting with one end in the entry zone; a hand from the entry covers it (no
    detection for ``covered`` frames, then ``pieces`` frames of a small low-confidence piece at
    the entry), the hand goes and it leaves by the exit. Presence sees something all along
    (occluded_after_judge easy, seed 4 #2)."""
    piece = [[det(x, Y + 40, x + 60, Y + 120, conf=0.3)] for _ in range(pieces)]
    return timed(empty(3) + enter(to=x + 1) + rest(6, x=x) + empty(covered) + piece
                 + rest(4, x=x) + leave_exit(x))


def knocked_camera_during_a_phantom_episode():
    """A phantom on the moving background opens an episode while the camera is knocked; on the
    frame the reference is re-registered (``moved``) nothing is left: the episode is dismissed
    with one ``failed`` event; a real item after it gets its own episode and verdict."""
    from rvm_detector.presence import PresenceReading
    phantom = rest(6, x=300)
    frames = empty(3) + phantom[:3] + [[]] + empty(3) + enter() + rest(6)
    frames += leave_exit()
    readings = [presence(bool(f)) for f in frames]
    readings[6] = PresenceReading(present=False, moved=True)
    return run(frames, session=new_session(stable_frames=4), times=timed(frames)[1],
               readings=readings)
