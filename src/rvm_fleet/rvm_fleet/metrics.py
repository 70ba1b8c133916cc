"""Fleet-run figures: latency percentiles, reconnect spread, peak rates, process CPU and memory."""

from __future__ import annotations

import bisect
import math
import threading
from typing import Callable, Iterable

import psutil


def percentile(values: list[float], q: float) -> float | None:
    """The ``q``-th percentile (0..100, nearest rank) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def peak_in_window(times: Iterable[float], window_s: float) -> int:
    """The most time stamps inside any window of ``window_s`` seconds."""
    ordered = sorted(times)
    best = 0
    for i, start in enumerate(ordered):
        best = max(best, bisect.bisect_right(ordered, start + window_s) - i)
    return best


def spread(times: list[float]) -> dict[str, float | None]:
    """Where reconnects fell, relative to the first: p10/p50/p90 and max - min (seconds)."""
    if not times:
        return {'p10_s': None, 'p50_s': None, 'p90_s': None, 'span_s': None}
    first = min(times)
    rel = [t - first for t in times]
    return {
        'p10_s': percentile(rel, 10), 'p50_s': percentile(rel, 50), 'p90_s': percentile(rel, 90),
        'span_s': max(rel)}


class CpuMeter:
    """CPU seconds of named processes, across restarts (a new pid under the same name adds up).

    ``pids()`` returns name -> pid now; call :meth:`sample` often enough to see a process
    before it is killed (the fleet samples every second and right before a kill).
    """

    def __init__(self, pids: Callable[[], dict[str, int]]) -> None:
        self._pids = pids
        self._first: dict[tuple[str, int], float] = {}
        self._last: dict[tuple[str, int], float] = {}
        self._procs: dict[int, psutil.Process] = {}
        self._lock = threading.Lock()

    def sample(self) -> None:
        with self._lock:
            for name, pid in self._pids().items():
                try:
                    proc = self._procs.setdefault(pid, psutil.Process(pid))
                    times = proc.cpu_times()
                    used = times.user + times.system + getattr(times, 'children_user', 0.0) \
                        + getattr(times, 'children_system', 0.0)
                except psutil.Error:
                    continue
                self._first.setdefault((name, pid), used)
                self._last[(name, pid)] = used

    def seconds(self) -> dict[str, float]:
        """Name -> CPU seconds used since first seen."""
        with self._lock:
            out: dict[str, float] = {}
            for key, last in self._last.items():
                out[key[0]] = out.get(key[0], 0.0) + last - self._first[key]
            return out


def rss_bytes(pid: int | None = None) -> int:
    """Resident memory of ``pid`` (this process by default)."""
    return psutil.Process(pid).memory_info().rss
