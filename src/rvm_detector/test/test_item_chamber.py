"""The chamber state machine on scripted detections: every rule of one verdict per episode."""

import chamber_scripts as cs
import pytest
from item_sequences import decisions, new_session, play, run, verdicts

from rvm_common.events import TOPIC_PROCESSING, TOPIC_SESSION, TOPIC_VERDICT
from rvm_detector import item_session
from rvm_detector.chamber_state import SESSION_END, TRANSITIONS, Action, Chamber


def test_accept_is_final_only_after_the_item_left_toward_the_exit():
    session, events = play(cs.accepted_and_exit())
    (v,) = verdicts(events)
    assert (v['accepted'], v['objects']) == (True, {'count': 1, 'categories': {'pet_bottle': 1}})
    statuses = [p['status'] for t, p in events if t == TOPIC_PROCESSING]
    assert statuses == ['queued', 'processing', 'completed']
    assert events[-2][0] == TOPIC_VERDICT   # published on the frame the chamber became empty
    assert session.state is Chamber.EMPTY


def test_a_blip_is_not_an_item():
    session, events = play(cs.blip())
    assert events == [] and session.items_total == 0


def test_a_rejection_is_final_at_once_and_the_chamber_must_clear():
    session, events = play(cs.rejected_other())
    assert decisions(events) == [('other', False, 'category_not_accepted')]
    assert (Chamber.CLEARING, Chamber.EMPTY, Action.CLOSE) in session.transitions


def test_two_objects_entering_together_get_one_multiple_objects_rejection_counting_both():
    session, events = play(cs.two_enter_together())
    (v,) = verdicts(events)
    assert (v['accepted'], v['reason']) == (False, 'multiple_objects')
    assert v['objects'] == {'count': 2, 'categories': {'aluminium_can': 1, 'pet_bottle': 1}}
    assert session.state is Chamber.EMPTY and session.items_total == 1


def test_a_second_object_joining_a_judged_item_makes_the_episode_one_multiple_objects_rejection():
    session, events = play(cs.second_joins_judged())
    (v,) = verdicts(events)
    assert (v['accepted'], v['reason']) == (False, 'multiple_objects')
    assert v['objects'] == {'count': 2, 'categories': {'glass_bottle': 1, 'pet_bottle': 1}}


def test_an_item_pulled_back_through_the_entry_is_rejected_withdrawn_never_credited():
    session, events = play(cs.withdrawn())
    assert decisions(events) == [('pet_bottle', False, 'withdrawn')]
    assert [p['status'] for t, p in events if t == TOPIC_PROCESSING] == [
        'queued', 'processing', 'completed']


def test_entry_side_is_configurable():
    # with the entry on the right, leaving to the right is a withdrawal
    session, events = play(cs.accepted_and_exit(), entry_side='right')
    assert decisions(events) == [('pet_bottle', False, 'withdrawn')]


def test_an_item_that_never_settles_is_rejected_once_not_settled():
    session, events = play(cs.never_settles(12.0), settle_timeout_s=10.0)
    (v,) = verdicts(events)
    assert (v['accepted'], v['reason']) == (False, 'not_settled')
    assert session.state is Chamber.EMPTY


def test_an_item_that_leaves_before_a_verdict_fails_without_a_verdict():
    session, events = play(cs.leaves_before_verdict())
    assert verdicts(events) == []
    assert [p['status'] for t, p in events if t == TOPIC_PROCESSING] == ['queued', 'failed']
    assert session.items_failed == 1


@pytest.mark.parametrize('script', [cs.nudged_after_judgement, cs.hand_occludes_judged])
def test_a_judged_item_nudged_or_occluded_never_gets_a_second_verdict(script):
    session, events = play(script())
    assert decisions(events) == [('pet_bottle', True, None)]
    assert session.items_total == 1


def test_a_hand_alone_is_never_an_item():
    session, events = play(cs.hand_only())
    assert events == [] and session.state is Chamber.EMPTY


