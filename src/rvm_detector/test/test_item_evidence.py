"""Credit only on evidence, on scripted detections: exit evidence, identity, residents, a knocked
camera, the rest re-vote (one verdict per item, never a credit for an item that did not leave)."""

import chamber_scripts as cs
import pytest
from item_sequences import decisions, new_session, play, presence, run, verdicts

from rvm_common.events import TOPIC_PROCESSING
from rvm_detector.chamber_state import Action, Chamber


def test_items_in_quick_succession_get_one_verdict_each():
    session, events = play(cs.close_pair())
    assert decisions(events) == [('pet_bottle', True, None)] * 2
    assert (Chamber.JUDGED, Chamber.SETTLING, Action.ACCEPT_AND_OPEN) in session.transitions
    assert len({v['episode_id'] for v in verdicts(events)}) == 2


def test_a_swapped_item_is_withdrawn_and_the_newcomer_gets_its_own_verdict():
    session, events = play(cs.swap())
    assert [(v['accepted'], v['reason'], v['mask']['area_px'] > 10000)
            for v in verdicts(events)] == [(False, 'withdrawn', True), (True, None, False)]
    assert (Chamber.JUDGED, Chamber.SETTLING, Action.WITHDRAW_AND_OPEN) in session.transitions


def test_a_newcomer_on_the_judged_items_track_never_credits_the_withdrawn_item():
    session, events = play(cs.swap_on_the_same_track())
    assert [(v['accepted'], v['reason'], v['mask']['area_px'] > 10000)
            for v in verdicts(events)] == [(False, 'withdrawn', True), (True, None, False)]


def test_an_item_entering_while_clearing_gets_its_own_episode():
    session, events = play(cs.enter_while_clearing())
    assert decisions(events) == [('other', False, 'category_not_accepted'),
                                 ('pet_bottle', True, None)]
    assert (Chamber.CLEARING, Chamber.SETTLING, Action.OPEN) in session.transitions


def test_a_valid_item_beside_a_rejected_one_gets_its_event():
    session, events = play(cs.beside_rejected())
    assert decisions(events) == [('other', False, 'category_not_accepted'),
                                 ('pet_bottle', True, None)]


@pytest.mark.parametrize('rest_x', [270, 300, 330])   # centres at 0.52 .. 0.61 of the width
def test_a_fast_yank_from_the_middle_is_never_credited(rest_x):
    _, events = play(cs.yank(rest_x))
    assert decisions(events) == [('pet_bottle', False, 'withdrawn')]


def test_a_fast_yank_from_a_rest_in_the_exit_zone_is_never_credited():
    """Judged lying in the exit zone (centre at x 480), gone the next frame: it never moved."""
    _, events = play(cs.yank(420))
    assert decisions(events) == [('pet_bottle', False, 'withdrawn')]


def test_a_rejected_item_nudged_into_the_entry_zone_is_no_newcomer():
    """Rejected at x 200; a nudge puts it at x 120 (a new track, in the entry zone)."""
    nudged = [[cs.box(120, 'other')] for _ in range(6)]
    _, events = play(cs.timed(cs.empty(3) + cs.enter('other', to=201)
                              + cs.rest(8, x=200, class_name='other') + nudged
                              + cs.leave_exit(120)))
    assert decisions(events) == [('other', False, 'category_not_accepted')]


def test_a_fast_push_into_the_exit_zone_is_credited():
    _, events = play(cs.push(280))
    assert decisions(events) == [('pet_bottle', True, None)]


def test_confirm_frames_one_opens_on_the_first_frame():
    session, events = play(cs.timed(cs.empty(3) + cs.rest(1) + cs.rest(6)), confirm_frames=1)
    assert session.transitions[1] == (Chamber.EMPTY, Chamber.SETTLING, Action.OPEN)
    assert [p['status'] for t, p in events if t == TOPIC_PROCESSING][0] == 'queued'


def test_with_presence_an_occluded_judged_item_keeps_its_episode():
    """Lost by the detector for 8 frames (> leave_frames) but present: one verdict, at the exit."""
    frames, times = cs.occluded(8)
    readings = [presence(bool(f) or 13 <= i < 21) for i, f in enumerate(frames)]
    session, events = run(frames, session=new_session(), times=times, readings=readings)
    assert decisions(events) == [('pet_bottle', True, None)]
    _, fallback = play(cs.occluded(8))     # detection-only: the old two verdicts, documented
    assert len(verdicts(fallback)) == 2


def test_a_hand_splitting_a_judged_item_into_pieces_is_no_second_object():
    """A hand the model cannot see splits the judged item into 3 still pieces for 10 frames."""
    pieces = [[cs.det(300, 140, 380, 340, conf=0.55), cs.det(260, 140, 380, 200, conf=0.48),
               cs.det(260, 280, 290, 340, conf=0.45)] for _ in range(10)]
    _, events = play(cs.timed(cs.empty(3) + cs.enter() + cs.rest(6) + pieces + cs.rest(4)
                              + cs.leave_exit()))
    assert decisions(events) == [('pet_bottle', True, None)]


