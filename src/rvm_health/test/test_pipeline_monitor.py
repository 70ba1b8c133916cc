"""Pipeline rates (FrequencyStatus style) and staleness when a topic stops."""
from __future__ import annotations

from rvm_health.health_rules import ComponentSpec
from rvm_health.pipeline_monitor import ComponentMonitor, PipelineMonitor
from rvm_health.readings import ERROR, OK, STALE, WARN

CAMERA = ComponentSpec(
    name='camera', topic='camera/status', state_fields=('state',),
    offline_states=('offline', 'reconnecting'), count_fields=('frames_published',),
    rate_fields=('fps',), min_hz=5.0, max_hz=30.0, tolerance=0.1, window_s=10.0, stale_after_s=5.0,
    required=True)
VERDICTS = ComponentSpec(name='verdicts', topic='items/verdict', window_s=60.0)


def feed(
    monitor: ComponentMonitor, hz: float, seconds: int, t0: float = 0.0, frames0: int = 0
) -> float:
    """One status per second whose frame counter advances at ``hz``."""
    for s in range(seconds + 1):
        monitor.observe({'state': 'online', 'frames_published': frames0 + int(hz * s)}, t0 + s)
    return t0 + seconds


def test_rate_from_the_frame_counter():
    monitor = ComponentMonitor(CAMERA, 0.0)
    t = feed(monitor, 15.0, 12)
    assert monitor.rate(t) == 15.0
    level, message, values = monitor.diagnostic(t)
    assert level == OK and values['rate_hz'] == '15.00' and values['min_hz'] == '5'


def test_rate_below_min_with_tolerance_warns():
    monitor = ComponentMonitor(CAMERA, 0.0)
    t = feed(monitor, 4.6, 12)     # within 10 % of 5 Hz: still OK
    assert monitor.diagnostic(t)[0] == OK
    t = feed(monitor, 3.0, 12, t0=t + 1, frames0=1000)
    level, message, _ = monitor.diagnostic(t)
    assert level == WARN and message.startswith('frequency too low')


def test_rate_above_max_warns():
    monitor = ComponentMonitor(CAMERA, 0.0)
    t = feed(monitor, 40.0, 12)
    assert monitor.diagnostic(t)[1].startswith('frequency too high')


def test_counter_reset_after_a_restart_does_not_give_a_negative_rate():
    monitor = ComponentMonitor(CAMERA, 0.0)
    t = feed(monitor, 10.0, 5, frames0=5000)
    t = feed(monitor, 10.0, 3, t0=t + 1, frames0=0)
    assert monitor.rate(t) == 10.0


def test_staleness_when_the_topic_stops():
    monitor = ComponentMonitor(CAMERA, 0.0)
    t = feed(monitor, 10.0, 10)
    assert not monitor.stale(t + 5.0)
    assert monitor.stale(t + 5.1)
    level, message, _ = monitor.diagnostic(t + 6)
    assert level == STALE and 'no status on camera/status for more than 5 s' in message
    assert monitor.rate(t + 6) == 0.0
    monitor.observe({'state': 'online', 'frames_published': 999}, t + 7)
    assert not monitor.stale(t + 7)


def test_never_heard_is_stale_after_the_timeout_from_start():
    monitor = ComponentMonitor(CAMERA, 100.0)
    assert not monitor.stale(104.0) and monitor.stale(106.0)
    assert monitor.problem(106.0) == 'camera: no status on camera/status since start'


def test_offline_state_is_an_error_for_a_required_component():
    monitor = ComponentMonitor(CAMERA, 0.0)
    monitor.observe({'state': 'offline', 'reason': 'cannot open /dev/video0'}, 1.0)
    level, message, values = monitor.diagnostic(2.0)
    assert level == ERROR and message == 'camera: offline (cannot open /dev/video0)'
    assert monitor.down_for(4.0) == 3.0
    monitor.observe({'state': 'online'}, 5.0)
    assert monitor.down_for(6.0) == 0.0


def test_arrival_rate_for_components_without_counters():
    monitor = ComponentMonitor(VERDICTS, 0.0)
    for t in range(0, 60, 2):
        monitor.observe({'item_id': str(t)}, float(t))
    assert monitor.rate(60.0) == 0.5
    assert not monitor.stale(10_000.0)  # items come when people come


