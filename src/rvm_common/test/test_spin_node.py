"""The adapters' shared main (spin_node), exercised with a fake rclpy: signals, shutdown order,
the logging bridge, the parameter refusal and the console-script guard."""
from __future__ import annotations

import logging
import signal
import threading
import types

import pytest
from call_site_logger import CallSiteLogger

from rvm_common import spin_node
from rvm_common.spin_node import (RosLogHandler, bridge_python_logging, install_stop_handlers,
                                  ros_entry, run_node)


#: an rclpy-like logger that also enforces rclpy's one-severity-per-call-site rule
FakeRosLogger = CallSiteLogger


def test_python_records_reach_the_ros_logger_at_their_level_and_nothing_else():
    ros = FakeRosLogger(level=10)
    undo = bridge_python_logging(ros, ['rvm_fakecore'])
    try:
        log = logging.getLogger('rvm_fakecore.part')
        log.debug('d')
        log.info('i %s', 1)
        log.warning('w')
        log.error('e')
        log.critical('c')
        assert ros.records == [
            ('debug', '[rvm_fakecore.part] d'), ('info', '[rvm_fakecore.part] i 1'),
            ('warning', '[rvm_fakecore.part] w'), ('error', '[rvm_fakecore.part] e'),
            ('fatal', '[rvm_fakecore.part] c')]
        assert logging.getLogger('rvm_fakecore').propagate is False, 'no second copy on stderr'
    finally:
        undo()
    logging.getLogger('rvm_fakecore').info('after')
    assert len(ros.records) == 5 and logging.getLogger('rvm_fakecore').propagate is True


def test_the_ros_level_filters_python_records():
    ros = FakeRosLogger(level=30)   # --log-level warn
    undo = bridge_python_logging(ros, ['rvm_fakecore2'])
    try:
        logging.getLogger('rvm_fakecore2').info('dropped')
        logging.getLogger('rvm_fakecore2').warning('kept')
    finally:
        undo()
    assert ros.records == [('warning', '[rvm_fakecore2] kept')]


def test_a_failing_ros_logger_never_raises_into_the_core_and_the_failure_is_reported():
    class Broken:
        def info(self, text):
            raise RuntimeError('context gone')
    handler = RosLogHandler(Broken())
    reported = []
    handler.handleError = reported.append      # logging's hook for a handler that failed
    record = logging.LogRecord('x', logging.INFO, __file__, 1, 'm', (), None)
    handler.emit(record)                        # must not raise
    assert reported == [record]


def test_the_fake_logger_enforces_rclpys_call_site_rule():
    ros = CallSiteLogger(level=10)

    def one_call_site(method):
        getattr(ros, method)('x')
    one_call_site('info')
    with pytest.raises(ValueError, match='severity cannot be changed between calls'):
        one_call_site('warning')
    ros.info('a')          # other call sites keep their own severity
    ros.error('b')
    assert ros.records == [('info', 'x'), ('info', 'a'), ('error', 'b')]


def test_info_then_warning_then_error_all_reach_the_ros_logger():
    ros = CallSiteLogger(level=10)
    handler = RosLogHandler(ros)
    failed = []
    handler.handleError = failed.append
    log = logging.getLogger('rvm_fakecore3')
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    log.propagate = False
    try:
        for _round in range(2):       # the same severities again, from the same handler
            log.info('i')
            log.warning('w')
            log.error('e')
            log.debug('d')
            log.critical('c')
    finally:
        log.removeHandler(handler)
        log.propagate = True
    assert failed == [], 'a record was lost: the ROS logger refused it'
    assert [m for m, _t in ros.records] == ['info', 'warning', 'error', 'debug', 'fatal'] * 2


def test_under_real_rclpy_every_severity_gets_through():
    rclpy_logging = pytest.importorskip(
        'rclpy.logging', reason='rclpy (ROS 2 Humble) is not installed: the fake above checks '
                                'the same call-site rule')
    ros = rclpy_logging.get_logger('rvm_spin_node_test')
    ros.set_level(rclpy_logging.LoggingSeverity.DEBUG)
    handler = RosLogHandler(ros)
    failed = []
    handler.handleError = failed.append
    for level in (logging.INFO, logging.WARNING, logging.ERROR, logging.INFO, logging.DEBUG):
        handler.emit(logging.LogRecord('rvm_x', level, __file__, 1, 'm', (), None))
    assert failed == [], 'rclpy refused a record (severity changed at one call site)'
    assert sorted({c['severity'].name for c in ros.contexts.values()}) == [
        'DEBUG', 'ERROR', 'INFO', 'WARN']


def test_sigterm_only_sets_the_stop_flag_a_second_aborts_and_the_old_handler_comes_back():
    before = signal.getsignal(signal.SIGTERM)
    stop = threading.Event()
    undo = install_stop_handlers(stop)
    try:
        signal.raise_signal(signal.SIGTERM)
        assert stop.is_set()
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)
    finally:
        undo()
    assert signal.getsignal(signal.SIGTERM) is before


class FakeExecutor:
    def __init__(self, rclpy):
        self.rclpy = rclpy

    def add_node(self, node):
        self.rclpy.calls.append('add_node')

    def spin_once(self, timeout_sec=None):
        self.rclpy.spins += 1
        if self.rclpy.spins == 3:
            signal.raise_signal(signal.SIGINT)   # Ctrl-C while spinning


