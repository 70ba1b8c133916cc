"""DiagnosticStatus dicts -> diagnostic_msgs/DiagnosticArray, checked with the Humble typestore."""

from __future__ import annotations

import pytest
from health_test_support import camera_status, detector_status

from rvm_common import events
from rvm_common.typestore import humble_typestore, rosbags_factory
from rvm_common.diagnostics_msgs import level_of, level_value, to_diagnostic_array
from rvm_health.readings import ERROR, OK, STALE, WARN

ARRAY = 'diagnostic_msgs/msg/DiagnosticArray'


def cdr_round_trip(msg):
    store = humble_typestore()
    return store.deserialize_cdr(store.serialize_cdr(msg, ARRAY), ARRAY)


def test_core_diagnostics_round_trip_through_cdr(core_and_thermal):
    core, _ = core_and_thermal
    for t in range(1, 21):
        core.observe(events.TOPIC_CAMERA_STATUS, camera_status(t * 10), float(t))
        core.observe(
            events.TOPIC_DETECTOR_STATUS, detector_status(t * 10, 'error' if t > 10 else 'ready'),
            float(t))
        core.update(float(t))
    statuses = core.diagnostics(20.0)
    msg = to_diagnostic_array(
        rosbags_factory(), statuses, stamp_ns=1_764_000_000_123_456_789, frame_id='rvm')
    back = cdr_round_trip(msg)
    assert (back.header.stamp.sec, back.header.stamp.nanosec) == (1_764_000_000, 123_456_789)
    assert [s.name for s in back.status] == [s['name'] for s in statuses]
    by_name = {s.name: s for s in back.status}
    rvm = by_name['rvm_health: RVM status']
    assert level_of(rvm) == ERROR and rvm.hardware_id == 'rvm-test-01'
    assert {kv.key: kv.value for kv in rvm.values}['state'] == 'error'
    detector = by_name['rvm_health: pipeline detector']
    assert level_of(detector) == ERROR
    camera = by_name['rvm_health: pipeline camera']
    assert level_of(camera) == OK
    assert {kv.key: kv.value for kv in camera.values}['rate_hz'] == '10.00'
    assert level_of(by_name['rvm_health: pipeline bridge']) == STALE
    assert level_of(by_name['rvm_health: Temperatures']) == OK


def test_levels_follow_the_message_class_representation():
    class RclpyLike:
        OK = b'\x00'

    class RosbagsLike:
        OK = 0

    assert level_value(RclpyLike, WARN) == b'\x01'
    assert level_value(RosbagsLike, STALE) == 3
    with pytest.raises(ValueError, match='diagnostic level'):
        level_value(RosbagsLike, 7)


def test_empty_values_and_message():
    msg = to_diagnostic_array(rosbags_factory(), [{'name': 'x', 'level': WARN}], stamp_ns=5)
    back = cdr_round_trip(msg)
    assert (
        back.status[0].message == ''
        and list(back.status[0].values) == []
        and level_of(back.status[0]) == WARN
    )
