"""CameraCore: failure handling, backoff, stall, corrupt frames, rate control, pacing, loop."""
import json
import logging
import random
import re

import numpy as np
import pytest

from camera_fakes import FakeClock, LiveFake, MediaFake, image
from rvm_camera.camera_config import CameraConfig
from rvm_camera.camera_core import CameraCore, valid_image
from rvm_camera.sources.base import SourceError
from rvm_common.events import TOPIC_CAMERA_STATUS, dumps


class NoJitter:
    """An rng whose jitter factor is always 1: the backoff's delays are exactly its ceilings."""

    def random(self):
        return 0.0


def make_core(source, clock, rng=NoJitter(), **overrides):
    config = CameraConfig(**{'source': 'fake', 'fps': 0.0, **overrides})
    return CameraCore(config, clock, sleep=clock.sleep, wall_clock_ns=clock.wall_ns,
                      source_factory=lambda cfg: source, rng=rng)


def retry_delays(records):
    """(attempt, delay) of each 'retry N in X s' log line."""
    out = []
    for record in records:
        match = re.search(r'retry (\d+) in ([\d.]+) s', record.getMessage())
        if match:
            out.append((int(match.group(1)), float(match.group(2))))
    return out


def run_until(core, clock, t_end, max_reads=100_000):
    frames = []
    for _ in range(max_reads):
        if clock.t >= t_end or core.finished:
            break
        frame = core.read()
        if frame is not None:
            frames.append(frame)
    return frames


def test_device_missing_at_start_retries_with_capped_backoff_then_resumes(caplog):
    clock = FakeClock(0.0)
    src = LiveFake(clock, plugged=lambda t: t >= 20.0)
    core = make_core(src, clock, reconnect_initial_s=0.5, reconnect_max_s=4.0)
    with caplog.at_level(logging.WARNING, logger='rvm_camera'):
        assert core.open() is False
        assert core.state == 'reconnecting'
        assert 'missing' in core.status()['reason']
        frames = run_until(core, clock, 30.0)
    delays = [delay for _attempt, delay in retry_delays(caplog.records)]
    assert delays[:5] == [0.5, 1.0, 2.0, 4.0, 4.0]          # doubled, then capped
    assert all(r.exc_info is None for r in caplog.records)   # one line each, no traceback
    assert core.state == 'online' and frames
    assert core.status()['reconnects'] == 1
    assert frames[0].seq == 1 and clock.t >= 20.0


def test_a_device_that_opens_then_fails_at_once_keeps_backing_off(caplog):
    """A reset on every open would retry every 0.5 s forever; only a healthy period resets."""
    clock = FakeClock(0.0)

    def flaky(i):                            # until 60 s: every open gives one frame, then fails
        return (
            SourceError('read failed (flaky cable)') if clock.t < 60.0 and i % 2 == 0 else image(i)
        )

    src = LiveFake(clock, frames=flaky, plugged=lambda t: not 90.0 <= t < 90.2)
    core = make_core(
        src, clock, reconnect_initial_s=0.5, reconnect_max_s=30.0, healthy_after_s=5.0)
    with caplog.at_level(logging.WARNING, logger='rvm_camera'):
        core.open()
        run_until(core, clock, 60.0)
        flaky_retries = retry_delays(caplog.records)
        doubling = [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0]
        assert [d for _a, d in flaky_retries] == doubling[:len(flaky_retries)]
        assert src.opens <= 8, f'{src.opens} opens in 60 s: the backoff was reset by each open'
        assert core.status()['attempts'] == len(flaky_retries) >= 6
        caplog.clear()
        run_until(core, clock, 100.0)      # healthy from ~60 s; one unplug at 90 s
    assert retry_delays(caplog.records)[0] == (1, 0.5), 'healthy for 5 s: the delays start again'
    assert core.state == 'online' and core.status()['attempts'] <= 1


def test_the_healthy_period_counts_from_the_first_frame_not_from_the_open(caplog):
    clock = FakeClock(0.0)
    src = LiveFake(clock, stalled=lambda t: True)            # opens, never delivers a frame
    core = make_core(src, clock, stall_timeout_s=3.0, reconnect_initial_s=0.5, healthy_after_s=2.0)
    with caplog.at_level(logging.WARNING, logger='rvm_camera'):
        core.open()
        run_until(core, clock, 40.0)
    assert [d for _a, d in retry_delays(caplog.records)][:4] == [0.5, 1.0, 2.0, 4.0]


