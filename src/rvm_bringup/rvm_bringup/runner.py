"""``rvm-edge``: the standalone, ROS-free pipeline (camera -> detector -> health -> bridge).

Composes the same cores the ROS nodes wrap, in one process, wired by an in-process
topic bus (:class:`TopicBus`) that uses the ROS topic names of ``rvm_common.events``.
The params YAML is the base; command-line flags override it (see ``run_config``).

    rvm-edge run --source sample --no-realtime   # the bundled sample, as fast as possible
    rvm-edge run --source video.mp4 --bridge-host 127.0.0.1 --bridge-port 6001 ...
    rvm-edge run --dashboard                     # also start local Soketi + the live dashboard
"""
from __future__ import annotations

import argparse
import logging
import os
import queue
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

from rvm_common import events, log_redact
from rvm_common.params import ConfigError
from rvm_detector.model_loader import ModelLoadError
from rvm_bringup.frame_feed import FrameFeed, unusable_source
from rvm_bringup.run_config import (REPO_ROOT, RunnerConfigs, build_configs, non_negative_float,
                                    non_negative_int, port_number)
from rvm_bringup.item_report import (ItemReport, ProgressTicker, bridge_detail, bridge_words,
                                     detector_detail)
from rvm_bringup.run_banner import model_facts, start_facts

LOG = logging.getLogger('rvm_edge')
Handler = Callable[[str, dict], None]


class TopicBus:
    """In-process stand-in for ROS topics: ``emit(topic, payload)`` calls every subscriber."""

    def __init__(self) -> None:
        self._subscribers: dict[str, list[Handler]] = {}
        self._wildcard: list[Handler] = []
        self.counts: dict[str, int] = {}

    def subscribe(self, topic: str | None, handler: Handler) -> None:
        """Call ``handler(topic, payload)`` for ``topic`` (None: every topic)."""
        if topic is None:
            self._wildcard.append(handler)
        else:
            self._subscribers.setdefault(topic, []).append(handler)

    def emit(self, topic: str, payload: dict) -> None:
        self.counts[topic] = self.counts.get(topic, 0) + 1
        for handler in self._subscribers.get(topic, []) + self._wildcard:
            handler(topic, payload)

    def emit_all(self, pairs) -> None:
        for topic, payload in pairs:
            self.emit(topic, payload)


