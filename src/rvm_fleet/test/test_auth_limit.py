"""The edge-side channel-auth rate limit: a token bucket around the authorize call."""
import pytest

from rvm_fleet.auth_limit import RateLimitedAuth, TokenBucket


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_bucket_gives_burst_then_rate():
    clock = FakeClock()
    bucket = TokenBucket(rate=2.0, burst=3, clock=clock)
    assert [bucket.try_take() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.try_take() == pytest.approx(0.5)       # next token in 1/rate s
    clock.now += 0.5
    assert bucket.try_take() == 0.0
    clock.now += 100.0                                    # saved tokens are capped at burst
    assert [bucket.try_take() == 0.0 for _ in range(4)] == [True, True, True, False]


def test_bucket_rejects_nonsense():
    with pytest.raises(ValueError, match='rate > 0'):
        TokenBucket(rate=0, burst=1)
    with pytest.raises(ValueError, match='burst >= 1'):
        TokenBucket(rate=1, burst=0.5)


def test_limited_auth_waits_for_tokens_and_counts():
    clock = FakeClock()
    calls, seen = [], []
    auth = RateLimitedAuth(lambda sid, ch: calls.append((sid, ch, clock.now)) or 'signed',
                           TokenBucket(rate=1.0, burst=2, clock=clock), sleep=clock.sleep,
                           on_request=lambda ch, when: seen.append((ch, when)), clock=clock)
    answers = [auth('1.1', f'private-rvm.m{i}') for i in range(5)]
    assert answers == ['signed'] * 5
    times = [t for _, _, t in calls]
    assert times[:2] == [100.0, 100.0]                    # the burst goes at once
    assert times[2:] == pytest.approx([101.0, 102.0, 103.0])   # then one per second
    assert (auth.requests, auth.throttled) == (5, 3) and auth.waited_s == pytest.approx(3.0)
    assert [c for c, _ in seen] == [f'private-rvm.m{i}' for i in range(5)]


def test_limited_auth_passes_errors_through():
    def refuse(sid, ch):
        raise PermissionError('403')
    auth = RateLimitedAuth(refuse, TokenBucket(rate=1.0, burst=1))
    with pytest.raises(PermissionError):
        auth('1.1', 'private-rvm.x')
    assert auth.requests == 1