def test_a_hand_holding_the_item_delays_settling():
    frames, times = cs.hand_holds_item()
    session = new_session()
    _, events = run(frames[:3 + 5 + 10], session=session, times=times[:18])
    assert session.state is Chamber.SETTLING and verdicts(events) == []   # held: not judged
    _, events = run(frames[18:], session=session, times=times[18:])
    assert decisions(events) == [('pet_bottle', True, None)]


def test_a_camera_gap_freezes_the_settle_clock_and_tick():
    frames, times = cs.camera_gap_while_settling(60.0)
    session = new_session(settle_timeout_s=3.0, idle_timeout_s=5.0)
    cut = 3 + 5 + 5
    run(frames[:cut], session=session, times=times[:cut])
    assert session.state is Chamber.SETTLING
    assert session.tick(times[cut - 1] + 30.0) == []   # no frames for 30 s: the session stays open
    _, events = run(frames[cut:], session=session, times=times[cut:])
    # not not_settled: the gap did not count
    assert decisions(events) == [('pet_bottle', True, None)]


def test_judge_failure_is_reported_and_the_episode_has_no_verdict(monkeypatch):
    def broken(*_args, **_kw):
        raise ValueError('bad polygon')
    monkeypatch.setattr(item_session, 'judge', broken)
    session, events = play(cs.accepted_and_exit())
    assert verdicts(events) == []
    assert [(p['status'], p['detail']) for t, p in events if t == TOPIC_PROCESSING][-1] == \
        ('failed', 'verdict failed: bad polygon')
    assert (Chamber.SETTLING, Chamber.CLEARING, Action.FAIL) in session.transitions


@pytest.mark.parametrize('cut, state, reason', [
    (3 + 1, Chamber.ENTERING, None),
    (3 + 5, Chamber.SETTLING, 'not_settled'),
    (3 + 5 + 6, Chamber.JUDGED, 'not_cleared'),
])
def test_session_end_with_an_item_present_judges_it_once_and_the_next_session_never_sees_it(
    cut, state, reason
):
    frames, times = cs.accepted_and_exit()
    session = new_session()
    run(frames[:cut], session=session, times=times[:cut])
    assert session.state is state
    out = session.end_session('shutdown')
    got = [(p['accepted'], p['reason']) for p in verdicts(out)]
    assert got == ([(False, reason)] if reason else [])
    summaries = [p for t, p in out if t == TOPIC_SESSION]
    assert [s['reason'] for s in summaries] == (['shutdown'] if reason else [])
    assert session.state is Chamber.BLOCKED
    # the same item rests on, then leaves: nothing more
    _, later = run(cs.rest(10) + cs.leave_exit(), session=session, start=100.0)
    assert later == [] and session.state is Chamber.EMPTY


def test_session_end_in_clearing_and_empty_states():
    session, events = play(
        cs.timed(cs.empty(3) + cs.enter('other') + cs.rest(6, class_name='other')))
    assert session.state is Chamber.CLEARING
    out = session.end_session('command')
    assert [t for t, _ in out] == [TOPIC_SESSION] and session.state is Chamber.BLOCKED
    session, _ = play(cs.timed(cs.empty(3)))
    assert session.end_session('command') == [] and session.state is Chamber.EMPTY
    fresh = new_session()
    assert fresh.end_session('command') == [] and fresh.state is Chamber.BLOCKED


def test_idle_end_waits_while_an_accept_is_pending_and_not_while_clearing():
    session, events = play(cs.timed(cs.empty(3) + cs.enter() + cs.rest(6)), idle_timeout_s=5.0)
    assert session.state is Chamber.JUDGED and session.tick(1000.0) == []
    session, events = play(
        cs.timed(cs.empty(3) + cs.enter('other') + cs.rest(30, class_name='other')),
        idle_timeout_s=2.0)
    assert session.state is Chamber.CLEARING   # the rejected item still lies there
    (topic, summary), = session.tick(session.last_activity + 2.0)
    assert (
        topic == TOPIC_SESSION and summary['reason'] == 'idle_timeout' and summary['rejected'] == 1
    )


