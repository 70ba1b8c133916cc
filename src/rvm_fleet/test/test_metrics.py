"""Fleet figures: percentiles, reconnect spread, peak per window, the restart disruption window."""

import os

from rvm_fleet.metrics import CpuMeter, peak_in_window, percentile, spread
from rvm_fleet.report import disrupted


def test_percentile_nearest_rank():
    values = list(range(1, 101))
    assert (percentile(values, 50), percentile(values, 99), percentile(values, 100)) == (
        50, 99, 100)
    assert percentile([], 50) is None and percentile([7.0], 99) == 7.0


def test_peak_in_window_and_spread():
    wave = [10.0 + i * 0.001 for i in range(20)]           # a synchronized wave
    spaced = [10.0 + i * 0.25 for i in range(20)]           # spread over ~5 s
    assert peak_in_window(wave, 0.1) == 20
    assert peak_in_window(spaced, 0.1) == 1
    assert spread(spaced)['span_s'] == 4.75 and spread(spaced)['p50_s'] == 2.25
    assert spread([])['span_s'] is None


def test_disrupted_events_are_those_the_restart_touched():
    window = (100.0, 110.0)
    assert not disrupted(90.0, 90.05, window)               # delivered before the kill
    assert disrupted(99.9, 106.0, window)                   # in flight at the kill
    assert disrupted(105.0, 105.1, window)                  # published while the fleet recovered
    assert not disrupted(111.0, 111.05, window)             # after recovery + ack timeout
    assert not disrupted(99.9, 106.0, None)


def test_cpu_meter_adds_up_per_name():
    meter = CpuMeter(lambda: {'me': os.getpid()})
    meter.sample()
    sum(i * i for i in range(300_000))
    meter.sample()
    assert meter.seconds()['me'] > 0.0
