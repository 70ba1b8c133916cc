"""The RVM status state machine: online / idle / processing / maintenance / error / offline.

The whole transition table is :data:`STATE_RULES`: an ordered list of
(target state, condition, reasons).  On every evaluation the first rule whose
condition holds gives the state - from any current state - so the priority
order *is* the transition table:

====  ============  ===============================================  ==========================
prio  state         condition                                        typical reasons
====  ============  ===============================================  ==========================
1     offline       the health node is stopping                      health node stopping
2     maintenance   maintenance_on command (until maintenance_off)   maintenance mode (command)
3     offline       every required component silent offline_after_s  no pipeline component ...
4     error         a required component down/stale, or an active    camera: offline (...),
                    alert of kind ``error``                          alert text
5     processing    an item event within processing_hold_s           processing items
6     idle          no item for idle_after_s                         no item for N s
7     online        otherwise                                        pipeline running
====  ============  ===============================================  ==========================

Inputs are already debounced (staleness timeouts, alert hysteresis, error_after_s),
so the machine itself needs no extra timers.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from rvm_common.events import RVM_STATES


@dataclass(frozen=True)
class StateInputs:
    """Everything the state machine looks at, computed by the health core."""

    stopping: bool = False
    maintenance: bool = False
    all_silent: bool = False
    silent_reason: str = ''
    errors: tuple[str, ...] = ()
    processing: bool = False
    idle: bool = False
    idle_reason: str = ''


@dataclass(frozen=True)
class StateRule:
    """One row of the transition table."""

    state: str
    condition: Callable[[StateInputs], bool]
    reasons: Callable[[StateInputs], list[str]]
    describe: str


STATE_RULES: tuple[StateRule, ...] = (
    StateRule('offline', lambda i: i.stopping, lambda i: ['health node stopping'],
              'node stopping'),
    StateRule('maintenance', lambda i: i.maintenance,
              lambda i: ['maintenance mode (command)', *i.errors], 'maintenance_on command'),
    StateRule('offline', lambda i: i.all_silent,
              lambda i: [i.silent_reason or 'no component reporting'],
              'every required component silent'),
    StateRule('error', lambda i: bool(i.errors), lambda i: list(i.errors),
              'required component down/stale or error alert'),
    StateRule('processing', lambda i: i.processing, lambda i: ['processing items'],
              'recent item activity'),
    StateRule('idle', lambda i: i.idle, lambda i: [i.idle_reason or 'no recent items'],
              'no item for a while'),
    StateRule('online', lambda i: True, lambda i: ['pipeline running'], 'otherwise'),
)

assert {rule.state for rule in STATE_RULES} == set(RVM_STATES)


@dataclass
class RvmStatus:
    """Current state, the state before it, why, and since when (monotonic seconds)."""

    state: str = 'offline'
    previous_state: str | None = None   # None until the first transition after start
    reasons: list[str] = field(default_factory=lambda: ['starting'])
    since: float = 0.0


class RvmStateMachine:
    """Applies :data:`STATE_RULES`; reports whether the state or its reasons changed."""

    def __init__(self, now: float) -> None:
        self.status = RvmStatus(since=now)
        self.evaluated = False

    # The first evaluation publishes the state found at start with previous_state None.

    def evaluate(self, inputs: StateInputs, now: float) -> bool:
        """Apply the table; True on a change of state or of reasons (and on the first call)."""
        for rule in STATE_RULES:
            if rule.condition(inputs):
                return self._set(rule.state, rule.reasons(inputs), now)
        raise AssertionError('the last rule always matches')  # pragma: no cover

    def _set(self, state: str, reasons: list[str], now: float) -> bool:
        first, self.evaluated = not self.evaluated, True
        current = self.status
        if first:
            self.status = RvmStatus(state, None, reasons, now)
            return True
        if state != current.state:
            self.status = RvmStatus(state, current.state, reasons, now)
            return True
        if reasons != current.reasons:
            current.reasons = reasons
            return True
        return False