def test_dark_frames_change_nothing():
    frames, times = cs.occluded(8)
    readings = [presence(True, dark=13 <= i < 21) for i in range(len(frames))]
    readings = [r if frames[i] or r.dark else presence(False) for i, r in enumerate(readings)]
    _, events = run(frames, session=new_session(), times=times, readings=readings)
    assert decisions(events) == [('pet_bottle', True, None)]


def test_phantom_detections_without_presence_never_open_an_episode():
    import numpy as np

    from rvm_detector.presence import PresenceReading
    frames, times = cs.accepted_and_exit()
    nothing = PresenceReading(present=False, mask=np.zeros((120, 160), bool), scale=0.25)
    session, events = run(frames, session=new_session(), times=times,
                          readings=[nothing] * len(frames))
    assert events == [] and session.items_total == 0 and session.phantoms > 0


def test_sparse_false_detections_do_not_stop_the_idle_timeout():
    """Detection-only: a one-frame detection every 2 s never counts as activity."""
    session = new_session(idle_timeout_s=5.0)
    run(cs.empty(3) + cs.enter('other') + cs.rest(6, class_name='other') + cs.leave_exit(),
        session=session)
    start = session.last_activity
    frames = [[cs.box(300)] if i % 20 == 0 else [] for i in range(100)]
    run(frames, session=session, start=10.0)
    assert session.last_activity == start
    (topic, summary), = session.tick(20.0)
    assert summary['reason'] == 'idle_timeout'


def test_a_failed_episode_is_also_published_durable():
    from rvm_common.events import TOPIC_ITEM_FAILED
    _, events = play(cs.leaves_before_verdict())
    failed = [p for t, p in events if t == TOPIC_ITEM_FAILED]
    assert [p['status'] for p in failed] == ['failed']
    assert failed[0] in [p for t, p in events if t == TOPIC_PROCESSING]


def test_an_accept_whose_whole_rest_votes_a_rejected_class_is_rejected_once_at_once():
    """The accept waits for the exit, and the vote keeps counting the still item: once most of
    its rest says ``other``, the episode is rejected (one verdict, never credited)."""
    session, events = play(cs.judged_then_rests_as('other'))
    assert decisions(events) == [('other', False, 'category_not_accepted')]
    assert (Chamber.JUDGED, Chamber.CLEARING, Action.JUDGE) in session.transitions
    statuses = [p['status'] for t, p in events if t == TOPIC_PROCESSING]
    assert statuses == ['queued', 'processing', 'completed']
    assert session.state is Chamber.EMPTY


@pytest.mark.parametrize('script, category', [
    (cs.judged_then_rests_as('other', frames=3), 'pet_bottle'),      # a minority of its rest
    (cs.judged_then_rests_as('glass_bottle'), 'pet_bottle'),         # another accepted class
])
def test_a_rest_vote_never_rejects_on_a_minority_or_an_accepted_class(script, category):
    session, events = play(script)
    assert decisions(events) == [(category, True, None)]
    assert (Chamber.JUDGED, Chamber.CLEARING, Action.JUDGE) not in session.transitions


def test_a_knocked_camera_dismisses_the_phantom_episode_and_the_item_gets_its_own():
    session, events = cs.knocked_camera_during_a_phantom_episode()
    assert (Chamber.SETTLING, Chamber.EMPTY, Action.DISMISS) in session.transitions
    failed = [p for t, p in events if t == TOPIC_PROCESSING and p['status'] == 'failed']
    assert [p['detail'] for p in failed] == [
        'the camera moved: the episode was the moved background']
    assert decisions(events) == [('pet_bottle', True, None)]
    assert failed[0]['item_id'] != verdicts(events)[0]['item_id']


def test_a_knocked_camera_keeps_an_episode_whose_item_is_still_there():
    from rvm_detector.presence import PresenceReading
    frames, times = cs.accepted_and_exit()
    readings = [presence(bool(f)) for f in frames]
    readings[8] = PresenceReading(present=True, moved=True)       # settling, item present
    session, events = run(frames, session=new_session(), times=times, readings=readings)
    assert decisions(events) == [('pet_bottle', True, None)]
    assert all(a is not Action.DISMISS for _, _, a in session.transitions)


def test_a_judged_item_split_in_two_by_a_hand_is_one_object_and_is_credited_at_the_exit():
    session, events = play(cs.split_by_a_hand())
    assert decisions(events) == [('pet_bottle', True, None)]
    assert all(a is not Action.REJECT_MULTIPLE for _, _, a in session.transitions)
    _, joined = play(cs.second_joins_judged())      # a real second object still counts
    assert decisions(joined) == [('pet_bottle', False, 'multiple_objects')]


def test_a_judged_item_found_again_where_it_lay_is_the_judged_item_even_at_the_entry():
    """Covered long enough for the tracker to drop it, the item is found again on a new track
    whose first box reaches into the entry zone: it is the judged item (it began where that
    item lay), not a deposit that came in after the verdict; credited once, at the exit."""
    frames, times = cs.occluded_at_the_entry()
    first, last = 3, max(i for i, f in enumerate(frames) if f)
    readings = [presence(first <= i <= last) for i in range(len(frames))]
    session, events = run(frames, session=new_session(), times=times, readings=readings)
    assert decisions(events) == [('pet_bottle', True, None)]


