import uuid

import pytest
from event_checks import check_event
from item_sequences import H, W, det, item_frames, run

from rvm_common.events import TOPIC_PROCESSING, TOPIC_SESSION, TOPIC_VERDICT
from rvm_detector.chamber_state import Chamber
from rvm_detector.item_verdict import vote


def of(events, topic):
    return [p for t, p in events if t == topic]


def test_empty_frames_give_no_events():
    session, events = run([[] for _ in range(30)])
    assert events == []
    assert session.state is Chamber.EMPTY and session.session_id is None
    assert session.tick(1e6) == []


def test_one_item_one_verdict_with_processing_sequence():
    session, events = run(item_frames())
    verdicts = of(events, TOPIC_VERDICT)
    assert len(verdicts) == 1
    v = verdicts[0]
    assert (
        uuid.UUID(v['item_id'])
        and uuid.UUID(v['episode_id'])
        and v['session_id'] == session.session_id
    )
    assert v['objects'] == {'count': 1, 'categories': {'pet_bottle': 1}}
    assert (v['category'], v['class_name'], v['accepted'], v['reason']) == \
        ('pet_bottle', 'pet_bottle', True, None)
    assert v['confidence'] == pytest.approx(0.9)
    assert v['bbox'] == {'x1': 260.0, 'y1': 140.0, 'x2': 380.0, 'y2': 340.0}
    assert 3 <= len(v['mask']['polygon']) <= 64
    assert v['mask']['area_fraction'] == pytest.approx(v['mask']['area_px'] / (W * H), rel=1e-3)
    assert v['frame'] == {'width': W, 'height': H}
    assert v['model'] == 'm.pt' and v['rvm_id'] == 'rvm-1'
    assert v['timings_ms']['inference'] == 10.0
    statuses = [p['status'] for p in of(events, TOPIC_PROCESSING)]
    assert statuses == ['queued', 'processing', 'completed']
    assert {p['item_id'] for p in of(events, TOPIC_PROCESSING)} == {v['item_id']}
    assert session.state is Chamber.EMPTY  # the item left the chamber
    # the accept became final only when the item had left toward the exit (the last events)
    assert [t for t, _ in events[-2:]] == [TOPIC_VERDICT, TOPIC_PROCESSING]


def test_two_items_two_verdicts_and_session_summary_on_command():
    frames = item_frames('pet_bottle') + item_frames('aluminium_can', size=(80, 100))
    session, events = run(frames)
    verdicts = of(events, TOPIC_VERDICT)
    assert [v['category'] for v in verdicts] == ['pet_bottle', 'aluminium_can']
    assert verdicts[0]['item_id'] != verdicts[1]['item_id']
    assert verdicts[0]['session_id'] == verdicts[1]['session_id']
    (summary_event,) = session.end_session('command')
    topic, summary = summary_event
    assert topic == TOPIC_SESSION
    check_event(TOPIC_SESSION, summary)
    assert summary['counts'] == {'aluminium_can': 1, 'pet_bottle': 1}
    assert (summary['accepted'], summary['rejected'], summary['total'], summary['reason']) == \
        (2, 0, 2, 'command')
    assert session.session_id is None
    assert session.end_session('command') == []  # nothing left to close


def test_idle_timeout_ends_the_session_once():
    session, events = run(item_frames(), fps=10.0)
    last = session.last_activity
    assert session.tick(last + 29.9) == []
    (ev,) = session.tick(last + 30.0)
    assert ev[0] == TOPIC_SESSION and ev[1]['reason'] == 'idle_timeout' and ev[1]['total'] == 1
    assert session.tick(last + 60.0) == []


@pytest.mark.parametrize('kwargs, reason', [
    (dict(conf=0.3), 'low_confidence'),
    (dict(class_name='other'), 'category_not_accepted'),
    (dict(size=(8, 10)), 'size_out_of_range'),
    (dict(size=(620, 470)), 'size_out_of_range'),
    (dict(with_polygon=False), 'no_mask'),
    (dict(extra=lambda: det(20, 20, 120, 120, 'aluminium_can', 0.8)), 'multiple_objects'),
])
def test_reject_reasons(kwargs, reason):
    session, events = run(item_frames(**kwargs))
    (v,) = of(events, TOPIC_VERDICT)
    assert (v['accepted'], v['reason']) == (False, reason)
    assert of(events, TOPIC_PROCESSING)[-1]['detail'] == f'rejected: {reason}'


def test_a_fragment_inside_the_item_box_is_not_a_second_object():
    session, events = run(item_frames(extra=lambda: det(280, 160, 340, 250, 'other', 0.8)))
    (v,) = of(events, TOPIC_VERDICT)
    assert (v['accepted'], v['reason']) == (True, None)


def test_item_that_leaves_before_being_still_fails():
    frames = [[]] * 3 + [[det(x, 100, x + 100, 300)] for x in (0, 80, 160, 240)] + [[]] * 4
    session, events = run(frames)
    assert of(events, TOPIC_VERDICT) == []
    statuses = [(p['status'], p['detail']) for p in of(events, TOPIC_PROCESSING)]
    assert statuses == [('queued', 'object entered the chamber'),
                        ('failed', 'left the chamber before a stable view')]


def test_end_session_while_settling_rejects_the_item_once_and_the_next_session_never_sees_it():
    moving = [[det(100 + 40 * i, 100, 200 + 40 * i, 200)] for i in range(4)]
    session, events = run([[]] * 3 + moving)
    assert session.state is Chamber.SETTLING
    out = session.end_session('command')
    assert [(t, p.get('status')) for t, p in out] == [
        (TOPIC_VERDICT, None), (TOPIC_PROCESSING, 'completed'), (TOPIC_SESSION, None)]
    assert (out[0][1]['accepted'], out[0][1]['reason']) == (False, 'not_settled')
    assert out[2][1]['total'] == 1 and session.state is Chamber.BLOCKED
    # the same item now rests: the next session does not judge it again
    _, later = run([[det(260, 100, 360, 200)]] * 20, session=session, start=10.0)
    assert later == [] and session.session_id is None


def test_class_flicker_lowers_the_aggregated_confidence():
    window = [det(0, 0, 10, 10, 'pet_bottle', 0.9)] * 3 + [det(0, 0, 10, 10, 'glass_bottle', 0.8)]
    name, class_id, conf = vote(window)
    assert (name, class_id) == ('pet_bottle', 0)
    assert conf == pytest.approx(0.9 * 3 / 4)


def test_an_object_replacing_the_judged_one_without_an_empty_chamber_is_the_same_episode():
    # no empty frame between the two: the chamber never emptied, so it is one episode, one verdict
    a = [[det(360, 140, 480, 340)] for _ in range(6)]
    b = [[det(500, 20, 580, 100, 'aluminium_can')] for _ in range(8)]
    session, events = run([[]] * 3 + a + b + [[]] * 3)
    assert [v['category'] for v in of(events, TOPIC_VERDICT)] == ['pet_bottle']
