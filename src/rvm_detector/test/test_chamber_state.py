"""The chamber transition table itself: completeness and first-match priority."""
import pytest

from rvm_detector.chamber_state import (
    IDLE_END_STATES, INITIAL_STATE, SESSION_END, TRANSITIONS, Action, Chamber, ChamberFacts, step)


def test_every_state_has_a_session_end_row_and_is_reachable():
    assert set(SESSION_END) == set(Chamber)
    targets = {e.target for e in TRANSITIONS} | {t for t, _ in SESSION_END.values()}
    assert targets == set(Chamber)
    # a restart never re-judges what lies in the chamber
    assert INITIAL_STATE is Chamber.BLOCKED
    assert Chamber.JUDGED not in IDLE_END_STATES and Chamber.SETTLING not in IDLE_END_STATES


def test_nothing_happens_without_a_reason():
    for state in Chamber:
        # a blip ends entering
        assert step(state, ChamberFacts()) is None or state is Chamber.ENTERING
    assert step(Chamber.ENTERING, ChamberFacts()).target is Chamber.EMPTY


@pytest.mark.parametrize(
    'state, facts, target, action',
    [
        # several objects beat everything else in settling, even a settled accept
        (
            Chamber.SETTLING, ChamberFacts(objects=2, multiple=True, settled=True, accepted=True),
            Chamber.CLEARING, Action.REJECT_MULTIPLE),
        # an item that left counts before the settle timeout of the same frame
        (
            Chamber.SETTLING, ChamberFacts(gone=True, settle_timeout=True), Chamber.EMPTY,
            Action.LOST),
        (
            Chamber.SETTLING,
            ChamberFacts(objects=1, settle_timeout=True, settled=True, accepted=True),
            Chamber.CLEARING, Action.REJECT_NOT_SETTLED),
        (
            Chamber.SETTLING, ChamberFacts(objects=1, settled=True, accepted=True), Chamber.JUDGED,
            Action.JUDGE),
        (
            Chamber.SETTLING, ChamberFacts(objects=1, settled=True, accepted=False),
            Chamber.CLEARING, Action.JUDGE),
        (
            Chamber.SETTLING, ChamberFacts(objects=1, settled=True, judge_failed=True),
            Chamber.CLEARING, Action.FAIL),
        (
            Chamber.JUDGED, ChamberFacts(gone=True, left_via_entry=True), Chamber.EMPTY,
            Action.REJECT_WITHDRAWN),
        (Chamber.JUDGED, ChamberFacts(gone=True), Chamber.EMPTY, Action.FINAL_ACCEPT),
        (
            Chamber.JUDGED, ChamberFacts(objects=2, multiple=True), Chamber.CLEARING,
            Action.REJECT_MULTIPLE),
        (Chamber.BLOCKED, ChamberFacts(gone=True), Chamber.EMPTY, Action.NONE),
        (Chamber.EMPTY, ChamberFacts(objects=1), Chamber.ENTERING, Action.NONE),
        (Chamber.ENTERING, ChamberFacts(objects=1, confirmed=True), Chamber.SETTLING, Action.OPEN),
        (Chamber.CLEARING, ChamberFacts(gone=True), Chamber.EMPTY, Action.NONE),
    ],
)
def test_first_matching_row_wins(state, facts, target, action):
    edge = step(state, facts)
    assert (edge.target, edge.action) == (target, action)


@pytest.mark.parametrize('state', [Chamber.JUDGED, Chamber.CLEARING, Chamber.BLOCKED])
def test_a_moving_or_flickering_object_keeps_judged_clearing_and_blocked(state):
    assert step(state, ChamberFacts(objects=1)) is None
    assert step(state, ChamberFacts(objects=0)) is None   # fewer than leave_frames empty frames
