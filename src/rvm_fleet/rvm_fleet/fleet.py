"""A fleet run: N virtual machines (real bridge cores) against a two-node Redis-backed cluster.

:func:`run_fleet` starts (``server='local'``) Redis, Soketi nodes A and B, the Laravel
stand-in (stores by ``event_id``, acknowledges, re-broadcasts through node B) and a
pusher-js dashboard on node B; starts the machines on node A (ramped at
``start_rate`` per second, as a fleet does not boot in one instant), feeds each its
synthetic stream for ``minutes``, optionally SIGKILLs node A at ``restart_at`` and
starts it again, drains every outbox and returns a :class:`~rvm_fleet.report.FleetReport`.
"""
from __future__ import annotations

import heapq
import os
import random
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from rvm_bridge.bridge_core import BridgeConfig
from rvm_common import events
from rvm_fleet.auth_limit import TokenBucket
from rvm_fleet.machine import VirtualMachine
from rvm_fleet.metrics import CpuMeter, rss_bytes
from rvm_fleet.report import FleetReport, build_report
from rvm_fleet.stream import DURABLE_TOPICS, MachineStream
from rvm_fleet.target import FleetTarget, local_target, remote_target

SECRET_ENV = 'RVM_FLEET_APP_SECRET'
TOKEN_ENV = 'RVM_FLEET_TOKEN'
DASHBOARD_EVENTS = (events.EVENT_DETECTION_COMPLETED, events.EVENT_SESSION_COMPLETED)


@dataclass
class FleetOptions:
    """What to run (see ``rvm-fleet-sim --help``)."""

    machines: int = 20
    minutes: float = 1.0
    rate: float = 20.0                  # verdicts per machine per minute
    server: str = 'local'               # 'local' or ws://host:port of the node the machines use
    dashboard_server: str = ''          # remote: the node the dashboard uses ('' = server)
    restart_at: float | None = None     # seconds into the stream: stop node A, start it again
    # kill: SIGKILL (a crash); graceful: SIGTERM (Soketi sends 4200 first)
    restart_mode: str = 'kill'
    health_period_s: float = 5.0
    ack_timeout_s: float = 10.0
    reconnect_min_s: float = 1.0
    reconnect_max_s: float = 30.0
    # channel-auth requests per second per machine (token bucket)
    auth_rate: float = 1.0
    auth_burst: int = 3
    start_rate: float = 50.0            # machines started per second
    # the dashboard also watches every private-rvm.{id} (relayed client events)
    watch_private: bool = True
    ready_timeout_s: float = 0.0        # 0 = 60 s + 0.5 s per machine
    drain_timeout_s: float = 120.0
    work_dir: str = ''
    seed: int | None = None
    api_base: str = ''                  # remote: MyRVM (auth endpoint + storing listener)
    app_id: str = '1001'
    app_key: str = 'rvm-key'
    progress: Callable[[str], None] = field(default=lambda line: None, repr=False)

    def validate(self) -> None:
        if self.machines < 1 or self.minutes <= 0 or self.rate <= 0:
            raise ValueError('machines must be >= 1, minutes and rate > 0')
        if self.restart_at is not None and self.server != 'local':
            raise ValueError('--restart-at needs the local cluster (--server local): '
                             'a remote server node cannot be killed from here')
        if self.restart_mode not in ('kill', 'graceful'):
            raise ValueError(f'restart mode {self.restart_mode!r}: expected kill or graceful')
        if self.restart_at is not None and not 0 <= self.restart_at < self.minutes * 60:
            raise ValueError(
                f'--restart-at {self.restart_at} s is outside the run ({self.minutes * 60:.0f} s)')


