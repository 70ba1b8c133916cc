"""The synthetic stream: verdicts at the rate, sessions, status on change, health at its period."""

import random

from rvm_common import events
from rvm_fleet.stream import DURABLE_TOPICS, MachineStream


def run(stream, until, step=0.05):
    out, now = [], 0.0
    while now < until:
        now = max(now + step, min(stream.due(), until))
        out += [(now, topic, payload) for topic, payload in stream.step(now)]
    return out


def test_rate_health_period_and_envelopes():
    stream = MachineStream(
        'fleet-0001', rate_per_min=30.0, health_period_s=5.0, rng=random.Random(7))
    out = run(stream, 600.0)
    verdicts = [p for _, t, p in out if t == events.TOPIC_VERDICT]
    health = [p for _, t, p in out if t == events.TOPIC_HEALTH]
    assert 250 <= len(verdicts) <= 350                     # 30/min for 10 min, jittered
    assert 119 <= len(health) <= 121                       # every 5 s
    assert all(p['rvm_id'] == 'fleet-0001' and p['type'] for _, _, p in out)
    assert len({p['event_id'] for _, _, p in out}) == len(out)


def test_sessions_bracket_verdicts_with_status_changes():
    stream = MachineStream('m', rate_per_min=60.0, rng=random.Random(3))
    out = [(t, p) for _, t, p in run(stream, 300.0) if t != events.TOPIC_HEALTH]
    states = [p['state'] for t, p in out if t == events.TOPIC_RVM_STATUS]
    assert states and states == ['processing', 'idle'] * (len(states) // 2)   # only on change
    sessions = [p for t, p in out if t == events.TOPIC_SESSION]
    verdicts = [p for t, p in out if t == events.TOPIC_VERDICT]
    assert sum(s['total'] for s in sessions) == len(verdicts) - sum(
        1 for v in verdicts if v['session_id'] not in {s['session_id'] for s in sessions})
    for s in sessions:
        mine = [v for v in verdicts if v['session_id'] == s['session_id']]
        assert 1 <= len(mine) <= 5 and s['accepted'] == sum(v['accepted'] for v in mine)
    assert set(DURABLE_TOPICS) == {events.TOPIC_VERDICT, events.TOPIC_SESSION}


def test_a_late_step_does_not_burst_health():
    stream = MachineStream('m', rate_per_min=1.0, health_period_s=1.0, rng=random.Random(1))
    stream.step(0.0)
    out = stream.step(60.0)                                # the host stalled for a minute
    assert sum(1 for t, _ in out if t == events.TOPIC_HEALTH) == 1
    assert stream.next_health > 60.0
