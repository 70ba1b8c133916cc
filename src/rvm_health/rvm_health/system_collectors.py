"""psutil-based collectors: CPU, memory, disks, graph processes and uptime.

Each collector has ``name``, ``sample(now) -> Reading`` (never raises) and
``close()``.  All of them are non-blocking: psutil's ``cpu_percent`` is used
in its interval-free form (change since the previous call).
"""
from __future__ import annotations

import os
import time
from typing import Any, Sequence

from rvm_health.readings import Reading, mb

try:  # psutil is a runtime dependency, but a missing module must not crash the node.
    import psutil
except ImportError:  # pragma: no cover - exercised only on broken installs
    psutil = None  # type: ignore[assignment]

_NO_PSUTIL = 'psutil is not installed'


class CpuCollector:
    """Total and per-core CPU percent and the 1/5/15 min load averages."""

    name = 'cpu'

    def __init__(self) -> None:
        if psutil is not None:
            psutil.cpu_percent(percpu=True)  # prime the counters

    def sample(self, now: float) -> Reading:
        if psutil is None:
            return Reading.absent(self.name, _NO_PSUTIL)
        try:
            per_core = [round(p, 1) for p in psutil.cpu_percent(percpu=True)]
            load = os.getloadavg() if hasattr(os, 'getloadavg') else (0.0, 0.0, 0.0)
        except (OSError, RuntimeError) as exc:
            return Reading.failed(self.name, f'cannot read CPU usage: {exc}')
        total = round(sum(per_core) / len(per_core), 1) if per_core else 0.0
        return Reading(
            self.name,
            {
                'percent': total, 'per_core': per_core, 'count': len(per_core),
                'load_1m': round(load[0], 2), 'load_5m': round(load[1], 2),
                'load_15m': round(load[2], 2)},
        )

    def close(self) -> None:
        pass


class MemoryCollector:
    """RAM and swap use."""

    name = 'memory'

    def sample(self, now: float) -> Reading:
        if psutil is None:
            return Reading.absent(self.name, _NO_PSUTIL)
        try:
            vm = psutil.virtual_memory()
            sw = psutil.swap_memory()
        except (OSError, RuntimeError) as exc:
            return Reading.failed(self.name, f'cannot read memory usage: {exc}')
        return Reading(
            self.name,
            {
                'percent': round(vm.percent, 1), 'used_mb': mb(vm.total - vm.available),
                'total_mb': mb(vm.total), 'available_mb': mb(vm.available),
                'swap_percent': round(sw.percent, 1), 'swap_used_mb': mb(sw.used),
                'swap_total_mb': mb(sw.total)},
        )

    def close(self) -> None:
        pass


class DiskCollector:
    """Use of each configured path's filesystem; a missing path is a warning, not a failure."""

    name = 'disk'

    def __init__(self, paths: Sequence[str]) -> None:
        self.paths = [str(p) for p in paths]

    def sample(self, now: float) -> Reading:
        if psutil is None:
            return Reading.absent(self.name, _NO_PSUTIL)
        if not self.paths:
            return Reading.absent(self.name, 'no disk_paths configured')
        disks: list[dict[str, Any]] = []
        warnings: list[str] = []
        for path in self.paths:
            try:
                usage = psutil.disk_usage(path)
            except OSError as exc:
                warnings.append(f'{path}: {exc.strerror or exc}')
                continue
            disks.append({'path': path, 'percent': round(usage.percent, 1),
                          'free_gb': round(usage.free / 1024 ** 3, 2),
                          'total_gb': round(usage.total / 1024 ** 3, 2)})
        if not disks:
            return Reading(
                self.name, {'disks': []}, ok=False, reason='; '.join(warnings), warnings=warnings)
        return Reading(self.name, {'disks': disks}, warnings=warnings)

    def close(self) -> None:
        pass


class ProcessCollector:
    """RSS of the graph's processes, matched by substrings of their command line.

    The process table is scanned every ``rescan_s`` (a scan reads every
    /proc/<pid>/cmdline, tens of ms); in between only the matched processes'
    memory is read.
    """

    name = 'processes'

    def __init__(self, patterns: Sequence[str], rescan_s: float = 10.0) -> None:
        self.patterns = [p for p in patterns if p]
        self.rescan_s = rescan_s
        self._matched: dict[int, tuple[str, Any]] = {}
        self._last_scan: float | None = None

    def _scan(self) -> None:
        matched: dict[int, tuple[str, Any]] = {}
        for proc in psutil.process_iter(['cmdline', 'name']):
            try:
                cmdline = ' '.join(proc.info.get('cmdline') or []) or (proc.info.get('name') or '')
            except (psutil.Error, OSError):
                continue
            pattern = next((p for p in self.patterns if p in cmdline), None)
            if pattern is not None:
                matched[proc.pid] = (pattern, proc)
        self._matched = matched

    def sample(self, now: float) -> Reading:
        if psutil is None:
            return Reading.absent(self.name, _NO_PSUTIL)
        if not self.patterns:
            return Reading.absent(self.name, 'no process_patterns configured')
        if (
            self._last_scan is None
            or now - self._last_scan >= self.rescan_s
            or now < self._last_scan
        ):
            self._scan()
            self._last_scan = now
        found: dict[str, dict[str, Any]] = {}
        for pid, (pattern, proc) in list(self._matched.items()):
            try:
                rss = proc.memory_info().rss
            except (psutil.Error, OSError):
                del self._matched[pid]  # exited (or no longer ours to read)
                continue
            entry = found.setdefault(pattern, {'pattern': pattern, 'pids': [], 'rss_mb': 0.0})
            entry['pids'].append(pid)
            entry['rss_mb'] = round(entry['rss_mb'] + mb(rss), 1)
        missing = [p for p in self.patterns if p not in found]
        return Reading(self.name, {'processes': list(found.values()), 'not_running': missing})

    def close(self) -> None:
        pass


class UptimeCollector:
    """System uptime (from boot) and the health node's own uptime."""

    name = 'uptime'

    def __init__(self, started_at: float) -> None:
        self.started_at = started_at

    def sample(self, now: float) -> Reading:
        values: dict[str, Any] = {'node_uptime_s': round(max(0.0, now - self.started_at), 1)}
        if psutil is not None:
            try:
                values['system_uptime_s'] = round(time.time() - psutil.boot_time(), 1)
            except (OSError, RuntimeError):
                pass
        return Reading(self.name, values)

    def close(self) -> None:
        pass
