"""The shared ``main()`` of every rvm-edge rclpy adapter: logging bridge, signals, clean shutdown.

* :func:`run_node` initialises rclpy *without* its signal handlers (Humble:
  ``rclpy.init(signal_handler_options=SignalHandlerOptions.NO)``), installs its own SIGINT /
  SIGTERM / SIGHUP handler that only asks the spin loop to stop (a second signal aborts, as in
  the runner), then lets a node that has ``drain_before_shutdown(spin_once)`` (the bridge) keep
  taking messages (:mod:`rvm_common.shutdown_order`), calls the node's ``shutdown()``
  (final ``offline`` status, end of session) while the context is still valid, and only then
  destroys the node and shuts rclpy down.  rclpy's own handler would invalidate the context first
  ("publisher's context is invalid").
* :class:`RosLogHandler` forwards the cores' Python ``logging`` records to the node's rclpy
  logger (so they carry node name and level and reach ``/rosout``).
* Run-time parameter changes (``ros2 param set``) are applied or refused by
  :mod:`rvm_common.live_params`.

rclpy is imported lazily: the helpers here are tested without ROS.
"""
from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from typing import Any, Callable, Iterable


# One call site per severity.  rclpy's RcutilsLogger keys a context by the calling line
# (function, file, line, instruction) and raises "Logger severity cannot be changed between
# calls." when one line logs at two severities: a single ``getattr(logger, method)(text)``
# would lose every WARNING/ERROR after the first INFO.
def _log_fatal(ros_logger: Any, text: str) -> None:
    ros_logger.fatal(text)


def _log_error(ros_logger: Any, text: str) -> None:
    ros_logger.error(text)


def _log_warning(ros_logger: Any, text: str) -> None:
    ros_logger.warning(text)


def _log_info(ros_logger: Any, text: str) -> None:
    ros_logger.info(text)


def _log_debug(ros_logger: Any, text: str) -> None:
    ros_logger.debug(text)


#: rclpy severities (rcutils) are the Python logging levels: 10 debug ... 50 fatal.
_LEVEL_CALLS = ((logging.CRITICAL, _log_fatal), (logging.ERROR, _log_error),
                (logging.WARNING, _log_warning), (logging.INFO, _log_info))

#: seconds the spin loop waits per round; bounds the latency of a stop request
SPIN_PERIOD_S = 0.1
#: seconds spent after ``shutdown()`` so the final messages leave before the context goes
FINAL_FLUSH_S = 0.3


class RosLogHandler(logging.Handler):
    """A ``logging`` handler that writes every record to an rclpy logger at the same level."""

    def __init__(self, ros_logger: Any):
        super().__init__()
        self._ros_logger = ros_logger
        self.setFormatter(logging.Formatter('[%(name)s] %(message)s'))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
            for level, log_at in _LEVEL_CALLS:
                if record.levelno >= level:
                    log_at(self._ros_logger, text)
                    return
            _log_debug(self._ros_logger, text)
        except Exception:  # noqa: BLE001 - logging must never raise into the core
            self.handleError(record)


def bridge_python_logging(ros_logger: Any, names: Iterable[str]) -> Callable[[], None]:
    """Send the records of the Python loggers ``names`` (and their children) to ``ros_logger``.

    Their level follows the rclpy logger's (``--log-level debug`` lets DEBUG through) and they
    stop propagating to the root logger, so nothing is printed twice.  Returns an undo function.
    """
    handler = RosLogHandler(ros_logger)
    level = _effective_level(ros_logger)
    saved = []
    for name in names:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level, logger.propagate))
        logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False

    def undo() -> None:
        for logger, old_level, old_propagate in saved:
            logger.removeHandler(handler)
            logger.setLevel(old_level)
            logger.propagate = old_propagate
    return undo


def _effective_level(ros_logger: Any) -> int:
    try:
        return int(ros_logger.get_effective_level())
    except Exception:  # noqa: BLE001 - fake or older loggers: INFO, the rclpy default
        return logging.INFO


def to_rclpy(spec: Any) -> Any:
    """The ``rclpy.qos.QoSProfile`` of ``spec`` (:mod:`rvm_common.qos_profiles` spec)."""
    from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
    return QoSProfile(
        history=HistoryPolicy.KEEP_LAST, depth=spec.depth,
        reliability=ReliabilityPolicy.RELIABLE if spec.reliable else ReliabilityPolicy.BEST_EFFORT,
        durability=DurabilityPolicy.TRANSIENT_LOCAL if spec.latched else DurabilityPolicy.VOLATILE)


