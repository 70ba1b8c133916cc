"""Helpers for rvm_health tests: recorded data paths, scripted collectors, status payloads.

A uniquely named module (not conftest) so that ``import`` cannot pick up another
package's conftest when the whole repository is collected at once.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from rvm_health.readings import Reading
from rvm_health.resource_monitor import CollectorSlot, ResourceMonitor

DATA = Path(__file__).resolve().parent / 'data'
WALL_START = 1_764_000_000.0  # 2025-11-24T16:00:00Z


class ScriptedCollector:
    """A collector whose next reading the test sets (e.g. a temperature)."""

    def __init__(self, name: str, values: dict[str, Any] | None = None) -> None:
        self.name = name
        self.values = values or {}
        self.closed = False

    def sample(self, now: float) -> Reading:
        return Reading(self.name, dict(self.values))

    def close(self) -> None:
        self.closed = True


def scripted_resources(temperature: float = 45.0) -> tuple[ResourceMonitor, ScriptedCollector]:
    thermal = ScriptedCollector(
        'thermal', {'temperatures': {'cpu-thermal': temperature}, 'unavailable': {}})
    disk = ScriptedCollector('disk', {'disks': [{'path': '/', 'percent': 40.0, 'free_gb': 50.0}]})
    monitor = ResourceMonitor(
        [CollectorSlot(thermal, title='Temperatures'), CollectorSlot(disk, title='Disk')])
    return monitor, thermal


def camera_status(frames: int, state: str = 'online') -> dict[str, Any]:
    return {'type': 'camera-status', 'state': state, 'frames_published': frames, 'fps': 10.0}


def detector_status(frames: int, state: str = 'ready') -> dict[str, Any]:
    return {'state': state, 'frames_processed': frames, 'fps': 10.0, 'last_error': ''}
