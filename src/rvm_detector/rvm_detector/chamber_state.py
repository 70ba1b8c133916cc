"""The chamber state machine: one verdict per chamber episode.

The unit is the *chamber*, not a track: an episode opens when an object shows up in a chamber that
was seen empty for ``leave_frames`` frames (presence from the image *and* a detection), and
closes when the chamber is empty (presence, not the detector) for ``leave_frames`` frames, or
when a new object comes in through the entry after the episode's item was decided. Whatever
happens in between (the item is nudged, moves, a hand covers it, the lights go out, the
detector loses it) belongs to that one episode, and an episode gets exactly one verdict
(``detection-completed`` carrying its ``episode_id``) or, when the object left before anything
could be judged, one ``failed`` processing event.

Per frame, :func:`step` applies :data:`TRANSITIONS`: the first row whose state matches and whose
condition holds fires (the row order is the priority). A session end (``end_session`` command, idle
timeout, shutdown) applies :data:`SESSION_END`. No frame (a camera gap) or a dark frame means no
transition.

=========  =========  ==============================================  ============================
from       to         condition (first match wins)                    action
=========  =========  ==============================================  ============================
blocked    empty      chamber empty for leave_frames                  arm
empty      settling   an object seen confirm_frames frames in a row   open (processing queued)
empty      entering   an object (never a hand) is seen                -
entering   empty      no object in this frame (a blip)                -
entering   settling   an object seen confirm_frames frames in a row   open (processing queued)
settling   empty      the scene moved and nothing is left once the    dismiss (processing failed)
                      reference is re-registered
settling   clearing   >= 2 objects for multi_frames frames            reject multiple_objects
settling   empty      chamber empty for leave_frames                  lost (processing failed)
settling   clearing   settle clock >= settle_timeout_s                reject not_settled
settling   clearing   the verdict could not be computed               fail (processing failed)
settling   judged     one object still stable_frames, no hand, OK     judge (accept held)
settling   clearing   one object still stable_frames, no hand, NOK    judge (reject, final)
judged     settling   newcomer via the entry, item seen in exit zone  final accept + open
judged     settling   newcomer via the entry, item not at the exit    reject withdrawn + open
judged     clearing   >= 2 objects for multi_frames frames            reject multiple_objects
judged     clearing   still again, and the vote over its whole rest   judge (reject, final)
                      gives another class, rejected
judged     empty      empty for leave_frames, item seen in exit zone  final accept
judged     empty      empty for leave_frames, elsewhere / entry       reject withdrawn
clearing   settling   newcomer via the entry                          open (decided items stay)
clearing   empty      chamber empty for leave_frames                  close
=========  =========  ==============================================  ============================

Credit only on evidence: an accept is final only when the judged item (the same object: class,
mask area, colour) was last seen in the exit zone. An item that vanishes anywhere else, or
through the entry, or is replaced by another object, is rejected ``withdrawn``, so no credited
deposit can be taken back (docs/detector.md explains the choice over a revocation event).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Callable


class Chamber(Enum):
    """States of the chamber (values are the ``item_state`` reported in detector status)."""

    EMPTY = 'empty'          # seen empty for leave_frames: armed for the next item
    ENTERING = 'entering'    # an object appeared; not yet seen confirm_frames frames in a row
    SETTLING = 'settling'    # episode open, waiting for one object to be still (no hand)
    JUDGED = 'judged'        # accepted, final when the item leaves toward the exit
    CLEARING = 'clearing'    # the episode's verdict is out; waiting for an empty chamber
    BLOCKED = 'blocked'      # not armed (start-up, session end): waiting for an empty chamber


class Action(Enum):
    """What the item session does when an edge fires."""

    NONE = 'none'
    OPEN = 'open'                        # new episode (and session): processing queued
    REJECT_MULTIPLE = 'reject_multiple'  # one multiple_objects rejection for every object seen
    REJECT_NOT_SETTLED = 'reject_not_settled'
    REJECT_NOT_CLEARED = 'reject_not_cleared'
    REJECT_WITHDRAWN = 'reject_withdrawn'
    JUDGE = 'judge'                      # accept -> pending; reject -> final verdict at once
    FINAL_ACCEPT = 'final_accept'        # the pending accept is published
    ACCEPT_AND_OPEN = 'accept_and_open'  # the pending accept is published; a new episode opens
    WITHDRAW_AND_OPEN = 'withdraw_and_open'  # the judged item is withdrawn; a new episode opens
    LOST = 'lost'                        # left before a verdict: processing failed
    FAIL = 'fail'                        # verdict computation raised: processing failed
    DISMISS = 'dismiss'                  # the episode was the moved background: processing failed
    CLOSE = 'close'                      # the chamber is empty: the decided items are gone


@dataclass(frozen=True)
class ChamberFacts:
    """What one frame tells the machine (computed by the item session from tracks and policy)."""

    objects: int = 0              # new item detections in this frame (hands, phantoms excluded)
    confirmed: bool = False       # an object seen confirm_frames frames in a row
    multiple: bool = False        # >= 2 distinct objects for multi_frames frames in a row
    gone: bool = False            # chamber empty (presence) for leave_frames frames
    at_exit: bool = False         # the episode's item was last seen in the exit zone
    newcomer: bool = False        # another object came in through the entry (decided item gone)
    settle_timeout: bool = False  # the open episode's settle clock passed settle_timeout_s
    settled: bool = False         # one object still for stable_frames frames and no hand
    accepted: bool | None = None  # the verdict a settled object would get (None: not settled);
    #                               judged: the re-vote over its whole rest (None: class holds)
    judge_failed: bool = False    # computing that verdict raised
    present: bool = False         # something is in the chamber in this frame (presence or item)
    scene_moved: bool = False     # the whole scene shifted (a knocked camera): the reference was
    #                               re-registered on this frame (presence.PresenceMeter)


@dataclass(frozen=True)
class Edge:
    """One row of the transition table."""

    source: Chamber
    target: Chamber
    condition: Callable[[ChamberFacts], bool]
    action: Action
    rule: str


S = Chamber
TRANSITIONS: tuple[Edge, ...] = (
    Edge(S.BLOCKED, S.EMPTY, lambda f: f.gone, Action.NONE,
         'chamber empty for leave_frames: armed'),
    Edge(S.EMPTY, S.SETTLING, lambda f: f.objects > 0 and f.confirmed, Action.OPEN,
         'confirmed at once (confirm_frames 1): a new episode'),
    Edge(S.EMPTY, S.ENTERING, lambda f: f.objects > 0, Action.NONE,
         'an object (never a hand) is seen'),
    Edge(S.ENTERING, S.EMPTY, lambda f: f.objects == 0, Action.NONE,
         'a blip: gone before confirmed'),
    Edge(S.ENTERING, S.SETTLING, lambda f: f.confirmed, Action.OPEN, 'confirmed: a new episode'),
    Edge(S.SETTLING, S.EMPTY, lambda f: f.scene_moved and not f.present, Action.DISMISS,
         'the camera moved: what opened the episode was the moved background'),
    Edge(S.SETTLING, S.CLEARING, lambda f: f.multiple, Action.REJECT_MULTIPLE, 'several objects'),
    Edge(S.SETTLING, S.EMPTY, lambda f: f.gone, Action.LOST, 'left before a verdict'),
    Edge(S.SETTLING, S.CLEARING, lambda f: f.settle_timeout, Action.REJECT_NOT_SETTLED,
         'did not settle within settle_timeout_s'),
    Edge(S.SETTLING, S.CLEARING, lambda f: f.settled and f.judge_failed, Action.FAIL,
         'the verdict could not be computed'),
    Edge(S.SETTLING, S.JUDGED, lambda f: f.settled and f.accepted is True, Action.JUDGE,
         'settled and accepted: final when it leaves through the exit zone'),
    Edge(S.SETTLING, S.CLEARING, lambda f: f.settled and f.accepted is False, Action.JUDGE,
         'settled and rejected: final at once'),
    Edge(S.JUDGED, S.SETTLING, lambda f: f.newcomer and f.at_exit, Action.ACCEPT_AND_OPEN,
         'the judged item left through the exit zone; the next one is already coming in'),
    Edge(S.JUDGED, S.SETTLING, lambda f: f.newcomer, Action.WITHDRAW_AND_OPEN,
         'the judged item is gone, not through the exit zone (a swap): a new episode'),
    Edge(S.JUDGED, S.CLEARING, lambda f: f.multiple, Action.REJECT_MULTIPLE,
         'a second object joined the judged item'),
    Edge(S.JUDGED, S.CLEARING, lambda f: f.settled and f.accepted is False, Action.JUDGE,
         'most of its rest says another class, and that one is rejected: final at once'),
    Edge(S.JUDGED, S.EMPTY, lambda f: f.gone and f.at_exit, Action.FINAL_ACCEPT,
         'left through the exit zone'),
    Edge(S.JUDGED, S.EMPTY, lambda f: f.gone, Action.REJECT_WITHDRAWN,
         'vanished elsewhere or pulled back out through the entry'),
    Edge(S.CLEARING, S.SETTLING, lambda f: f.newcomer, Action.OPEN,
         'a new object came in while the decided one clears: its own episode'),
    Edge(S.CLEARING, S.EMPTY, lambda f: f.gone, Action.CLOSE, 'chamber empty: episode closed'))

#: state -> (state after a session end, action): the item present is judged or rejected once, and
#: the chamber is not armed again until it was seen empty, so the next session never sees it.
SESSION_END: dict[Chamber, tuple[Chamber, Action]] = {
    S.EMPTY: (S.EMPTY, Action.NONE),
    S.BLOCKED: (S.BLOCKED, Action.NONE),
    S.ENTERING: (S.BLOCKED, Action.NONE),
    S.SETTLING: (S.BLOCKED, Action.REJECT_NOT_SETTLED),
    S.JUDGED: (S.BLOCKED, Action.REJECT_NOT_CLEARED),
    S.CLEARING: (S.BLOCKED, Action.NONE),
}

#: states in which the session may end on its idle timeout (no item waits for a verdict)
IDLE_END_STATES = frozenset({S.EMPTY, S.CLEARING, S.BLOCKED})

#: the state at start-up: whatever is in the chamber may have been judged before a restart
INITIAL_STATE = S.BLOCKED


def step(state: Chamber, facts: ChamberFacts) -> Edge | None:
    """The edge that fires from ``state`` for this frame's ``facts`` (None: stay)."""
    for edge in TRANSITIONS:
        if edge.source is state and edge.condition(facts):
            return edge
    return None