class FleetRun:
    """One run's state: machines, their streams, publish stamps, the restart's stamps."""

    def __init__(self, options: FleetOptions, target: FleetTarget, work: Path) -> None:
        self.o = options
        self.target = target
        self.work = work
        self.rng = random.Random(options.seed)
        self.machines: list[VirtualMachine] = []
        self.streams: list[MachineStream] = []
        # durable event_id -> (machine, wall time)
        self.sent: dict[str, tuple[int, float]] = {}
        self.published = 0
        self.auth_times: list[float] = []
        self.kill_at: float | None = None
        self.up_at: float | None = None
        self.recovered_at: float | None = None
        self.max_ready = 0
        # this process's RSS a while into the stream
        self.rss_streaming: int | None = None
        self._stop = threading.Event()
        self.cpu = CpuMeter(target.pids)

    # -- machines --------------------------------------------------------------------------------
    def _config(self, index: int) -> BridgeConfig:
        t, o = self.target, self.options_for_bridge()
        return BridgeConfig(
            host=t.host, port=t.port, tls=False, app_key=t.key, app_id=t.app_id,
            app_secret_env=SECRET_ENV, auth_token_env=TOKEN_ENV, api_base=t.api_base,
            rvm_id=machine_id(index), outbox_path=str(self.work / f'outbox-{index:04d}.sqlite3'),
            timezone_sync_on_start=False, timezone_heartbeat_s=0.0, status_period_s=0.0, **o)

    def options_for_bridge(self) -> dict[str, Any]:
        o = self.o
        return dict(
            ack_timeout_s=o.ack_timeout_s, retry_min_s=o.reconnect_min_s,
            retry_max_s=o.reconnect_max_s, auth_retry_s=2.0, http_timeout_s=5.0)

    def start_machines(self) -> None:
        o = self.o
        for i in range(o.machines):
            vm = VirtualMachine(
                self._config(i), auth_bucket=lambda: TokenBucket(o.auth_rate, o.auth_burst),
                on_auth=lambda channel, when: self.auth_times.append(when), clock=time.time)
            self.machines.append(vm)
            vm.start()
            time.sleep(1.0 / o.start_rate)
        timeout = o.ready_timeout_s or 60.0 + 0.5 * o.machines
        if not wait_until(lambda: self.ready_count() == o.machines, timeout):
            raise TimeoutError(
                f'only {self.ready_count()}/{o.machines} machines connected and subscribed '
                f'within {timeout:.0f} s'
            )

    def ready_count(self) -> int:
        return sum(1 for vm in self.machines if vm.ready())

    # -- the stream ------------------------------------------------------------------------------
    def run_stream(self) -> float:
        """Publish every machine's stream for ``minutes``; returns its start (wall time)."""
        o = self.o
        start = time.time()
        self.streams = [
            MachineStream(
                vm.rvm_id, rate_per_min=o.rate, health_period_s=o.health_period_s, start=start,
                rng=random.Random(self.rng.random()))
            for vm in self.machines
        ]
        heap = [(s.due(), i) for i, s in enumerate(self.streams)]
        heapq.heapify(heap)
        end = start + o.minutes * 60.0
        restart_due = start + o.restart_at if o.restart_at is not None else None
        # early: the dashboard's records (this process) stay small
        rss_due = start + min(10.0, o.minutes * 30.0)
        while True:
            now = time.time()
            if now >= end:
                break
            if self.rss_streaming is None and now >= rss_due:
                self.rss_streaming = rss_bytes()
            if restart_due is not None and now >= restart_due:
                restart_due = None
                threading.Thread(
                    target=self._restart_node, name='fleet-restart', daemon=True).start()
            due, i = heap[0]
            if due > now:
                time.sleep(min(due - now, 0.1))
                continue
            heapq.heappop(heap)
            for topic, payload in self.streams[i].step(now):
                if topic in DURABLE_TOPICS:
                    self.sent[payload['event_id']] = (i, time.time())
                self.machines[i].publish(topic, payload)
                self.published += 1
            heapq.heappush(heap, (self.streams[i].due(), i))
        return start

    def _restart_node(self) -> None:
        self.cpu.sample()
        self.kill_at = time.time()
        self.o.progress(f'stopping node A ({self.o.restart_mode}, pid {self.target.node_a().pid})')
        self.target.node_a().restart(graceful=self.o.restart_mode == 'graceful', timeout=60.0)
        self.up_at = time.time()
        self.o.progress(f'node A back after {self.up_at - self.kill_at:.1f} s')

    def monitor(self) -> None:
        """Every 0.25 s: machines ready (and when all are again after the kill); CPU every 1 s."""
        last_cpu = 0.0
        while not self._stop.wait(0.25):
            ready = self.ready_count()
            self.max_ready = max(self.max_ready, ready)
            if self.kill_at is not None and self.recovered_at is None and self.up_at is not None \
                    and ready == len(self.machines):
                self.recovered_at = time.time()
                self.o.progress(
                    f'fleet recovered {self.recovered_at - self.kill_at:.1f} s after the kill')
            if time.monotonic() - last_cpu >= 1.0:
                last_cpu = time.monotonic()
                self.cpu.sample()

    def drain(self) -> bool:
        """Wait until every outbox is empty (every durable event acknowledged as stored)."""
        return wait_until(
            lambda: sum(vm.outbox_depth() for vm in self.machines) == 0, self.o.drain_timeout_s,
            interval=0.5)

    def stop_machines(self) -> None:
        with ThreadPoolExecutor(max_workers=32) as pool:
            list(pool.map(lambda vm: vm.stop(3.0), self.machines))


