"""Capped exponential backoff with jitter, reset only after a healthy period."""
from __future__ import annotations

import random

import pytest

from rvm_common.backoff import Backoff


def test_grows_exponentially_to_the_cap_without_jitter():
    backoff = Backoff(1.0, 30.0, jitter=0.0)
    assert [backoff.next_delay() for _ in range(7)] == [1, 2, 4, 8, 16, 30, 30]


def test_jitter_stays_within_bounds_and_spreads():
    backoff = Backoff(1.0, 30.0, jitter=0.5, rng=random.Random(7))
    delays = []
    for _ in range(200):
        backoff.reset()
        for _ in range(10):
            delays.append(backoff.next_delay())
    assert min(delays) >= 0.5 and max(delays) <= 30.0
    capped = [d for i, d in enumerate(delays) if i % 10 == 9]
    assert min(capped) >= 15.0 and len({round(d, 3) for d in capped}) > 100


def test_reset_starts_over():
    backoff = Backoff(2.0, 10.0, jitter=0.0)
    backoff.next_delay()
    backoff.next_delay()
    backoff.reset()
    assert backoff.attempts == 0 and backoff.next_delay() == 2.0


def test_a_success_resets_the_delays_only_once_it_has_lasted_the_healthy_period():
    backoff = Backoff(0.5, 30.0, jitter=0.0, healthy_after_s=5.0)
    delays = []
    now = 0.0
    for _ in range(5):                       # opens, then fails 0.1 s later: not healthy
        now += (delays[-1] if delays else 0.0)
        backoff.succeeded(now)
        now += 0.1
        delays.append(backoff.next_delay(now))
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0]
    backoff.succeeded(now + 8.0)
    assert backoff.next_delay(now + 8.0 + 5.0) == 0.5, 'up for 5 s: the delays start again'
    assert backoff.next_delay(now + 20.0) == 1.0, 'no success since: no reset'


def test_an_immediate_reset_and_a_zero_healthy_period_restart_at_once():
    backoff = Backoff(1.0, 30.0, jitter=0.0)
    backoff.next_delay(0.0)
    backoff.next_delay(1.0)
    backoff.succeeded(2.0)
    assert backoff.next_delay(2.0) == 1.0     # healthy_after_s=0: any success counts (the default)
    backoff.next_delay(3.0)
    backoff.succeeded(4.0)
    backoff.reset()
    assert backoff.attempts == 0 and backoff.next_delay(4.0) == 1.0


@pytest.mark.parametrize(
    'kwargs',
    [
        dict(initial=0), dict(initial=5, maximum=1), dict(multiplier=0.5), dict(jitter=1.0),
        dict(healthy_after_s=-1.0)],
)
def test_rejects_nonsense(kwargs):
    with pytest.raises(ValueError):
        Backoff(**{'initial': 1.0, 'maximum': 30.0, **kwargs})
