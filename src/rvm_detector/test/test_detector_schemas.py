"""Every JSON output of the detector matches the event contract (rvm_common.contract), and the
contract rejects broken verdicts."""
import json

import chamber_scripts as cs
import pytest
from event_checks import check_event
from item_sequences import det, item_frames, new_session, run

from rvm_common import contract
from rvm_common.events import TOPIC_PROCESSING, TOPIC_SESSION, TOPIC_VERDICT, dumps


def all_event_kinds():
    """Events of every kind: accepted, each reject reason, failed item, both session reasons."""
    frames = (
        item_frames()
        + item_frames(conf=0.3)
        + item_frames('other')
        + item_frames(size=(8, 10))
        + item_frames(with_polygon=False)
        + item_frames(extra=lambda: det(20, 20, 120, 120, 'aluminium_can', 0.8))
        + [[det(x, 100, x + 100, 300)] for x in (0, 80, 160)]
        + [[]] * 4
    )
    session, events = run(frames)
    events += session.end_session('command')
    session2, more = run(item_frames())
    more += session2.tick(session2.last_activity + 1e3)
    for script in (cs.withdrawn, cs.never_settles):
        frames, times = script()
        more += run(frames, times=times)[1]
    # judged, still in the chamber
    frames, times = cs.timed(cs.empty(3) + cs.enter() + cs.rest(6))
    session3, judged = run(frames, session=new_session(), times=times)
    return events + more + judged + session3.end_session('shutdown')


def test_every_event_kind_matches_the_contract():
    events = all_event_kinds()
    reasons = {p['reason'] for t, p in events if t == TOPIC_VERDICT}
    assert reasons == {
        None, 'low_confidence', 'category_not_accepted', 'size_out_of_range', 'no_mask',
        'multiple_objects', 'not_settled', 'withdrawn', 'not_cleared'}
    assert {p['status'] for t, p in events if t == TOPIC_PROCESSING} == \
        {'queued', 'processing', 'completed', 'failed'}
    assert {p['reason'] for t, p in events if t == TOPIC_SESSION} == {
        'command', 'idle_timeout', 'shutdown'}
    for topic, payload in events:
        check_event(topic, payload)
    assert {p['type'] for _, p in events} == {
        'detection-completed', 'processing-updated', 'session-completed'}


def test_the_contract_rejects_broken_verdicts():
    (v,) = [json.loads(dumps(p)) for t, p in run(item_frames())[1] if t == TOPIC_VERDICT]
    assert contract.errors(v) == []
    bad = {'accepted with a reason': dict(v, accepted=True, reason='low_confidence'),
           'unknown reason': dict(v, accepted=False, reason='because'),
           '65 polygon points': dict(v, mask={**v['mask'], 'polygon': [[0, 0]] * 65}),
           'no bbox': {k: x for k, x in v.items() if k != 'bbox'}}
    for case, payload in bad.items():
        with pytest.raises(contract.ContractError):
            contract.validate(payload)
        assert contract.errors(payload), case