class FakeRclpy:
    """The few rclpy calls run_node makes, recording their order."""

    SignalHandlerOptions = types.SimpleNamespace(NO='NO', ALL='ALL')

    def __init__(self):
        self.calls: list = []
        self.spins = 0
        self.context_ok = False
        self.executors = types.SimpleNamespace(SingleThreadedExecutor=lambda: FakeExecutor(self))

    def init(self, *, args=None, signal_handler_options=None):
        self.calls.append(('init', signal_handler_options))
        self.context_ok = True

    def ok(self):
        return self.context_ok

    def try_shutdown(self):
        self.calls.append('try_shutdown')
        self.context_ok = False


class FakeNode:
    def __init__(self, rclpy):
        self.rclpy = rclpy
        self.logger = FakeRosLogger()

    def get_logger(self):
        return self.logger

    def shutdown(self):
        # the final `offline` status: must be published while the context is valid
        self.rclpy.calls.append(('final status', self.rclpy.ok()))
        logging.getLogger('rvm_fakenode').info('session ended')

    def destroy_node(self):
        self.rclpy.calls.append('destroy_node')


def test_run_node_publishes_the_final_status_before_the_context_goes(monkeypatch):
    monkeypatch.setattr(spin_node, 'FINAL_FLUSH_S', 0.0)
    rclpy = FakeRclpy()
    node_holder = []

    def make():
        node_holder.append(FakeNode(rclpy))
        return node_holder[0]
    sigint_before = signal.getsignal(signal.SIGINT)
    status = run_node(make, ['--ros-args'], logger_names=['rvm_fakenode'], rclpy_module=rclpy)
    assert status == 0
    assert rclpy.calls[0] == ('init', 'NO'), 'rclpy must not install its own signal handlers'
    assert rclpy.calls[1:] == ['add_node', ('final status', True), 'destroy_node', 'try_shutdown']
    assert node_holder[0].logger.records == [('info', '[rvm_fakenode] session ended')]
    assert signal.getsignal(signal.SIGINT) is sigint_before


def test_a_draining_node_keeps_spinning_before_its_shutdown_while_the_context_is_valid(
        monkeypatch):
    monkeypatch.setattr(spin_node, 'FINAL_FLUSH_S', 0.0)
    rclpy = FakeRclpy()

    class Draining(FakeNode):
        def drain_before_shutdown(self, spin_once):
            before = self.rclpy.spins
            spin_once(0.05)
            spin_once(0.05)
            self.rclpy.calls.append(('drained', self.rclpy.spins - before, self.rclpy.ok()))
    assert run_node(lambda: Draining(rclpy), rclpy_module=rclpy) == 0
    assert rclpy.calls[1:] == ['add_node', ('drained', 2, True), ('final status', True),
                               'destroy_node', 'try_shutdown']


def test_run_node_reports_a_node_that_fails_to_start(capsys):
    rclpy = FakeRclpy()

    def make():
        raise RuntimeError('no camera')
    assert run_node(make, rclpy_module=rclpy) == 1
    assert 'RuntimeError: no camera' in capsys.readouterr().err
    assert rclpy.calls[-1] == 'try_shutdown'


def test_node_console_scripts_say_rclpy_is_missing_in_one_line(monkeypatch, capsys):
    import importlib.util
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, 'find_spec', lambda name, *a: None if name == 'rclpy' else real(name, *a))
    assert ros_entry('rvm_camera.camera_node', 'camera_node') == 2
    assert capsys.readouterr().err == 'camera_node: needs ROS 2 Humble (rclpy); use rvm-edge run\n'
    with pytest.raises(SystemExit) as exit_info:
        spin_node.bridge_main()
    assert exit_info.value.code == 2


def test_a_second_signal_during_the_final_steps_aborts_them_but_still_shuts_down(monkeypatch):
    monkeypatch.setattr(spin_node, 'FINAL_FLUSH_S', 0.0)
    rclpy = FakeRclpy()

    class Impatient(FakeNode):
        def shutdown(self):
            self.rclpy.calls.append('final status started')
            signal.raise_signal(signal.SIGTERM)      # launch's SIGTERM after sigterm_timeout
            self.rclpy.calls.append('never reached')
    assert run_node(lambda: Impatient(rclpy), rclpy_module=rclpy) == 0
    assert rclpy.calls[-2:] == ['final status started', 'try_shutdown']


def test_every_adapter_bridges_its_package_loggers_from_construction_on():
    import ast
    from pathlib import Path
    src = Path(__file__).resolve().parents[2]
    adapters = sorted(p for p in src.glob('rvm_*/rvm_*/*_node.py') if p.name != 'spin_node.py')
    assert [p.name for p in adapters] == ['bridge_node.py', 'camera_node.py', 'detector_node.py',
                                          'health_node.py']
    for path in adapters:
        text = path.read_text(encoding='utf-8')
        loggers = next(
            ast.literal_eval(node.value)
            for node in ast.parse(text).body
            if isinstance(node, ast.Assign) and getattr(node.targets[0], 'id', '') == 'LOGGERS'
        )
        assert path.parent.name in loggers and 'rvm_common' in loggers
        after_super = text.split('super().__init__(', 1)[1].split('\n')[1:]
        init = next(line for line in after_super if not line.strip().startswith('#'))
        assert (
            'bridge_python_logging(self.get_logger(), LOGGERS)' in init
        ), f'{path.name}: bridge first'
        assert 'self._undo_logging()' in text
