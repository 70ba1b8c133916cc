"""Chamber calibration drift and chamber state from the detector status raise their alerts."""
from __future__ import annotations

from health_test_support import detector_status

from rvm_common import events
from rvm_health.calibration_watch import CalibrationWatch


def status(frames, drift=0.0, age_s=60.0, item_state='empty', calibrated=True):
    calibration = ({'file': 'c.yaml', 'created_at': '', 'age_s': age_s, 'drift': drift,
                    'gain': 1.0} if calibrated else None)
    return dict(detector_status(frames), calibration=calibration, item_state=item_state)


def active(core):
    return {a.id: a.message for a in core.alerts.active()}


def feed(core, start, seconds, **kw):
    for i in range(int(seconds)):
        core.observe(events.TOPIC_DETECTOR_STATUS, status(start + i, **kw), float(start + i))
        core.update(float(start + i))
    return start + int(seconds)


def test_a_moved_camera_or_changed_light_raises_recalibrate_and_it_clears(core_and_thermal):
    core, _ = core_and_thermal
    t = feed(core, 0, 20, drift=0.02)
    assert 'recalibrate' not in active(core)
    t = feed(core, t, 9, drift=0.6)            # raise_after_s 10: not yet
    assert 'recalibrate' not in active(core)
    t = feed(core, t, 3, drift=0.6)
    assert 'run rvm-edge calibrate' in active(core)['recalibrate']
    feed(core, t, 40, drift=0.01)               # recalibrated: clears after clear_after_s
    assert 'recalibrate' not in active(core)


def test_no_calibration_is_an_alert_of_its_own(core_and_thermal):
    core, _ = core_and_thermal
    feed(core, 0, 2, calibrated=False)
    assert 'calibration_missing' in active(core) and 'recalibrate' not in active(core)


def test_an_old_calibration_raises_calibration_old(core_and_thermal):
    core, _ = core_and_thermal
    feed(core, 0, 2, age_s=200 * 86400.0)
    assert '200 days old' in active(core)['calibration_old']


def test_a_chamber_never_empty_raises_chamber_stuck():
    watch = CalibrationWatch()
    assert watch.metrics(0.0)['chamber_busy_s'] is None          # nothing heard yet
    watch.observe({'item_state': 'blocked'}, 10.0)
    watch.observe({'item_state': 'judged'}, 500.0)
    assert watch.metrics(700.0)['chamber_busy_s'] == 690.0
    watch.observe({'item_state': 'empty'}, 701.0)
    assert watch.metrics(702.0)['chamber_busy_s'] == 0.0
    assert watch.metrics(702.0)['calibration_drift'] is None      # no calibration key seen
