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


#: one row of TRANSITIONS per entry, in table order: facts that must fire exactly that row
S, A = Chamber, Action
EVERY_ROW = [
    (S.BLOCKED, ChamberFacts(gone=True), S.EMPTY, A.NONE),
    (S.EMPTY, ChamberFacts(objects=1, confirmed=True), S.SETTLING, A.OPEN),   # confirm_frames 1
    (S.EMPTY, ChamberFacts(objects=1), S.ENTERING, A.NONE),
    (S.ENTERING, ChamberFacts(objects=0, confirmed=True), S.EMPTY, A.NONE),   # a blip first
    (S.ENTERING, ChamberFacts(objects=1, confirmed=True), S.SETTLING, A.OPEN),
    # a knocked camera with nothing left once re-registered: the episode was the moved background
    (S.SETTLING, ChamberFacts(objects=2, multiple=True, gone=True, settle_timeout=True,
                              scene_moved=True), S.EMPTY, A.DISMISS),
    # several objects beat everything else in settling, even a settled accept
    (S.SETTLING, ChamberFacts(objects=2, multiple=True, settled=True, accepted=True, gone=True),
     S.CLEARING, A.REJECT_MULTIPLE),
    # an item that left counts before the settle timeout of the same frame
    (S.SETTLING, ChamberFacts(gone=True, settle_timeout=True), S.EMPTY, A.LOST),
    (S.SETTLING, ChamberFacts(objects=1, settle_timeout=True, settled=True, accepted=True),
     S.CLEARING, A.REJECT_NOT_SETTLED),
    (S.SETTLING, ChamberFacts(objects=1, settled=True, judge_failed=True), S.CLEARING, A.FAIL),
    (S.SETTLING, ChamberFacts(objects=1, settled=True, accepted=True), S.JUDGED, A.JUDGE),
    (S.SETTLING, ChamberFacts(objects=1, settled=True, accepted=False), S.CLEARING, A.JUDGE),
    # a newcomer through the entry decides the judged item first: credit only with exit evidence
    (S.JUDGED, ChamberFacts(objects=1, newcomer=True, at_exit=True, multiple=True), S.SETTLING,
     A.ACCEPT_AND_OPEN),
    (S.JUDGED, ChamberFacts(objects=1, newcomer=True, gone=True), S.SETTLING,
     A.WITHDRAW_AND_OPEN),
    (S.JUDGED, ChamberFacts(objects=2, multiple=True, gone=True, at_exit=True), S.CLEARING,
     A.REJECT_MULTIPLE),
    # the re-vote over a judged item's whole rest rejects it: before any exit evidence
    (S.JUDGED, ChamberFacts(objects=1, settled=True, accepted=False, gone=True, at_exit=True),
     S.CLEARING, A.JUDGE),
    (S.JUDGED, ChamberFacts(gone=True, at_exit=True), S.EMPTY, A.FINAL_ACCEPT),
    (S.JUDGED, ChamberFacts(gone=True), S.EMPTY, A.REJECT_WITHDRAWN),
    (S.CLEARING, ChamberFacts(objects=1, newcomer=True, gone=True), S.SETTLING, A.OPEN),
    (S.CLEARING, ChamberFacts(gone=True), S.EMPTY, A.CLOSE),
]


def test_the_scripted_facts_cover_every_row_of_the_table_in_order():
    assert len(EVERY_ROW) == len(TRANSITIONS)
    for (state, _, target, action), edge in zip(EVERY_ROW, TRANSITIONS):
        assert (edge.source, edge.target, edge.action) == (state, target, action), edge.rule


@pytest.mark.parametrize('index', range(len(EVERY_ROW)))
def test_every_row_fires_on_its_facts(index):
    state, facts, target, action = EVERY_ROW[index]
    assert step(state, facts) is TRANSITIONS[index]


def test_without_exit_evidence_a_judged_item_is_never_credited():
    """Whatever else holds, no FINAL_ACCEPT / ACCEPT_AND_OPEN fires unless at_exit."""
    import itertools
    names = ('objects', 'confirmed', 'multiple', 'gone', 'newcomer', 'settled')
    for values in itertools.product((False, True), repeat=len(names)):
        facts = ChamberFacts(**dict(zip(names, values)))
        edge = step(Chamber.JUDGED, facts)
        assert edge is None or edge.action not in (A.FINAL_ACCEPT, A.ACCEPT_AND_OPEN), facts


@pytest.mark.parametrize(
    'state, facts, target, action',
    [(state, facts, target, action) for state, facts, target, action in EVERY_ROW],
)
def test_first_matching_row_wins(state, facts, target, action):
    edge = step(state, facts)
    assert (edge.target, edge.action) == (target, action)


@pytest.mark.parametrize('state', [Chamber.JUDGED, Chamber.CLEARING, Chamber.BLOCKED])
def test_a_moving_or_flickering_object_keeps_judged_clearing_and_blocked(state):
    assert step(state, ChamberFacts(objects=1)) is None
    assert step(state, ChamberFacts(objects=0)) is None   # fewer than leave_frames empty frames


def test_a_knocked_camera_dismisses_only_an_episode_with_nothing_left():
    """The re-registered scene still shows something (an item): the episode goes on as before."""
    moved = ChamberFacts(objects=1, settled=True, accepted=True, scene_moved=True, present=True)
    assert step(Chamber.SETTLING, moved).action is A.JUDGE
    for state in (S.EMPTY, S.ENTERING, S.JUDGED, S.CLEARING, S.BLOCKED):
        edge = step(state, ChamberFacts(scene_moved=True))
        assert edge is None or edge.action is not A.DISMISS
