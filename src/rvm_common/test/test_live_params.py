"""Run-time parameter changes (rvm_common.live_params): applied by the node's appliers, or
refused with the reason; read-only parameters never reach an applier."""
from __future__ import annotations

import dataclasses
import sys
import types

import pytest

from rvm_common.live_params import LiveParameters, coverage_problems, install, read_only_names
from rvm_common.params import ConfigError, param


@dataclasses.dataclass(frozen=True)
class Demo:
    source: str = param('/dev/video0', 'where frames come from', read_only=True)
    fps: float = param(15.0, 'frames per second', minimum=0.1, maximum=120.0)
    period_s: float = param(1.0, 'timer period', minimum=0.01)
    jpeg: int = param(90, 'JPEG quality', minimum=1, maximum=100)


def _live(calls):
    def core(old, new):
        calls.append(('core', old.fps, new.fps, new.jpeg))

    def timer(old, new):
        calls.append(('timer', new.period_s))
    return LiveParameters(Demo, Demo(), {'fps': core, 'jpeg': core, 'period_s': timer},
                          section='camera')


def test_a_change_runs_its_applier_once_with_the_old_and_new_config():
    calls = []
    live = _live(calls)
    assert live.apply({'fps': 5.0, 'jpeg': 80}) == (True, '')
    assert calls == [('core', 15.0, 5.0, 80)], 'one applier, once, for both of its parameters'
    assert (live.config.fps, live.config.jpeg) == (5.0, 80)
    assert live.apply({'period_s': 0.5}) == (True, '') and calls[-1] == ('timer', 0.5)


def test_an_unchanged_value_runs_no_applier():
    calls = []
    live = _live(calls)
    assert live.apply({'fps': 15.0}) == (True, '') and calls == []


def test_read_only_and_invalid_values_are_refused_with_the_reason_and_nothing_changes():
    calls = []
    live = _live(calls)
    ok, reason = live.apply({'source': '/dev/video1'})
    assert not ok and reason.startswith('source: read-only at run time') and 'restart' in reason
    ok, reason = live.apply({'fps': 500.0})
    assert not ok and reason == 'camera.fps: 500.0 is out of range (allowed: 0.1..120.0)'
    assert calls == [] and live.config == Demo()


def test_an_applier_that_fails_refuses_the_change_and_keeps_the_old_config():
    def broken(old, new):
        raise RuntimeError('device busy')

    def refuses(old, new):
        raise ConfigError('camera.jpeg: the encoder refuses 7')
    live = LiveParameters(Demo, Demo(), {'fps': broken, 'jpeg': refuses, 'period_s': broken})
    assert live.apply({'fps': 5.0}) == (
        False, 'fps: could not be applied: RuntimeError: device busy')
    assert live.apply({'jpeg': 7}) == (False, 'camera.jpeg: the encoder refuses 7')
    assert live.config == Demo()


def test_coverage_every_parameter_is_read_only_or_applied():
    assert read_only_names(Demo) == {'source'}
    assert coverage_problems(Demo, ['fps', 'jpeg', 'period_s']) == []
    assert coverage_problems(Demo, ['fps', 'source', 'nope']) == [
        'jpeg: neither read-only nor applied at run time',
        'period_s: neither read-only nor applied at run time',
        'source: read-only but has an applier', 'nope: no such parameter']
    live = LiveParameters(Demo, Demo(), {'fps': lambda o, n: None})
    assert live.problems and live.apply({'jpeg': 50})[0] is False, 'unapplied: refused'


@pytest.fixture
def fake_rcl_interfaces(monkeypatch):
    class SetParametersResult:          # rcl_interfaces.msg.SetParametersResult's two fields
        def __init__(self, successful=False, reason=''):
            self.successful, self.reason = successful, reason
    msg = types.ModuleType('rcl_interfaces.msg')
    msg.SetParametersResult = SetParametersResult
    monkeypatch.setitem(sys.modules, 'rcl_interfaces', types.ModuleType('rcl_interfaces'))
    monkeypatch.setitem(sys.modules, 'rcl_interfaces.msg', msg)


def test_install_answers_ros2_param_set_truthfully(fake_rcl_interfaces):
    class Node:
        def __init__(self):
            self.callbacks, self.warnings = [], []

        def add_on_set_parameters_callback(self, callback):
            self.callbacks.append(callback)

        def get_logger(self):
            return types.SimpleNamespace(warning=self.warnings.append)
    node = Node()
    calls = []
    on_set = install(node, _live(calls))
    assert node.callbacks == [on_set] and node.warnings == []
    p = types.SimpleNamespace
    refused = on_set([p(name='fps', value=500.0)])
    assert not refused.successful and 'out of range' in refused.reason
    applied = on_set([p(name='fps', value=30.0)])
    assert applied.successful and calls == [('core', 15.0, 30.0, 90)]
    partial = Node()
    install(partial, LiveParameters(Demo, Demo(), {}))
    assert partial.warnings == [
        'parameter fps: neither read-only nor applied at run time; changes to it are refused',
        'parameter jpeg: neither read-only nor applied at run time; changes to it are refused',
        'parameter period_s: neither read-only nor applied at run time; changes to it are '
        'refused']
