"""Connection state machine: one transition table, no-op setter, listeners, bounded timeline."""
from __future__ import annotations

import pytest
from rvm_bridge.connection.state import (
    TRANSITIONS, ConnectionState, ConnectionStateMachine, InvalidTransition, Timeline)

S = ConnectionState


def test_every_state_has_transitions_and_failed_is_reachable_only_deliberately():
    assert set(TRANSITIONS) == set(S)
    assert S.CONNECTED not in TRANSITIONS[S.INITIALIZED]      # always via CONNECTING
    assert S.CONNECTED not in TRANSITIONS[S.UNAVAILABLE]
    assert TRANSITIONS[S.DISCONNECTED] == {S.CONNECTING}


def test_setter_notifies_once_per_change_and_records_the_timeline():
    machine = ConnectionStateMachine()
    seen = []
    machine.add_listener(lambda prev, cur, reason: seen.append((prev, cur, reason)))
    assert machine.set(S.CONNECTING, 'start') is True
    assert machine.set(S.CONNECTING, 'again') is False           # unchanged: nothing happens
    machine.set(S.CONNECTED, 'socket_id 1.2')
    assert seen == [
        (S.INITIALIZED, S.CONNECTING, 'start'), (S.CONNECTING, S.CONNECTED, 'socket_id 1.2')]
    states = machine.timeline.entries('state')
    assert [(e['previous'], e['current']) for e in states] == [('initialized', 'connecting'),
                                                               ('connecting', 'connected')]


def test_invalid_transition_raises_and_keeps_state():
    machine = ConnectionStateMachine()
    with pytest.raises(InvalidTransition):
        machine.set(S.CONNECTED)
    assert machine.state is S.INITIALIZED


def test_failing_listener_does_not_break_others():
    machine = ConnectionStateMachine()
    seen = []
    machine.add_listener(lambda *a: 1 / 0)
    machine.add_listener(lambda prev, cur, reason: seen.append(cur))
    machine.set(S.CONNECTING)
    assert seen == [S.CONNECTING]


def test_timeline_is_bounded_and_filterable():
    clock = iter(range(100)).__next__
    timeline = Timeline(maxlen=3, clock=lambda: float(clock()))
    for i in range(5):
        timeline.record('retry', delay_s=i)
    timeline.record('pong', latency_ms=1.5)
    assert len(timeline) == 3
    assert [e['delay_s'] for e in timeline.entries('retry')] == [3, 4]
    assert timeline.entries(last=1) == [{'t': 5.0, 'kind': 'pong', 'latency_ms': 1.5}]