#: the runner's stop signals (rvm_bringup.runner.StopSignal)
STOP_SIGNALS = tuple(getattr(signal, name) for name in ('SIGINT', 'SIGTERM', 'SIGHUP')
                     if hasattr(signal, name))


def install_stop_handlers(stop: threading.Event,
                          signals: Iterable[int] = STOP_SIGNALS) -> Callable[[], None]:
    """SIGINT/SIGTERM/SIGHUP set ``stop``; a second one aborts at once (KeyboardInterrupt), as in
    the runner.  Returns an undo function."""
    previous = {}

    def handler(signum, _frame) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
    for signum in signals:
        previous[signum] = signal.signal(signum, handler)

    def undo() -> None:
        for signum, old in previous.items():
            signal.signal(signum, old)
    return undo


def run_node(make_node: Callable[[], Any], args: Any = None, *, logger_names: Iterable[str] = (),
             rclpy_module: Any = None, stop: threading.Event | None = None) -> int:
    """Init rclpy, spin ``make_node()`` until SIGINT/SIGTERM or an external shutdown, then end
    cleanly: ``node.shutdown()`` (if any) while the context is valid, destroy, shut down.

    ``logger_names``: Python loggers bridged to the node's rclpy logger.  ``rclpy_module`` and
    ``stop`` are injectable for tests.  Returns the exit status (0, or 1 after an external
    shutdown or a failure to start).
    """
    if rclpy_module is None:
        import rclpy as rclpy_module
        import rclpy.executors  # noqa: F401 - not imported by the rclpy package itself
    rclpy = rclpy_module
    stop = stop or threading.Event()
    rclpy.init(args=args, signal_handler_options=rclpy.SignalHandlerOptions.NO)
    restore_signals = install_stop_handlers(stop)
    node, undo_logging, status = None, None, 0
    executor = rclpy.executors.SingleThreadedExecutor()
    try:
        node = make_node()
        undo_logging = bridge_python_logging(node.get_logger(), logger_names)
        executor.add_node(node)
        while not stop.is_set():
            if not rclpy.ok():
                status = 1          # someone else shut the context down
                break
            executor.spin_once(timeout_sec=SPIN_PERIOD_S)
    except KeyboardInterrupt:
        pass
    except Exception as exc:  # noqa: BLE001 - report, then still shut down cleanly
        print(
            f'{getattr(make_node, "__name__", "node")}: {type(exc).__name__}: {exc}',
            file=sys.stderr)
        status = 1
    finally:
        if node is not None:
            try:
                _final_steps(rclpy, executor, node)
            except KeyboardInterrupt:   # a second signal: stop waiting for the final messages
                pass
        if undo_logging is not None:
            undo_logging()
        restore_signals()
        rclpy.try_shutdown()
    return status


def _final_steps(rclpy: Any, executor: Any, node: Any) -> None:
    drain = getattr(node, 'drain_before_shutdown', None)
    if callable(drain) and rclpy.ok():     # the bridge: take the others' last words first
        try:
            drain(lambda timeout_s: executor.spin_once(timeout_sec=timeout_s))
        except Exception as exc:  # noqa: BLE001 - still run the node's shutdown
            node.get_logger().warning(f'drain before shutdown failed: {exc}')
    final = getattr(node, 'shutdown', None)
    if callable(final) and rclpy.ok():
        try:
            final()
        except Exception as exc:  # noqa: BLE001 - the node is going away either way
            node.get_logger().warning(f'shutdown step failed: {exc}')
        stop_at = time.monotonic() + FINAL_FLUSH_S
        while time.monotonic() < stop_at and rclpy.ok():   # let the last messages leave
            executor.spin_once(timeout_sec=0.05)
    node.destroy_node()


def ros_entry(module: str, prog: str) -> int:
    """Run ``module.main()`` where rclpy exists; else say so in one line and return 2."""
    import importlib
    import importlib.util
    if importlib.util.find_spec('rclpy') is None:
        print(f'{prog}: needs ROS 2 Humble (rclpy); use rvm-edge run', file=sys.stderr)
        return 2
    return int(importlib.import_module(module).main() or 0)


def camera_main() -> None:
    """Console script ``camera_node``."""
    sys.exit(ros_entry('rvm_camera.camera_node', 'camera_node'))


def detector_main() -> None:
    """Console script ``detector_node``."""
    sys.exit(ros_entry('rvm_detector.detector_node', 'detector_node'))


def health_main() -> None:
    """Console script ``health_node``."""
    sys.exit(ros_entry('rvm_health.health_node', 'health_node'))


def bridge_main() -> None:
    """Console script ``bridge_node``."""
    sys.exit(ros_entry('rvm_bridge.bridge_node', 'bridge_node'))
