"""Builds the resource collectors from the config, samples them and shapes their output.

Detection happens once, at construction: a source that is not present is
reported with the reason.  A source the configuration asked for explicitly
(``jetson_source: tegrastats``) that is missing, and any source that fails
while sampling, gives a WARN diagnostic; a source merely not present in
``auto`` mode (no dGPU on a Jetson) is an OK "not present" line.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from typing import Any, Protocol

from rvm_health.health_config import HealthConfig
from rvm_health.jtop_collector import JtopCollector, jtop_available
from rvm_health.nvidia_gpu import NvidiaSmiCollector, NvmlCollector
from rvm_health.readings import OK, WARN, Reading
from rvm_health.system_collectors import (
    CpuCollector, DiskCollector, MemoryCollector, ProcessCollector, UptimeCollector)
from rvm_health.tegrastats import TegrastatsCollector
from rvm_health.thermal import ThermalCollector


class Collector(Protocol):
    """What the monitor needs from a collector."""

    name: str

    def sample(self, now: float) -> Reading: ...

    def close(self) -> None: ...


@dataclass
class CollectorSlot:
    """A collector and whether the configuration asked for it explicitly."""

    collector: Collector
    requested: bool = True
    title: str = ''


class _Absent:
    """Stand-in for a source that was not found at start."""

    def __init__(self, name: str, reason: str) -> None:
        self.name, self.reason = name, reason

    def sample(self, now: float) -> Reading:
        return Reading.absent(self.name, self.reason)

    def close(self) -> None:
        pass


def build_collectors(config: HealthConfig, started_at: float) -> list[CollectorSlot]:
    """The collectors for this machine, detected now."""
    slots = [
        CollectorSlot(CpuCollector(), title='CPU'),
        CollectorSlot(MemoryCollector(), title='Memory'),
        CollectorSlot(DiskCollector(config.disk_paths), title='Disk'),
        CollectorSlot(ThermalCollector(config.thermal_root), title='Temperatures'),
        CollectorSlot(ProcessCollector(config.process_patterns), title='Processes'),
        CollectorSlot(UptimeCollector(started_at), title='Uptime'),
    ]
    jetson = _jetson_collector(config)
    if jetson is not None:
        slots.append(CollectorSlot(jetson[0], requested=jetson[1], title='Jetson GPU/EMC/power'))
    nvidia = _nvidia_collector(config)
    if nvidia is not None:
        slots.append(CollectorSlot(nvidia[0], requested=nvidia[1], title='NVIDIA GPU'))
    return slots


def _jetson_collector(config: HealthConfig) -> tuple[Collector, bool] | None:
    source = config.jetson_source
    if source == 'off':
        return None
    if source == 'tegrastats' or (source == 'auto' and shutil.which(config.tegrastats_command)):
        return (
            TegrastatsCollector(config.tegrastats_command, config.tegrastats_interval_ms),
            source != 'auto')
    has_jtop, why = jtop_available()
    if source == 'jtop' or (source == 'auto' and has_jtop):
        if has_jtop:
            return JtopCollector(), source != 'auto'
        return _Absent('jetson', why), True
    return (
        _Absent('jetson', f'neither {config.tegrastats_command} nor jtop found (not a Jetson?)'),
        False)


def _nvidia_collector(config: HealthConfig) -> tuple[Collector, bool] | None:
    source = config.nvidia_source
    if source == 'off':
        return None
    reasons = []
    if source in ('auto', 'nvml'):
        nvml = NvmlCollector()
        if nvml.available or source == 'nvml':
            return nvml, source != 'auto'
        reasons.append(nvml.reason_absent)
    smi = NvidiaSmiCollector(config.nvidia_smi_command, period=max(1.0, config.sample_period))
    if smi.available or source == 'nvidia-smi':
        return smi, source != 'auto'
    reasons.append(smi.reason_absent)
    return _Absent('nvidia', '; '.join(reasons)), False


class ResourceMonitor:
    """Samples every collector and turns readings into payload sections, metrics, diagnostics."""

    def __init__(self, slots: list[CollectorSlot]) -> None:
        self.slots = slots
        self.readings: dict[str, Reading] = {}

    def startup_notes(self) -> list[tuple[int, str]]:
        """(level, text) per source found or not found at start, for the adapter's log."""
        notes = []
        for slot in self.slots:
            if isinstance(slot.collector, _Absent):
                level = WARN if slot.requested else OK
                notes.append((level, f'{slot.title}: not present ({slot.collector.reason})'))
            else:
                notes.append((OK, f'{slot.title}: using {type(slot.collector).__name__}'))
        return notes

    def set_sample_period(self, period: float) -> None:
        """A new ``sample_period`` for the collectors that poll on their own thread."""
        for slot in self.slots:
            set_period = getattr(slot.collector, 'set_period', None)
            if set_period is not None:
                set_period(max(1.0, period))   # as at start (_nvidia_collector)

    def sample(self, now: float) -> dict[str, Reading]:
        """Sample all collectors; a collector that raises becomes a failed reading."""
        for slot in self.slots:
            try:
                reading = slot.collector.sample(now)
            except Exception as exc:  # a collector bug must not take the health node down
                reading = Reading.failed(slot.collector.name, f'{type(exc).__name__}: {exc}')
            self.readings[slot.collector.name] = reading
        return self.readings

    def _values(self, name: str) -> dict[str, Any] | None:
        reading = self.readings.get(name)
        return reading.values if reading is not None and reading.ok and reading.values else None

    def sections(self) -> dict[str, Any]:
        """cpu, memory, disk, temperatures, gpu, processes, uptime_s for the health payload."""
        cpu = self._values('cpu')
        mem = self._values('memory')
        disk = self.readings.get('disk')
        thermal = self._values('thermal')
        gpu: dict[str, Any] = {}
        if (jetson := self._values('jetson')) and len(jetson) > 1:
            gpu['jetson'] = jetson
        if (nvidia := self._values('nvidia')) and nvidia.get('devices'):
            gpu['devices'] = nvidia['devices']
        procs = self._values('processes')
        uptime = self._values('uptime') or {}
        return {
            'cpu': None if cpu is None else {
                'percent': cpu['percent'], 'per_core': cpu['per_core'], 'load_1m': cpu['load_1m']},
            'memory': None if mem is None else {
                'percent': mem['percent'], 'used_mb': mem['used_mb'], 'total_mb': mem['total_mb'],
                'swap_percent': mem['swap_percent']},
            'disk': list(disk.values.get('disks', [])) if disk is not None else [],
            'temperatures': dict(thermal['temperatures']) if thermal else {},
            'gpu': gpu or None,
            'processes': procs['processes'] if procs else [],
            'uptime_s': uptime.get('system_uptime_s', uptime.get('node_uptime_s', 0.0)),
        }

    def metrics(self) -> dict[str, float | None]:
        """Flat numbers the alert rules refer to (None = not measured now)."""
        sec = self.sections()
        temps = list(sec['temperatures'].values())
        gpu = sec['gpu'] or {}
        temps += list((gpu.get('jetson') or {}).get('temperatures', {}).values())
        temps += [
            d['temperature_c']
            for d in gpu.get('devices', [])
            if d.get('temperature_c') is not None
        ]
        cpu = sec['cpu'] or {}
        mem = sec['memory'] or {}
        n_cores = len(cpu.get('per_core') or []) or 1
        return {
            'cpu_percent': cpu.get('percent'),
            'load_1m_per_core': round(cpu['load_1m'] / n_cores, 2) if 'load_1m' in cpu else None,
            'memory_percent': mem.get('percent'),
            'swap_percent': mem.get('swap_percent'),
            'disk_percent_max': max((d['percent'] for d in sec['disk']), default=None),
            'temperature_max_c': max(temps, default=None),
            'gpu_percent': (
                (gpu.get('jetson') or {}).get(
                    'gpu_percent',
                    max(
                        (
                            d['load_percent']
                            for d in gpu.get('devices', [])
                            if d.get('load_percent') is not None
                        ),
                        default=None,
                    ),
                )
            ),
            'process_rss_mb': (
                sum(p['rss_mb'] for p in sec['processes']) if sec['processes'] else None),
        }

    def diagnostics(self, hardware_id: str) -> list[dict[str, Any]]:
        """One DiagnosticStatus-shaped dict per collector."""
        out = []
        for slot in self.slots:
            name = slot.collector.name
            reading = self.readings.get(name)
            if reading is None:
                continue
            if not reading.present:
                level = WARN if slot.requested else OK
                message = f'not present: {reading.reason}'
            elif not reading.ok:
                level, message = WARN, reading.reason or 'failed'
            elif reading.warnings:
                level, message = WARN, '; '.join(reading.warnings)
            else:
                level, message = OK, reading.reason or 'OK'
            out.append(
                {
                    'name': f'rvm_health: {slot.title or name}', 'hardware_id': hardware_id,
                    'level': level, 'message': message, 'values': flatten_values(reading.values)}
            )
        return out

    def close(self) -> None:
        for slot in self.slots:
            try:
                slot.collector.close()
            except Exception:  # closing is best effort
                pass


def flatten_values(values: dict[str, Any], prefix: str = '') -> dict[str, str]:
    """Nested JSON-able values -> flat {'a.b': 'str'} for DiagnosticStatus key/values."""
    flat: dict[str, str] = {}
    for key, value in values.items():
        full = f'{prefix}{key}'
        if isinstance(value, dict):
            flat.update(flatten_values(value, full + '.'))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for i, item in enumerate(value):
                label = item.get('path') or item.get('pattern') or item.get('index', i)
                flat.update(flatten_values(item, f'{full}[{label}].'))
        elif isinstance(value, list):
            flat[full] = ', '.join('off' if v is None else str(v) for v in value)
        else:
            flat[full] = '' if value is None else str(value)
    return flat