def machine_id(index: int) -> str:
    """The rvm_id of virtual machine ``index``."""
    return f'fleet-{index:04d}'


def wait_until(predicate: Callable[[], bool], timeout: float, *, interval: float = 0.25) -> bool:
    """Poll ``predicate`` until true or ``timeout`` s passed; its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def run_fleet(options: FleetOptions) -> FleetReport:
    """Run one fleet as ``options`` says; the figures as a FleetReport."""
    options.validate()
    tmp = tempfile.TemporaryDirectory(prefix='rvm-fleet-') if not options.work_dir else None
    work = Path(options.work_dir or tmp.name)
    work.mkdir(parents=True, exist_ok=True)
    saved = {k: os.environ.get(k) for k in (SECRET_ENV, TOKEN_ENV)}
    target = local_target(work) if options.server == 'local' else remote_target(options)
    run: FleetRun | None = None
    monitor: threading.Thread | None = None
    report: FleetReport | None = None
    try:
        target.start(options.progress)
        os.environ[SECRET_ENV], os.environ[TOKEN_ENV] = target.secret, target.token
        private = (
            [f'private-rvm.{machine_id(i)}' for i in range(options.machines)]
            if options.watch_private
            else []
        )
        dashboard = target.dashboard(['detection-results'] + private)
        run = FleetRun(options, target, work)
        rss_before = rss_bytes()
        monitor = threading.Thread(target=run.monitor, name='fleet-monitor', daemon=True)
        monitor.start()
        t0 = time.time()
        run.start_machines()
        connected_s = time.time() - t0
        options.progress(f'{options.machines} machines connected in {connected_s:.1f} s')
        cpu_start = time.process_time()
        run.cpu.sample()
        start = run.run_stream()
        stream_end = time.time()
        run.cpu.sample()
        edge_cpu_s = time.process_time() - cpu_start
        drained = run.drain()
        wait_until(lambda: set(run.sent) <= _seen_ids(dashboard), 20.0, interval=0.5)
        report = build_report(
            run, dashboard, start=start, end=stream_end, drained=drained,
            rss_per_machine=((run.rss_streaming or rss_bytes()) - rss_before) / options.machines,
            edge_cpu_s=edge_cpu_s, connect_s=connected_s, receiver_ids=target.stored_ids())
    finally:
        if run is not None:
            run._stop.set()
            run.stop_machines()
        if monitor is not None:
            monitor.join(2.0)
        closing = target.close()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        if tmp is not None:
            tmp.cleanup()
    if 'duplicates' in closing:
        report.resent_absorbed = int(closing['duplicates'])
    if closing.get('errors'):
        report.notes.append(f'Laravel stand-in errors (last): {closing["errors"][-1]}')
    return report


def _seen_ids(dashboard: Any) -> set[str]:
    return {r['data'].get('event_id') for r in dashboard.events('detection-results')
            if r.get('event') in DASHBOARD_EVENTS and isinstance(r.get('data'), dict)}