def test_reconnect_delays_are_jittered_down_by_up_to_half():
    clock = FakeClock(0.0)
    core = make_core(LiveFake(clock, plugged=lambda t: False), clock, rng=random.Random(3),
                     reconnect_initial_s=1.0, reconnect_max_s=8.0, max_reconnects=40)
    core.open()
    waits = []
    while not core.finished:
        retry_in = core.status()['retry_in_s']
        if retry_in is not None and (not waits or core.status()['attempts'] != waits[-1][0]):
            waits.append((core.status()['attempts'], retry_in))
        core.read()
    ceilings = [min(8.0, 2.0 ** (a - 1)) for a, _w in waits]
    assert len(waits) == 40 and all(c / 2 <= w <= c for (_a, w), c in zip(waits, ceilings))
    assert (
        len({round(w, 3) for a, w in waits if a > 5}) > 20
    ), 'capped delays are spread, not lock-step'


def test_unplug_mid_run_goes_reconnecting_and_resumes_when_device_returns():
    clock = FakeClock(0.0)
    src = LiveFake(clock, plugged=lambda t: not (5.0 <= t < 9.0))
    core = make_core(src, clock, reconnect_initial_s=0.5, reconnect_max_s=2.0)
    core.open()
    before = run_until(core, clock, 4.9)
    assert core.state == 'online' and len(before) > 100
    before += run_until(core, clock, 5.2)
    status = core.status()
    assert status['state'] == 'reconnecting' and 'unplugged' in status['reason']
    after = run_until(core, clock, 15.0)
    assert core.state == 'online' and after
    assert after[0].seq == before[-1].seq + 1                # sequence continues
    states = [p['state'] for topic, p in core.take_events() if topic == TOPIC_CAMERA_STATUS]
    changes = [s for i, s in enumerate(states) if i == 0 or states[i - 1] != s]
    assert changes == ['online', 'reconnecting', 'online']   # reason updates repeat a state
    assert core.status()['failures'] >= 1 and core.status()['reconnects'] == 1


def test_stall_without_frames_triggers_reconnect_after_timeout():
    clock = FakeClock(0.0)
    src = LiveFake(clock, stalled=lambda t: 2.0 <= t < 12.0)
    core = make_core(src, clock, stall_timeout_s=3.0, reconnect_initial_s=1.0)
    core.open()
    run_until(core, clock, 4.9)
    assert core.state == 'online'                            # not yet 3 s without frames
    run_until(core, clock, 5.2)
    assert core.state == 'reconnecting' and core.status()['reason'].startswith('stalled')
    frames = run_until(core, clock, 20.0)
    assert core.state == 'online' and frames and src.opens >= 2


def test_gives_up_after_max_reconnects():
    clock = FakeClock(0.0)
    core = make_core(LiveFake(clock, plugged=lambda t: False), clock, max_reconnects=3,
                     reconnect_initial_s=0.1)
    core.open()
    run_until(core, clock, 100.0)
    status = core.status()
    assert core.finished and status['state'] == 'offline'
    assert 'gave up after 4 attempts' in status['reason'] and status['failures'] == 4


def test_fatal_error_goes_offline_without_retrying():
    clock = FakeClock(0.0)

    def factory(cfg):
        raise SourceError('gst pipeline must end in appsink', fatal=True)
    core = CameraCore(CameraConfig(source='x'), clock, sleep=clock.sleep, source_factory=factory)
    assert core.open() is False
    assert core.finished and core.state == 'offline'
    assert core.read() is None and 'appsink' in core.status()['reason']


def test_corrupt_frames_are_counted_and_a_streak_reopens_the_source():
    bad = [None, np.zeros((0, 4, 3), np.uint8), np.zeros((4, 4, 3), np.float32),
           np.zeros((4, 4), np.uint8), np.zeros((4, 4, 4), np.uint8)]
    clock = FakeClock(0.0)
    src = LiveFake(clock, frames=lambda i: bad[i - 1] if i <= len(bad) else image(i))
    core = make_core(src, clock, max_consecutive_corrupt=100)
    core.open()
    frames = run_until(core, clock, 1.0)
    assert core.status()['frames_corrupt'] == len(bad)
    assert frames and all(valid_image(f.image) is None for f in frames)

    clock = FakeClock(0.0)
    src = LiveFake(clock, frames=lambda i: None if i <= 10 else image(i))
    core = make_core(src, clock, max_consecutive_corrupt=5, reconnect_initial_s=0.1)
    core.open()
    run_until(core, clock, 2.0)
    assert core.status()['failures'] == 2 and 'decoder errors' in json.dumps(core.take_events())
    assert core.state == 'online' and src.opens == 3