def test_error_after_hold_and_unheard_components_in_the_grace_period():
    pipeline = PipelineMonitor((CAMERA,), 0.0)
    assert pipeline.problems(1.0, include_unheard=False) == []
    pipeline.observe('camera/status', {'state': 'reconnecting'}, 10.0)
    assert pipeline.problems(11.0, hold_s=3.0) == []
    assert pipeline.problems(13.0, hold_s=3.0) == ['camera: reconnecting']
    assert pipeline.observe('unknown/topic', {}, 13.0) is False


BRIDGE = ComponentSpec(
    name='bridge', topic='bridge/status', state_fields=('state',), window_s=30.0)


def test_first_arrivals_give_no_rate_instead_of_a_division_by_almost_zero():
    monitor = ComponentMonitor(BRIDGE, 100.0)
    monitor.observe({'state': 'connected'}, 100.0)
    assert monitor.rate(100.0) is None                 # one message: nothing to measure yet
    monitor.observe({'state': 'connected'}, 100.000001)
    # two messages a microsecond apart: still no rate
    assert monitor.rate(100.000001) is None
    for t in (105.0, 110.0):
        monitor.observe({'state': 'connected'}, t)
    # warm-up: 3 intervals over first..now (10 s)
    assert monitor.rate(110.0) == 0.3
    # no message since: the rate decays, never jumps
    assert monitor.rate(120.0) == 0.15
    for t in (115.0, 120.0, 125.0, 130.0):
        monitor.observe({'state': 'connected'}, t)
    # a full window watched: 6 messages in 105..135 s
    assert monitor.rate(135.0) == 0.2


def test_counter_samples_too_close_together_give_no_rate():
    monitor = ComponentMonitor(CAMERA, 0.0)
    monitor.observe({'state': 'online', 'frames_published': 0}, 0.0)
    monitor.observe({'state': 'online', 'frames_published': 2}, 0.001)
    assert monitor.rate(0.001) is None
    monitor.observe({'state': 'online', 'frames_published': 15}, 1.0)
    assert monitor.rate(1.0) == 15.0


def bridge_status(restarts) -> dict:
    return {'state': 'connected', 'threads': {'restarts': restarts, 'last_errors': {}}}


def test_bridge_thread_restarts_reach_the_health_section_and_metric():
    pipeline = PipelineMonitor((BRIDGE,), 0.0)
    assert pipeline.metrics(0.0)['bridge_thread_restarts_10m'] is None   # nothing heard yet
    assert 'bridge_thread_restarts' not in pipeline.section(0.0)
    pipeline.observe('bridge/status', bridge_status({}), 1.0)
    section = pipeline.section(1.0)
    assert section['bridge_thread_restarts'] == 0 and section['bridge_threads_restarted'] == {}
    assert pipeline.metrics(1.0)['bridge_thread_restarts_10m'] == 0.0
    pipeline.observe('bridge/status', bridge_status({'rvm-bridge-sender': 2}), 10.0)
    pipeline.observe(
        'bridge/status', bridge_status({'rvm-bridge-sender': 2, 'rvm-bridge-jobs': 1}), 20.0)
    section = pipeline.section(20.0)
    assert section['bridge_thread_restarts'] == 3
    assert section['bridge_threads_restarted'] == {'rvm-bridge-sender': 2, 'rvm-bridge-jobs': 1}
    assert pipeline.metrics(20.0)['bridge_thread_restarts_10m'] == 3.0
    # ten minutes later the restarts leave the metric; the payload keeps the bridge's totals
    assert pipeline.metrics(621.0)['bridge_thread_restarts_10m'] == 0.0
    assert pipeline.section(621.0)['bridge_thread_restarts'] == 3


def test_a_restarted_bridge_counts_its_restarts_from_zero_again():
    pipeline = PipelineMonitor((BRIDGE,), 0.0)
    pipeline.observe('bridge/status', bridge_status({'rvm-bridge-sender': 5}), 1.0)
    assert pipeline.metrics(1.0)['bridge_thread_restarts_10m'] == 0.0   # baseline, not news
    pipeline.observe('bridge/status', bridge_status({'rvm-bridge-sender': 1}), 2.0)
    assert pipeline.metrics(2.0)['bridge_thread_restarts_10m'] == 1.0
    # a PHP-style empty list and garbage values are read as no restarts, never a crash
    pipeline.observe('bridge/status', bridge_status([]), 3.0)
    pipeline.observe('bridge/status', bridge_status({'x': 'many', 'y': -1}), 4.0)
    assert pipeline.section(4.0)['bridge_thread_restarts'] == 0
    pipeline.observe('bridge/status', {'state': 'connected'}, 5.0)   # an older bridge: no figure
    assert 'bridge_thread_restarts' not in pipeline.section(5.0)