class Pipeline:
    """The four cores wired together; :meth:`run` processes the source to its end."""

    def __init__(
        self, configs: RunnerConfigs, *, out=sys.stdout, status_period: float | None = None,
        progress_period: float = 5.0, verbose: bool = False,
    ):
        from rvm_bridge.bridge_core import BridgeCore
        from rvm_camera.camera_core import CameraCore
        from rvm_detector.detector_core import DetectorCore
        from rvm_health.health_core import HealthCore

        self.configs = configs
        self.bus = TopicBus()
        self.report = ItemReport(out, online=bool(configs.bridge.host), verbose=verbose)
        self.progress_period = progress_period
        self.bridge_status: dict[str, Any] = {}
        self.camera_status: dict[str, Any] = {}
        self.camera = CameraCore(configs.camera)
        self.detector = DetectorCore(configs.detector)
        self.health = HealthCore(configs.health)
        self.bridge = BridgeCore(configs.bridge, on_inbound=self._inbound)
        # the health node's tick (HealthConfig.tick_period_s), unless a caller sets another
        self.status_period = (
            configs.health.tick_period_s if status_period is None else status_period)
        self._inbound_queue: queue.SimpleQueue = queue.SimpleQueue()
        for topic in sorted(self.bridge.channel_map.routes):    # the topics the channel map names
            self.bus.subscribe(topic, lambda t, p: self.bridge.publish(t, p))
        self.bus.subscribe(None, lambda t, p: self.health.observe(t, p, time.monotonic()))
        self.bus.subscribe(events.TOPIC_VERDICT, lambda t, p: self.report.verdict(p))
        self.bus.subscribe(events.TOPIC_SESSION, lambda t, p: self.report.session(p))
        self.bus.subscribe(events.TOPIC_RVM_STATUS, lambda t, p: self.report.status(p))
        self.bus.subscribe(events.TOPIC_TIMEZONE, lambda t, p: self.report.timezone(p))

    def _inbound(self, topic: str, payload: dict) -> None:
        # Called from the bridge's thread: only queue; the main loop drains it.
        self._inbound_queue.put((topic, payload))

    def _drain_inbound(self, now: float) -> None:
        while not self._inbound_queue.empty():
            topic, payload = self._inbound_queue.get_nowait()
            self.bus.emit(topic, payload)
            if topic == events.TOPIC_COMMAND:
                self.bus.emit_all(self.detector.command(payload))

    def _publish_status(self, now: float) -> None:
        self.camera_status = self.camera.status()
        self.bus.emit(events.TOPIC_CAMERA_STATUS, self.camera_status)
        detector = self.detector.status()
        self.bus.emit(events.TOPIC_DETECTOR_STATUS, detector)
        self.bridge_status = self.bridge.status()
        self.bus.emit(events.TOPIC_BRIDGE_STATUS, self.bridge_status)
        self.bus.emit_all(self.health.update(now))
        self.report.detail('detector', detector_detail(detector))
        self.report.detail('bridge', bridge_detail(self.bridge_status))

    def run(self, *, max_frames: int = 0, flush_timeout: float = 10.0,
            keep_running: Callable[[], bool] = lambda: True) -> dict[str, Any]:
        """Process the source until it ends (or ``max_frames``, or ``keep_running()`` is false);
        return a summary dict (also printed)."""
        facts = start_facts(self.configs, self.bridge.outbox.depth())
        self.report.banner(facts[:-1])
        self.camera.open()              # the source is opened and checked before the model loads
        problem = unusable_source(self.camera)
        if problem:
            self.camera.close()
            self.bridge.stop(timeout=5.0)
            raise ConfigError(f'camera source {self.configs.camera.source}: {problem}')
        self.report.banner(facts[-1:])  # model: loading ...
        loading = time.monotonic()
        self.detector.load()
        self.report.banner(model_facts(self.detector, time.monotonic() - loading))
        self.bridge.start()
        # live sources and --realtime playback: keep-newest back-pressure (see frame_feed)
        feed = FrameFeed.for_camera(self.camera, realtime=self.configs.camera.realtime)
        feed.start()
        frames = 0
        next_status = 0.0
        started = time.monotonic()
        ticker = ProgressTicker(self.progress_period, started)
        try:
            while keep_running():
                now = time.monotonic()
                self._drain_inbound(now)
                if now >= next_status:
                    self._publish_status(now)
                    next_status = now + self.status_period
                fps = ticker.due(now, frames)
                if fps is not None:
                    self.report.progress(frames, fps, self.bridge_status.get('outbox_depth', '?'),
                                         bridge_words(self.bridge_status),
                                         self.camera_status.get('state', '?'))
                frame = feed.next()
                if frame is None:
                    if feed.finished:
                        break
                    self.bus.emit_all(self.detector.tick(now))
                    if not feed.threaded:
                        time.sleep(0.005)
                    continue
                result = self.detector.process(frame.image, frame.stamp_ns, time.monotonic())
                self.bus.emit_all(result.events)
                self.bus.emit_all(self.detector.tick(time.monotonic()))
                frames += 1
                if max_frames and frames >= max_frames:
                    break
        finally:
            feed.stop()
            now = time.monotonic()
            # as the detector node does on shutdown
            self.bus.emit_all(self.detector.shutdown())
            self._drain_inbound(now)
            self._publish_status(now)
            self.bus.emit_all(self.health.close(now))
            online = bool(self.configs.bridge.host)
            if online and self.bridge_status.get('outbox_depth'):
                self.report.banner([('closing', f"delivering {self.bridge_status['outbox_depth']} "
                                                f'queued events (up to {flush_timeout:.0f} s)')])
            delivered = self.bridge.flush(flush_timeout if online else 0.0)
            bridge_status = self.bridge.status()
            self.bridge.stop(timeout=5.0)
            self.camera.close()
        summary = {
            'frames': frames,
            'seconds': round(time.monotonic() - started, 2),
            'verdicts': self.bus.counts.get(events.TOPIC_VERDICT, 0),
            'feed': feed.stats(),
            'events': dict(sorted(self.bus.counts.items())),
            'bridge': bridge_status,
            'delivered': delivered,
        }
        self.report.summary(summary)
        return summary


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='rvm-edge', description=__doc__.split('\n\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)
    run = sub.add_parser('run', help='run the standalone pipeline on a source',
                         description='Run camera -> detector -> health -> bridge in one process. '
                                     'The params YAML is the base; every flag given overrides it.')
    run.add_argument('--source', help="camera source (default: the params file's camera.source); "
                                      "'sample' = the bundled sample video")
    run.add_argument(
        '--params', type=Path,
        help=(
            'ROS 2 params YAML (default: $RVM_EDGE_PARAMS, else config/rvm_edge.params.yaml '
            'of the checkout, else the installed share/rvm_bringup/config/)'
        ),
    )
    run.add_argument('--model', help='YOLO11-seg weights, local path (default: bundled model)')
    run.add_argument('--device', help='auto | cpu | cuda:N')
    run.add_argument('--rvm-id', help='machine id (channel templates and payloads)')
    run.add_argument('--bridge-host', help='Reverb/Pusher host (empty: offline outbox only)')
    run.add_argument('--bridge-port', type=port_number, help='Reverb/Pusher port (1-65535)')
    run.add_argument(
        '--bridge-tls', choices=('true', 'false'), help='use wss/https (default: YAML)')
    run.add_argument('--api-base', help='base URL of the MyRVM API (channel auth, server time)')
    run.add_argument('--app-key', help='Pusher/Reverb app key')
    run.add_argument('--app-id', help='Pusher/Reverb app id (HTTP transport)')
    run.add_argument('--outbox', type=Path,
                     help='SQLite outbox path (default: ~/.rvm_edge/run_outbox.sqlite3; the ROS'
                          ' bridge node keeps ~/.rvm_edge/bridge_outbox.sqlite3)')
    run.add_argument('--send-demo-data', action='store_true', default=None,
                     help='allow verdicts of a non-camera source (sample, video, folder, bag; they'
                          ' carry demo: true) to go to a server that is not on this machine')
    run.add_argument('--max-frames', type=non_negative_int, default=0,
                     help='stop after N frames (0: all)')
    run.add_argument(
        '--realtime', action=argparse.BooleanOptionalAction, default=None,
        help=(
            'pace file sources at their fps (--no-realtime: as fast as possible); '
            'default: camera.realtime of the params file; --dashboard implies --realtime'
        ),
    )
    run.add_argument(
        '--loop', action=argparse.BooleanOptionalAction, default=None,
        help='restart file sources at their end (default: camera.loop of the params file)')
    run.add_argument('--dashboard', action='store_true',
                     help='start a local Soketi + the live dashboard and stream to it')
    run.add_argument(
        '--drain-timeout', type=non_negative_float, default=10.0,
        help=(
            'at the end, wait up to N s for the server to acknowledge queued durable events '
            '(default 10); the last line says how many remain'
        ),
    )
    run.add_argument('--linger', type=non_negative_float, default=None,
                     help='with --dashboard: keep serving N seconds after the run (default 300; '
                          'Ctrl-C ends)')
    from rvm_bringup.dashboard_cli import add_dashboard_arguments
    add_dashboard_arguments(run)
    run.add_argument('-v', '--verbose', action='store_true',
                     help='also print bridge and detector status changes and their log lines')
    from rvm_bringup.evidence_cli import add_evidence_command
    add_evidence_command(sub)
    from rvm_bringup.calibrate_cli import add_calibrate_command
    add_calibrate_command(sub)
    params = sub.add_parser('params', help='print (or --write) config/rvm_edge.params.yaml')
    params.add_argument('--write', action='store_true', help='overwrite the shipped params YAML')
    return parser


class StopSignal:
    """SIGINT/SIGTERM/SIGHUP end the run after the current frame (same summary as a normal end);
    a second signal aborts at once."""

    SIGNALS = tuple(getattr(signal, name) for name in ('SIGINT', 'SIGTERM', 'SIGHUP')
                    if hasattr(signal, name))

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signum: int | None = None

    def install(self) -> None:
        if threading.current_thread() is threading.main_thread():
            for signum in self.SIGNALS:
                signal.signal(signum, self._handle)

    def _handle(self, signum: int, _frame: Any) -> None:
        if self.event.is_set():
            raise KeyboardInterrupt
        self.signum = signum
        self.event.set()
        print(f'\nrvm-edge: {signal.Signals(signum).name} received: stopping '
              '(again to abort at once)', file=sys.stderr, flush=True)

    @property
    def exit_code(self) -> int | None:
        """128 + the signal number once signalled (130 for Ctrl-C, 143 for SIGTERM)."""
        return None if self.signum is None else 128 + self.signum


def _configure_logging(verbose: bool) -> None:
    # OpenCV's own C++ warnings repeat what the camera core already logs (once, with the retry
    # plan)
    # (also with -v: its INFO lines are library internals); OPENCV_LOG_LEVEL set by the user wins
    asked = os.environ.get('OPENCV_LOG_LEVEL')
    os.environ.setdefault('OPENCV_LOG_LEVEL', 'ERROR')
    cv2_log = getattr(getattr(sys.modules.get('cv2'), 'utils', None), 'logging', None)
    if cv2_log is not None and not asked:   # cv2 is already imported by the cores: set it too
        cv2_log.setLogLevel(cv2_log.LOG_LEVEL_ERROR)
    log_redact.install(logging.INFO if verbose else logging.WARNING)
    if verbose:
        for name in ('rvm_bridge', 'rvm_detector', 'rvm_edge'):
            logging.getLogger(name).setLevel(logging.DEBUG)
        for name in ('urllib3', 'websocket', 'PIL', 'matplotlib'):
            logging.getLogger(name).setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    """Console entry point of ``rvm-edge``."""
    args = _parser().parse_args(argv)
    if args.command == 'params':
        from rvm_bringup.params_yaml import render_params_yaml
        from rvm_bringup.run_config import DEFAULT_PARAMS
        text = render_params_yaml()
        if args.write:
            DEFAULT_PARAMS.write_text(text, encoding='utf-8')
            print(f'wrote {DEFAULT_PARAMS}')
        else:
            print(text, end='')
        return 0
    if args.command == 'evidence':
        from rvm_bringup.evidence_cli import run_evidence
        try:
            return run_evidence(args)
        except ConfigError as exc:
            print(f'rvm-edge evidence: {exc}', file=sys.stderr)
            return 2
    if args.command == 'calibrate':
        from rvm_bringup.calibrate_cli import run_calibrate
        from rvm_detector.calibration import CalibrationError
        try:
            return run_calibrate(args)
        except CalibrationError as exc:
            print(f'rvm-edge calibrate: {exc}', file=sys.stderr)
            return 2
    _configure_logging(args.verbose)
    stop = StopSignal()
    stop.install()
    stack = None
    summary: dict[str, Any] = {'frames': 0}
    try:
        if args.dashboard:
            from rvm_bringup.dashboard_cli import start_dashboard
            stack, endpoints = start_dashboard(
                args, REPO_ROOT, keep_waiting=lambda: not stop.event.is_set())
            args = endpoints.apply_to_args(args)
            args.realtime = True
            if args.linger is None:
                args.linger = 300.0
        configs = build_configs(args)
        pipeline = Pipeline(configs, verbose=args.verbose)
        if stack is not None:       # the demo's stand-in keeps what the server would store
            pipeline.bus.subscribe(None, stack.state.record)
        summary = pipeline.run(max_frames=args.max_frames, flush_timeout=args.drain_timeout,
                               keep_running=lambda: not stop.event.is_set())
        if stack is not None and (args.linger or 0) > 0 and not stop.event.is_set():
            print(
                f'serving the dashboard for {args.linger:.0f} s more (Ctrl-C to stop)', flush=True)
            stop.event.wait(args.linger)
    except (ConfigError, FileNotFoundError, ModelLoadError) as exc:
        print(f'rvm-edge: {exc}', file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if 'seconds' not in summary:    # one closing line on every exit path
            print('done: aborted at once by a second signal; queued durable events stay in the '
                  'outbox', flush=True)
        return 130
    finally:
        if stack is not None:
            stack.stop()
    if stop.exit_code is not None:
        if 'seconds' not in summary:
            print(f'done: stopped by {signal.Signals(stop.signum).name} before the pipeline ran; '
                  'no frame processed', flush=True)
        return stop.exit_code
    return 0 if summary['frames'] > 0 else 1


if __name__ == '__main__':
    sys.exit(main())