def test_unexpected_backend_exception_is_a_failure_not_a_crash():
    clock = FakeClock(0.0)
    src = LiveFake(clock, frames=lambda i: RuntimeError('driver bug') if i == 3 else image(i))
    core = make_core(src, clock, reconnect_initial_s=0.1)
    core.open()
    frames = run_until(core, clock, 1.0)
    assert core.status()['failures'] == 1 and frames[-1].seq > 3


@pytest.mark.parametrize('target, expected', [(10.0, 10), (20.0, 20), (60.0, 30), (0.0, 30)])
def test_rate_control_publishes_target_fps_never_faster_than_source(target, expected):
    clock = FakeClock(0.0)
    core = make_core(LiveFake(clock, period=1 / 30), clock, fps=target)
    core.open()
    frames = run_until(core, clock, 10.0)
    status = core.status()
    assert abs(len(frames) / 10.0 - expected) <= 1.0
    assert status['frames_published'] == len(frames)
    assert status['frames_read'] == status['frames_published'] + status['frames_dropped']
    assert abs(status['fps'] - expected) <= 1.5


def test_realtime_media_is_paced_and_batch_is_not():
    clock = FakeClock(0.0)
    core = make_core(MediaFake(90, fps=30.0), clock, fps=15.0, realtime=True)
    core.open()
    frames = run_until(core, clock, 1e9)
    assert len(frames) == 45 and core.finished and core.state == 'offline'
    assert 2.9 <= clock.slept <= 3.0                         # 90 frames at 30 fps = 3 s
    stamps = [f.stamp_ns for f in frames]
    assert stamps == sorted(stamps)

    clock = FakeClock(0.0)
    core = make_core(MediaFake(90, fps=30.0), clock, fps=0.0, realtime=False)
    core.open()
    frames = run_until(core, clock, 1e9)
    assert len(frames) == 90 and clock.slept == 0.0
    deltas = {b.stamp_ns - a.stamp_ns for a, b in zip(frames, frames[1:])}
    assert deltas <= {33_333_333, 33_333_334}                # stamps follow media time


def test_loop_restarts_media_with_increasing_stamps_and_empty_media_ends():
    clock = FakeClock(0.0)
    src = MediaFake(5, fps=10.0)
    core = make_core(src, clock, loop=True, realtime=False)
    core.open()
    frames = [f for f in (core.read() for _ in range(40)) if f is not None]
    assert src.rewinds >= 2 and len(frames) > 10 and not core.finished
    stamps = [f.stamp_ns for f in frames]
    assert all(b > a for a, b in zip(stamps, stamps[1:]))

    core = make_core(MediaFake(0), clock, loop=True)
    core.open()
    for _ in range(5):
        core.read()
    assert core.finished and 'end after 0 frames' in core.status()['reason']


def test_corrupt_media_frames_are_skipped_not_fatal():
    clock = FakeClock(0.0)
    core = make_core(MediaFake(10, corrupt=(2, 3, 4, 5, 6)), clock, realtime=False,
                     max_consecutive_corrupt=2)
    core.open()
    frames = run_until(core, clock, 1e9)
    assert len(frames) == 5 and core.status()['frames_corrupt'] == 5
    assert core.status()['failures'] == 0


def test_status_is_json_and_close_finishes():
    clock = FakeClock(0.0)
    core = make_core(LiveFake(clock), clock, frame_id='cam_a')
    core.open()
    frame = run_until(core, clock, 0.5)[0]
    assert frame.frame_id == 'cam_a' and frame.image.shape == (6, 8, 3)
    status = core.status()
    assert json.loads(dumps(status))['type'] == 'camera-status'
    assert status['width'] == 8 and status['height'] == 6 and status['state'] == 'online'
    core.close()
    assert core.finished and core.status()['reason'] == 'closed' and core.read() is None


def test_status_reports_a_read_blocked_in_the_driver():
    clock = FakeClock(0.0)
    core = make_core(LiveFake(clock), clock, stall_timeout_s=2.0)
    core.open()
    run_until(core, clock, 1.0)
    assert core.status()['stalled'] is False
    clock.t += 5.0                                           # read() stuck in the driver for 5 s
    status = core.status()
    assert status['stalled'] is True and status['state'] == 'online'
    assert 'source read blocked' in status['reason'] and status['last_frame_age_s'] >= 5.0
