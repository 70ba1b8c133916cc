"""Alert hysteresis and minimum durations: noisy input gives one alert, not a storm."""
from __future__ import annotations

import random

from rvm_health.alerts import AlertBook, AlertTracker
from rvm_health.health_rules import AlertRule

HOT = AlertRule(
    id='temperature_high', kind='maintenance', level='warn', metric='temperature_max_c',
    message='temperature {value:.1f} C above {threshold:.0f} C', raise_above=80.0,
    clear_below=75.0, raise_after_s=10.0, clear_after_s=30.0)
SLOW = AlertRule(id='camera_rate_low', kind='maintenance', level='warn', metric='camera_fps',
                 message='camera at {value:.1f} fps', raise_below=3.0, clear_above=4.5,
                 raise_after_s=5.0, clear_after_s=5.0)


def run(tracker: AlertTracker, values, t0: float = 0.0, dt: float = 0.5) -> tuple[int, float]:
    changes, t = 0, t0
    for value in values:
        changes += tracker.update(value, t)
        t += dt
    return changes, t


def test_raise_needs_the_value_held_for_raise_after():
    tracker = AlertTracker(HOT)
    assert not tracker.update(85.0, 0.0)
    assert not tracker.update(85.0, 9.9)
    assert tracker.update(85.0, 10.0) and tracker.active and tracker.since == 10.0
    assert tracker.snapshot().message == 'temperature 85.0 C above 80 C'


def test_a_dip_restarts_the_raise_timer():
    tracker = AlertTracker(HOT)
    tracker.update(85.0, 0.0)
    tracker.update(79.0, 5.0)   # back under the raise threshold
    assert not tracker.update(85.0, 12.0)
    assert not tracker.update(85.0, 21.9)
    assert tracker.update(85.0, 22.0)


def test_noise_around_the_raise_threshold_gives_one_alert():
    rng = random.Random(7)
    # 10 minutes of a temperature wandering 77..85 C around the 80 C threshold, sampled at 2 Hz
    noisy = [81.0 + rng.uniform(-4.0, 4.0) for _ in range(1200)]
    naive_flips = sum((a > 80.0) != (b > 80.0) for a, b in zip(noisy, noisy[1:]))
    assert naive_flips > 100  # a plain threshold would storm
    # leading run above the threshold so the raise condition can be met
    tracker = AlertTracker(HOT)
    changes, t = run(tracker, [83.0] * 30 + noisy)
    assert changes == 1 and tracker.raised_count == 1 and tracker.active


def test_noise_in_the_clear_band_clears_once_after_clear_after():
    rng = random.Random(11)
    tracker = AlertTracker(HOT)
    run(tracker, [90.0] * 30)
    assert tracker.active
    # noise straddling the clear threshold (73..77): never below 75 for 30 s -> stays active
    changes, t = run(tracker, [75.0 + rng.uniform(-2.0, 2.0) for _ in range(600)], t0=15.0)
    assert changes == 0 and tracker.active
    # cooled down to 70..74.9: clears once, exactly clear_after_s after the cool-down started
    cool_start = t
    # 29.5 s of it
    changes, t = run(tracker, [72.0 + rng.uniform(-2.0, 2.9) for _ in range(60)], t0=t)
    assert changes == 0 and tracker.active and t == cool_start + 30.0
    assert tracker.update(72.0, t) and not tracker.active
    changes, _ = run(tracker, [72.0 + rng.uniform(-2.0, 2.9) for _ in range(140)], t0=t + 0.5)
    assert changes == 0 and not tracker.active
    assert tracker.raised_count == 1


def test_clear_timer_restarts_when_the_value_goes_back_up():
    tracker = AlertTracker(HOT)
    run(tracker, [90.0] * 30)
    assert not tracker.update(70.0, 100.0)
    assert not tracker.update(78.0, 120.0)   # between the thresholds: clearing is interrupted
    assert not tracker.update(70.0, 125.0)
    assert not tracker.update(70.0, 154.0)
    assert tracker.update(70.0, 155.0)


def test_unmeasured_metric_changes_nothing():
    tracker = AlertTracker(HOT)
    run(tracker, [90.0] * 30)
    assert not tracker.update(None, 100.0) and tracker.active


def test_falling_rule_with_raise_below():
    tracker = AlertTracker(SLOW)
    assert not tracker.update(2.0, 0.0)
    assert tracker.update(2.0, 5.0)
    assert not tracker.update(4.0, 6.0)   # above raise, below clear: still active
    assert not tracker.update(5.0, 7.0)
    assert tracker.update(5.0, 12.0) and not tracker.active


def test_alert_book_payload():
    book = AlertBook([HOT, SLOW])
    assert book.update({'temperature_max_c': 90.0, 'camera_fps': 10.0}, 0.0) is False
    assert book.update({'temperature_max_c': 90.0, 'camera_fps': 10.0}, 10.0) is True
    payload = book.as_payload(lambda t: f'T{t:g}')
    assert payload == [{'id': 'temperature_high', 'kind': 'maintenance', 'level': 'warn',
                        'message': 'temperature 90.0 C above 80 C', 'since': 'T10'}]