def test_a_newcomer_from_the_entry_counts_while_a_resident_leaves_looking_different():
    """enter_while_clearing: the rejected item hurries to the exit on new tracks and, cut by the
    frame edge, no longer looks like itself (foreign); the valid item that begins at the entry
    right then is still a newcomer from the entry, not part of that run."""
    import numpy as np

    from rvm_detector.appearance import Signature
    from rvm_detector.exit_evidence import Sighting, Whereabouts
    square = np.array([[0, 0], [160, 0], [160, 480], [0, 480]], np.float32)
    exit_ = np.array([[480, 0], [640, 0], [640, 480], [480, 480]], np.float32)
    where = Whereabouts(square, exit_, 'right', frame_size=(640, 480))
    hist = np.full((12, 8), 1.0 / 96, np.float32)
    rejected = Sighting(1, (260, 140, 380, 340), Signature('other', 24000.0, hist))
    where.decide(None, [rejected], next_track=2)
    other_look = np.zeros((12, 8), np.float32)
    other_look[0, 0] = 1.0
    leaving = Sighting(3, (560, 140, 640, 340), Signature('aluminium_can', 9000.0, other_look),
                       clipped=True, first_box=(560, 140, 640, 340))
    where.observe([leaving], None)
    assert where.foreign_frames == 1 and not where.foreign_from_entry
    newcomer_box = (0, 140, 120, 340)
    where.observe([Sighting(4, newcomer_box, Signature('pet_bottle', 24000.0, hist),
                            first_box=newcomer_box)], None)
    where.observe([Sighting(4, newcomer_box, Signature('pet_bottle', 24000.0, hist),
                            first_box=newcomer_box, previous_box=newcomer_box)], None)
    assert where.foreign_from_entry and where.newcomer(confirm_frames=2)


def test_a_long_judged_item_reaching_from_the_entry_into_the_exit_zone_is_credited_once():
    """Resting across both zones, the judged item is last seen 'in the exit zone' while its box
    touches the entry zone: the same track, seen in every frame, is still the judged item (it
    did not reappear at the entry), never a newcomer that credits it and opens a new episode."""
    session = new_session()
    session.zones = cs.narrow_zones()
    session, events = play(cs.long_item_across_the_zones(), session=session)
    assert decisions(events) == [('glass_bottle', True, None)]
    assert all(a is not Action.ACCEPT_AND_OPEN for _, _, a in session.transitions)


def test_a_judged_item_covered_at_the_entry_while_presence_sees_it_is_never_withdrawn():
    """No detection under the hand is no empty chamber while presence still sees a blob there:
    the pieces the model makes of item and hand at the entry are no newcomer, so the judged item
    is neither withdrawn nor given a second episode; it is credited once, at the exit."""
    from rvm_detector.presence import PresenceReading
    frames, times = cs.covered_at_the_entry()
    first, last = 3, max(i for i, f in enumerate(frames) if f)
    readings = [PresenceReading(present=True, bbox=(20.0, 120.0, 240.0, 360.0))
                if first <= i <= last else presence(False) for i in range(len(frames))]
    session, events = run(frames, session=new_session(), times=times, readings=readings)
    assert decisions(events) == [('pet_bottle', True, None)]


def _painted(frames, colour_of):
    """Grey images with each detection box filled in ``colour_of(i)`` (BGR) for frame i."""
    import numpy as np

    from item_sequences import H, W
    images = []
    for i, dets in enumerate(frames):
        image = np.full((H, W, 3), 128, np.uint8)
        for det in dets:
            x1, y1, x2, y2 = (int(v) for v in det.bbox)
            image[y1:y2, x1:x2] = colour_of(i)
        images.append(image)
    return images


def test_a_judged_item_that_looks_different_while_it_leaves_fast_is_credited_at_the_exit():
    """The accepted can looks different once it moves through the chamber's light toward the exit
    (lighting_change seed 8 hard #4: withdrawn): each box stepping on from its last sighting
    toward the exit is that item, so it is credited once. The same look change on a box that
    steps back toward the entry is no credit."""
    rest = cs.empty(3) + cs.enter() + cs.rest(6)
    # 80 px a frame: the tracker starts a new track at every step, as it did in that scene
    frames, times = cs.timed(rest + [[cs.box(x)] for x in (340, 420, 500, 580)] + cs.empty(5))
    red, blue = (30, 40, 200), (200, 120, 30)
    images = _painted(frames, lambda i: blue if i >= len(rest) else red)
    _, events = run(frames, session=new_session(), times=times, images=images)
    assert decisions(events) == [('pet_bottle', True, None)]
    frames, times = cs.withdrawn()
    back = next(i for i, f in enumerate(frames) if i > 4 and f and f[0].bbox[0] < 260)
    _, events = run(frames, session=new_session(), times=times,
                    images=_painted(frames, lambda i: blue if i >= back else red))
    assert [accepted for _, accepted, _ in decisions(events)] == [False]
