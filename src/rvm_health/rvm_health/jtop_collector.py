"""Jetson statistics from jetson-stats (``jtop``) when it is installed and its service runs.

jtop talks to the ``jtop.service`` socket; connecting can block, so the
connection lives in a daemon thread and :meth:`JtopCollector.sample` only reads
the latest ``jetson.stats`` snapshot.
"""
from __future__ import annotations

import threading
from typing import Any

from rvm_health.readings import Reading


def jtop_available() -> tuple[bool, str]:
    """(importable, reason when not)."""
    try:
        import jtop  # noqa: F401
    except ImportError:
        return False, 'jetson-stats (jtop) is not installed'
    return True, ''


def jtop_stats_section(stats: dict[str, Any]) -> dict[str, Any]:
    """Map a ``jetson.stats`` dict (keys like 'GPU', 'Temp cpu', 'Power TOT') to ``gpu.jetson``."""
    section: dict[str, Any] = {'source': 'jtop'}
    if isinstance(stats.get('GPU'), (int, float)):
        section['gpu_percent'] = stats['GPU']
    temps = {}
    offline = []
    for key, value in stats.items():
        if (
            isinstance(key, str)
            and key.lower().startswith('temp ')
            and isinstance(value, (int, float))
        ):
            name = key[5:]
            if value <= -200:
                offline.append(name)
            else:
                temps[name] = float(value)
    if temps or offline:
        section['temperatures'], section['offline_sensors'] = temps, offline
    power = {k[6:]: int(v) for k, v in stats.items()
             if isinstance(k, str) and k.startswith('Power ') and isinstance(v, (int, float))}
    if power:
        section['power_mw'] = power
        if 'TOT' in power:
            section['power_total_mw'] = power['TOT']
    return section


class JtopCollector:
    """Reads jtop in a background thread; ``sample`` returns the latest snapshot."""

    name = 'jetson'

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stats: dict[str, Any] | None = None
        self._error = ''
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        try:
            from jtop import jtop
            with jtop() as jetson:
                while not self._stop.is_set() and jetson.ok():
                    with self._lock:
                        self._stats = dict(jetson.stats)
        except Exception as exc:  # jtop raises its own JtopException and socket errors
            with self._lock:
                self._error = f'jtop: {exc}'

    def sample(self, now: float) -> Reading:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name='jtop', daemon=True)
            self._thread.start()
        with self._lock:
            stats, error = self._stats, self._error
        if error:
            return Reading.failed(self.name, error)
        if stats is None:
            return Reading(self.name, {'source': 'jtop'}, reason='waiting for jtop')
        return Reading(self.name, jtop_stats_section(stats))

    def close(self) -> None:
        self._stop.set()
