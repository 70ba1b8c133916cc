"""The RVM status state machine, driven through HealthCore with a fake clock."""
from __future__ import annotations

import pytest
from health_test_support import WALL_START, camera_status, detector_status

from rvm_common import events
from rvm_health.rvm_state import STATE_RULES, RvmStateMachine, StateInputs


def statuses(emitted):
    return [p for topic, p in emitted if topic == events.TOPIC_RVM_STATUS]


class Pipeline:
    """Feeds camera and detector statuses at 1 Hz (10 frames per second each)."""

    def __init__(self, core):
        self.core, self.t, self.frames, self.emitted = core, 0.0, 0, []

    def run(self, seconds: int, camera: str = 'online', detector: str = 'ready', camera_alive=True,
            detector_alive=True, each=None):
        for _ in range(seconds):
            self.t += 1.0
            self.frames += 10
            if camera_alive:
                self.core.observe(
                    events.TOPIC_CAMERA_STATUS, camera_status(self.frames, camera), self.t)
            if detector_alive:
                self.core.observe(
                    events.TOPIC_DETECTOR_STATUS, detector_status(self.frames, detector), self.t)
            if each:
                each(self.t)
            self.emitted += self.core.update(self.t)
        return statuses(self.emitted)

    def states(self):
        return [p['state'] for p in statuses(self.emitted)]


def test_table_covers_every_state_and_ends_with_a_catch_all():
    assert {rule.state for rule in STATE_RULES} == set(events.RVM_STATES)
    assert STATE_RULES[-1].condition(StateInputs()) is True


def test_first_evaluation_reports_the_state_with_no_previous_state():
    machine = RvmStateMachine(0.0)
    assert machine.evaluate(StateInputs(), 0.0)
    assert (machine.status.state, machine.status.previous_state) == ('online', None)
    assert not machine.evaluate(StateInputs(), 1.0)


def test_startup_running_idle_processing(core_and_thermal):
    core, _ = core_and_thermal
    pipe = Pipeline(core)
    first = pipe.run(1)
    assert first[0]['state'] == 'online' and first[0]['previous_state'] is None
    assert first[0]['since'] == events.utc_iso(WALL_START)
    pipe.run(60)
    assert pipe.states() == ['online', 'idle']
    assert statuses(pipe.emitted)[-1]['reasons'] == ['no item for 60 s']
    core.observe(events.TOPIC_PROCESSING, {'item_id': 'i1', 'status': 'processing'}, pipe.t)
    pipe.run(1)
    assert pipe.states()[-1] == 'processing'
    pipe.run(20)     # item still open (no verdict yet) -> stays processing
    assert pipe.states()[-1] == 'processing'
    core.observe(events.TOPIC_VERDICT, {'item_id': 'i1', 'accepted': True}, pipe.t)
    pipe.run(5)
    assert pipe.states()[-1] == 'processing'   # processing_hold_s
    pipe.run(2)
    assert pipe.states()[-1] == 'online'
    pipe.run(60)
    assert pipe.states() == ['online', 'idle', 'processing', 'online', 'idle']
    assert core.counters['items'] == 1 and core.counters['accepted'] == 1


def test_session_summary_is_not_item_activity(core_and_thermal):
    core, _ = core_and_thermal
    pipe = Pipeline(core)
    pipe.run(61)
    assert pipe.states() == ['online', 'idle']
    core.observe(events.TOPIC_SESSION, {'session_id': 's1', 'reason': 'idle_timeout'}, pipe.t)
    pipe.run(1)
    assert pipe.states() == ['online', 'idle'] and core.counters['sessions'] == 1


def test_camera_stopping_gives_error_then_recovery(core_and_thermal):
    core, _ = core_and_thermal
    pipe = Pipeline(core)
    pipe.run(20)
    assert pipe.states() == ['online']
    pipe.run(5, camera_alive=False)
    assert pipe.states() == ['online']     # 5 s is the stale limit, not past it yet
    pipe.run(1, camera_alive=False)
    error = statuses(pipe.emitted)[-1]
    assert error['state'] == 'error' and error['previous_state'] == 'online'
    assert error['reasons'] == ['camera: no status on camera/status for more than 5 s']
    pipe.run(30, camera_alive=False)
    assert pipe.states() == ['online', 'error']   # reasons stable: no repeated events
    pipe.run(1)
    assert pipe.states()[-1] == 'online'


def test_short_reconnect_does_not_flip_the_state_but_a_long_one_does(core_and_thermal):
    core, _ = core_and_thermal
    pipe = Pipeline(core)
    pipe.run(20)
    pipe.run(2, camera='reconnecting')
    pipe.run(5)
    assert pipe.states() == ['online']
    pipe.run(4, camera='reconnecting')
    assert pipe.states() == ['online', 'error']
    assert statuses(pipe.emitted)[-1]['reasons'] == ['camera: reconnecting']


def test_detector_error_state(core_and_thermal):
    core, _ = core_and_thermal
    pipe = Pipeline(core)
    pipe.run(20)
    pipe.run(4, detector='error')
    assert pipe.states()[-1] == 'error'


def test_missing_components_during_startup_grace_are_not_errors(core_and_thermal):
    core, _ = core_and_thermal
    pipe = Pipeline(core)
    pipe.run(14, camera_alive=False, detector_alive=False)
    assert pipe.states() == ['online']
    pipe.run(2, camera_alive=False, detector_alive=False)
    assert pipe.states() == ['online', 'error']
    assert len(statuses(pipe.emitted)[-1]['reasons']) == 2
    pipe.run(60, camera_alive=False, detector_alive=False)
    assert pipe.states()[-1] == 'offline'
    assert statuses(pipe.emitted)[-1]['reasons'] == ['no pipeline component reporting for 60 s']


