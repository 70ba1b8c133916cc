"""Discrete NVIDIA GPUs through NVML (pynvml) or ``nvidia-smi --query-gpu ... --format=csv``."""
from __future__ import annotations

import math
import shutil
from typing import Any

from rvm_health.background import PeriodicCommand
from rvm_health.readings import Reading

#: Fields asked from nvidia-smi, in column order.
SMI_FIELDS = ('index', 'name', 'utilization.gpu', 'memory.used', 'memory.total', 'temperature.gpu',
              'power.draw')
_SMI_KEYS = ('index', 'name', 'load_percent', 'memory_used_mb', 'memory_total_mb', 'temperature_c',
             'power_w')


class NvidiaSmiParseError(ValueError):
    """nvidia-smi output that does not have the expected columns."""


def nvidia_smi_argv(command: str = 'nvidia-smi') -> list[str]:
    return [command, '--query-gpu=' + ','.join(SMI_FIELDS), '--format=csv,noheader,nounits']


def parse_nvidia_smi_csv(text: str) -> list[dict[str, Any]]:
    """Devices from ``--format=csv,noheader,nounits`` output; '[N/A]'/'[Not Supported]' -> None."""
    devices = []
    for line in text.splitlines():
        if not line.strip():
            continue
        cells = [c.strip() for c in line.split(',')]
        if len(cells) != len(SMI_FIELDS):
            raise NvidiaSmiParseError(
                f'expected {len(SMI_FIELDS)} columns, got {len(cells)}: {line[:80]!r}')
        device: dict[str, Any] = {}
        for key, cell in zip(_SMI_KEYS, cells):
            if key == 'name':
                device[key] = cell
            elif cell.startswith('[') or cell in ('', 'N/A'):
                device[key] = None
            else:
                try:
                    number = int(cell) if key == 'index' else float(cell)
                except ValueError as exc:
                    raise NvidiaSmiParseError(f'{key}: {cell!r} is not a number') from exc
                device[key] = number if math.isfinite(number) else None
        devices.append(device)
    if not devices:
        raise NvidiaSmiParseError('nvidia-smi printed no GPU')
    return devices


class NvidiaSmiCollector:
    """Polls nvidia-smi in a background thread (it can take a second); parses the latest output."""

    name = 'nvidia'

    def __init__(self, command: str = 'nvidia-smi', period: float = 2.0,
                 runner: PeriodicCommand | None = None) -> None:
        self.reason_absent = ''
        self._runner = runner
        if runner is None:
            path = shutil.which(command)
            if path is None:
                self.reason_absent = f'{command} not found on PATH'
            else:
                self._runner = PeriodicCommand(nvidia_smi_argv(path), period)
        self._started = False

    @property
    def available(self) -> bool:
        return self._runner is not None

    def set_period(self, period: float) -> None:
        """Poll nvidia-smi every ``period`` seconds from the next poll on."""
        if self._runner is not None:
            self._runner.period = max(0.1, period)

    def sample(self, now: float) -> Reading:
        if self._runner is None:
            return Reading.absent(self.name, self.reason_absent)
        if not self._started:
            self._runner.start()
            self._started = True
        out, _at, error = self._runner.latest()
        if error:
            return Reading.failed(self.name, error)
        if out is None:
            return Reading(
                self.name, {'source': 'nvidia-smi', 'devices': []}, reason='waiting for nvidia-smi'
            )
        try:
            devices = parse_nvidia_smi_csv(out)
        except NvidiaSmiParseError as exc:
            return Reading.failed(self.name, f'nvidia-smi: {exc}')
        return Reading(self.name, {'source': 'nvidia-smi', 'devices': devices})

    def close(self) -> None:
        if self._runner is not None and self._started:
            self._runner.stop()


class NvmlCollector:
    """NVML through pynvml (nvidia-ml-py).  NVML calls are fast, so they run inline."""

    name = 'nvidia'

    def __init__(self) -> None:
        self.reason_absent = ''
        self._nvml: Any = None
        try:
            import pynvml
        except ImportError:
            self.reason_absent = 'pynvml is not installed'
            return
        try:
            pynvml.nvmlInit()
        except Exception as exc:  # pynvml.NVMLError and library load errors
            self.reason_absent = f'NVML not usable: {exc}'
            return
        self._nvml = pynvml

    @property
    def available(self) -> bool:
        return self._nvml is not None

    def sample(self, now: float) -> Reading:
        nvml = self._nvml
        if nvml is None:
            return Reading.absent(self.name, self.reason_absent)
        devices = []
        try:
            for index in range(nvml.nvmlDeviceGetCount()):
                handle = nvml.nvmlDeviceGetHandleByIndex(index)
                name = nvml.nvmlDeviceGetName(handle)
                device: dict[str, Any] = {
                    'index': index,
                    'name': name.decode() if isinstance(name, bytes) else str(name)}
                device['load_percent'] = _nvml_try(
                    lambda: float(nvml.nvmlDeviceGetUtilizationRates(handle).gpu))
                mem = _nvml_try(lambda: nvml.nvmlDeviceGetMemoryInfo(handle))
                device['memory_used_mb'] = round(mem.used / 2 ** 20, 1) if mem else None
                device['memory_total_mb'] = round(mem.total / 2 ** 20, 1) if mem else None
                device['temperature_c'] = _nvml_try(
                    lambda: float(nvml.nvmlDeviceGetTemperature(handle, nvml.NVML_TEMPERATURE_GPU))
                )
                power = _nvml_try(lambda: nvml.nvmlDeviceGetPowerUsage(handle))
                device['power_w'] = round(power / 1000.0, 1) if power is not None else None
                devices.append(device)
        except Exception as exc:  # NVMLError: driver gone, GPU fell off the bus
            return Reading.failed(self.name, f'NVML: {exc}')
        return Reading(self.name, {'source': 'nvml', 'devices': devices})

    def close(self) -> None:
        if self._nvml is not None:
            try:
                self._nvml.nvmlShutdown()
            except Exception:  # already shut down
                pass
            self._nvml = None


def _nvml_try(call: Any) -> Any:
    try:
        return call()
    except Exception:  # a field 'Not Supported' on this GPU (e.g. power on Jetson)
        return None