#: script -> the number of verdicts it must give (exactly: zero where nothing may be credited)
ALL_SCRIPTS = {
    cs.accepted_and_exit: 1, cs.rejected_other: 1, cs.blip: 0, cs.two_enter_together: 1,
    cs.second_joins_judged: 1, cs.withdrawn: 1, cs.never_settles: 1, cs.leaves_before_verdict: 0,
    cs.nudged_after_judgement: 1, cs.hand_occludes_judged: 1, cs.hand_only: 0,
    cs.hand_holds_item: 1, cs.camera_gap_while_settling: 1, cs.close_pair: 2, cs.swap: 2,
    cs.enter_while_clearing: 2, cs.beside_rejected: 2, cs.yank: 1, cs.push: 1,
    cs.swap_on_the_same_track: 2, cs.judged_then_rests_as: 1, cs.split_by_a_hand: 1}


def test_the_scripts_cover_every_edge_of_the_transition_table(monkeypatch):
    fired = set()
    for script, count in ALL_SCRIPTS.items():
        session, events = play(script())
        fired |= set(session.transitions)
        assert len(verdicts(events)) == count, script.__name__   # one verdict per episode
        ids = [v['episode_id'] for v in verdicts(events)]
        assert len(ids) == len(set(ids))
    fired |= set(play(cs.accepted_and_exit(), confirm_frames=1)[0].transitions)
    for state in Chamber:   # session ends from every state
        for script in (cs.accepted_and_exit, cs.rejected_other):
            session = new_session()
            frames, times = script()
            for cut in range(len(frames)):
                if session.state is state:
                    break
                run(frames[cut:cut + 1], session=session, times=times[cut:cut + 1])
            if session.state is state:
                session.end_session('command')
                fired |= set(session.transitions)
    fired |= set(cs.knocked_camera_during_a_phantom_episode()[0].transitions)
    monkeypatch.setattr(
        item_session, 'judge', lambda *a, **k: (_ for _ in ()).throw(ValueError('x')))
    fired |= set(play(cs.accepted_and_exit())[0].transitions)
    table = {(e.source, e.target, e.action) for e in TRANSITIONS}
    assert table - fired == set()
    ends = {(s, t, a) for s, (t, a) in SESSION_END.items()}
    assert ends - fired == set()


def test_a_model_hand_class_mapped_to_the_hand_category_is_never_an_item():
    from item_sequences import det

    from rvm_detector.chamber_view import split_hands
    from rvm_detector.class_map import ClassMap
    cmap = ClassMap.from_mapping(
        {
            'classes': {'person_hand': 'hand', 'pet_bottle': 'pet_bottle'},
            'categories': {'hand': {'accepted': False}, 'pet_bottle': {'accepted': True}}}
    )
    hand_det, bottle = det(0, 0, 50, 50, 'person_hand'), det(100, 100, 200, 200)
    for d in (hand_det, bottle):
        d.category = cmap.category_of(d.class_name)    # what DetectorCore.process does
    assert split_hands([hand_det, bottle]) == ([bottle], [hand_det])


@pytest.mark.parametrize('side, box, entry, exit_', [
    ('left', (10, 100, 110, 200), True, False), ('left', (300, 100, 400, 200), False, False),
    ('left', (540, 100, 640, 200), False, True), ('left', (600, 100, 700, 200), False, True),
    ('right', (540, 100, 640, 200), True, False), ('right', (10, 100, 110, 200), False, True),
    ('top', (300, 10, 400, 100), True, False), ('bottom', (300, 10, 400, 100), False, True),
    ('bottom', (300, 400, 400, 470), True, False),
])
def test_entry_and_exit_zones_are_the_outer_quarters_next_to_each_edge(side, box, entry, exit_):
    """Without a calibration the zones are the frame's outer quarters; beyond the exit counts."""
    import numpy as np

    from rvm_detector.calibration import zones
    from rvm_detector.exit_evidence import OPPOSITE, box_touches, in_exit_zone
    frame = np.array([[0, 0], [640, 0], [640, 480], [0, 480]], np.float32)
    entry_zone, exit_zone = zones(frame, side)
    assert box_touches(box, entry_zone) is entry
    assert in_exit_zone(box, exit_zone, OPPOSITE[side]) is exit_


# -- credit only on evidence (issue 24) ---------------------------------------------------------