def test_maintenance_command_overrides_and_releases(core_and_thermal):
    core, _ = core_and_thermal
    pipe = Pipeline(core)
    pipe.run(20)
    core.observe(events.TOPIC_COMMAND, {'command': 'maintenance_on'}, pipe.t)
    pipe.run(1)
    assert pipe.states()[-1] == 'maintenance'
    pipe.run(10, camera_alive=False)   # a technician unplugs the camera: still maintenance
    last = statuses(pipe.emitted)[-1]
    assert last['state'] == 'maintenance' and last['reasons'][0] == 'maintenance mode (command)'
    assert any('camera' in r for r in last['reasons'])
    core.observe(events.TOPIC_COMMAND, {'command': 'maintenance_off'}, pipe.t)
    pipe.run(1)
    assert pipe.states()[-1] == 'online'
    # another node's command
    core.observe(events.TOPIC_COMMAND, {'command': 'end_session'}, pipe.t)
    assert core.counters['unknown_command'] == 1


def test_error_alert_puts_the_rvm_in_error_and_maintenance_alert_does_not(core_and_thermal):
    core, thermal = core_and_thermal
    pipe = Pipeline(core)
    pipe.run(20)
    thermal.values['temperatures'] = {'cpu-thermal': 85.0}
    pipe.run(12)
    last = statuses(pipe.emitted)[-1]
    assert last['state'] == 'online' and [a['id'] for a in last['alerts']] == ['temperature_high']
    thermal.values['temperatures'] = {'cpu-thermal': 97.0}
    pipe.run(6)
    last = statuses(pipe.emitted)[-1]
    assert last['state'] == 'error'
    assert {a['id'] for a in last['alerts']} == {'temperature_high', 'temperature_critical'}
    assert any('97.0 C' in r for r in last['reasons'])


def test_noisy_temperature_gives_one_status_event_for_the_alert(core_and_thermal):
    core, thermal = core_and_thermal
    pipe = Pipeline(core)
    pipe.run(20)
    values = [82.0] * 12 + [79.0, 81.5, 77.5, 83.0, 78.5, 80.5] * 30
    it = iter(values)

    def set_temp(t):
        thermal.values['temperatures'] = {'cpu-thermal': next(it)}
    pipe.run(len(values), each=set_temp)
    alert_sets = [tuple(a['id'] for a in p['alerts']) for p in statuses(pipe.emitted)]
    changes = [b for a, b in zip(alert_sets, alert_sets[1:]) if a != b]
    assert changes == [('temperature_high',)]   # raised once, never cleared by the noise
    # initial online, the raise, and online -> idle (no items for 60 s): no storm
    assert pipe.states() == ['online', 'online', 'idle']


def test_close_publishes_offline(core_and_thermal):
    core, thermal = core_and_thermal
    pipe = Pipeline(core)
    pipe.run(3)
    final = statuses(core.close(pipe.t + 1))
    assert final[0]['state'] == 'offline' and final[0]['reasons'] == ['health node stopping']


def test_health_is_emitted_at_the_configured_rate(core_and_thermal):
    core, _ = core_and_thermal
    pipe = Pipeline(core)
    pipe.run(20)
    health = [p for topic, p in pipe.emitted if topic == events.TOPIC_HEALTH]
    assert len(health) == 4   # t = 1, 6, 11, 16 at 0.2 Hz
    assert health[-1]['pipeline']['camera_fps'] == 10.0


@pytest.mark.parametrize('text', ['{not json', '[1, 2]', '"camera"'])
def test_malformed_status_messages_are_counted_not_raised(core_and_thermal, text):
    core, _ = core_and_thermal
    error = core.observe_raw(events.TOPIC_CAMERA_STATUS, text, 1.0)
    assert error.startswith('camera/status: ')
    assert core.counters['malformed'] == 1
    assert core.observe_raw(events.TOPIC_CAMERA_STATUS, '{"state": "online"}', 1.0) is None


def test_hostile_payloads_never_break_the_core_or_its_json(core_and_thermal):
    import random
    core, _ = core_and_thermal
    rng = random.Random(3)
    weird = [
        None, True, float('nan'), float('inf'), -1e308, 'x' * 300, [], {}, {'a': [1]}, -5, 2**70]
    topics = [
        events.TOPIC_CAMERA_STATUS, events.TOPIC_DETECTOR_STATUS, events.TOPIC_BRIDGE_STATUS,
        events.TOPIC_VERDICT, events.TOPIC_PROCESSING, events.TOPIC_SESSION, events.TOPIC_COMMAND,
        'some/other']
    keys = [
        'state', 'status', 'frames_published', 'frames_processed', 'fps', 'outbox_depth', 'outbox',
        'item_id', 'accepted', 'command', 'reason', 'last_error']
    for step in range(600):
        payload = {k: rng.choice(weird) for k in rng.sample(keys, 4)}
        core.observe(rng.choice(topics), payload, step * 0.1)
        for _, out in core.update(step * 0.1):
            events.dumps(out)  # raises on NaN/inf or non-JSON values
    for status in core.diagnostics(60.0):
        assert all(isinstance(v, str) for v in status['values'].values())
