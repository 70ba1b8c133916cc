"""Jetson GPU / EMC / power / temperatures from ``tegrastats`` output lines.

Handles the line formats of JetPack 4 (``POM_5V_IN 1166/1166``), JetPack 5
(``GR3D_FREQ 0%@[1300,1300]``, uppercase ``CPU@44.6C``, ``VDD_GPU_SOC 2000mW/2000mW``),
JetPack 6 (timestamp prefix, lowercase ``cpu@47.7C``, ``VDD_CPU_GPU_CV``) and
JetPack 7 / Thor (``VDD_CPU_SOC_MSS``, ``soc012@``), and older ``cpu [x%,y%]@f``
lines.  Sensors shown as ``-256C`` are offline and reported as unavailable.
Unknown tokens are ignored; a line with nothing recognisable raises
:class:`TegrastatsParseError`.
"""
from __future__ import annotations

import re
import shutil
from typing import Any

from rvm_health.background import LineStream
from rvm_health.readings import Reading
from rvm_health.thermal import is_offline_celsius


class TegrastatsParseError(ValueError):
    """A tegrastats line with no recognisable statistics."""


_RAM = re.compile(r'\bRAM (\d+)/(\d+)MB')
_SWAP = re.compile(r'\bSWAP (\d+)/(\d+)MB(?: \(cached (\d+)MB\))?')
_CPU_NEW = re.compile(r'\bCPU \[([^\]]*)\]')
_CPU_OLD = re.compile(r'\bcpu \[([^\]]*)\]@(\d+)')
_EMC = re.compile(r'\bEMC(?:_FREQ)? (\d+)%(?:@(\d+))?')
_GPU = re.compile(r'\b(?:GR3D_FREQ|GR3D|GPC_FREQ) (\d+)%(?:@\[?([\d,]+)\]?)?')
_TEMP = re.compile(r'(?<![\w@])([A-Za-z][A-Za-z0-9_]*)@(-?\d+(?:\.\d+)?)C\b')
_RAIL = re.compile(r'(?<!\S)([A-Z][A-Z0-9_]*) (\d+)(?:mW)?/(\d+)(?:mW)?(?!\S)')
_NOT_RAILS = {'RAM', 'SWAP', 'IRAM', 'NC'}


def parse_tegrastats_line(line: str) -> dict[str, Any]:
    """Statistics of one tegrastats line as a JSON-able dict.

    Keys (each only when present): ``ram_used_mb``, ``ram_total_mb``,
    ``swap_used_mb``, ``swap_total_mb``, ``cpu`` (per core ``{percent, mhz}``
    or ``None`` when the core is off), ``emc_percent``, ``emc_mhz``,
    ``gpu_percent``, ``gpu_mhz``, ``temperatures`` {sensor: C},
    ``offline_sensors`` [name], ``power_mw`` {rail: current},
    ``power_avg_mw`` {rail: average}.
    """
    text = line.strip()
    out: dict[str, Any] = {}
    if (m := _RAM.search(text)):
        out['ram_used_mb'], out['ram_total_mb'] = int(m.group(1)), int(m.group(2))
    if (m := _SWAP.search(text)):
        out['swap_used_mb'], out['swap_total_mb'] = int(m.group(1)), int(m.group(2))
    if (m := _CPU_NEW.search(text)):
        out['cpu'] = [_cpu_core(part) for part in m.group(1).split(',') if part.strip()]
    elif (m := _CPU_OLD.search(text)):
        mhz = int(m.group(2))
        out['cpu'] = [_cpu_core(f'{part}@{mhz}') for part in m.group(1).split(',') if part.strip()]
    if (m := _EMC.search(text)):
        out['emc_percent'] = int(m.group(1))
        if m.group(2):
            out['emc_mhz'] = int(m.group(2))
    if (m := _GPU.search(text)):
        out['gpu_percent'] = int(m.group(1))
        if m.group(2):
            freqs = [int(f) for f in m.group(2).split(',') if f]
            if freqs:
                out['gpu_mhz'] = max(freqs)
    temps: dict[str, float] = {}
    offline: list[str] = []
    for name, value in _TEMP.findall(text):
        celsius = float(value)
        if is_offline_celsius(celsius):
            offline.append(name)
        else:
            temps[name] = celsius
    if temps or offline:
        out['temperatures'] = temps
        out['offline_sensors'] = offline
    power: dict[str, int] = {}
    average: dict[str, int] = {}
    for name, current, avg in _RAIL.findall(text):
        if name in _NOT_RAILS:
            continue
        power[name], average[name] = int(current), int(avg)
    if power:
        out['power_mw'], out['power_avg_mw'] = power, average
    if not out:
        raise TegrastatsParseError(f'no tegrastats statistics in line {text[:80]!r}')
    return out


def _cpu_core(part: str) -> dict[str, int] | None:
    part = part.strip()
    m = re.fullmatch(r'(\d+)%(?:@(\d+))?', part)
    if not m:
        return None  # 'off' or unknown
    return {'percent': int(m.group(1)), 'mhz': int(m.group(2)) if m.group(2) else None}


def jetson_gpu_section(stats: dict[str, Any]) -> dict[str, Any]:
    """The ``gpu.jetson`` part of the health payload from parsed tegrastats stats."""
    keys = ('gpu_percent', 'gpu_mhz', 'emc_percent', 'emc_mhz', 'power_mw', 'temperatures',
            'offline_sensors', 'ram_used_mb', 'ram_total_mb')
    section = {k: stats[k] for k in keys if k in stats}
    if 'power_mw' in stats:
        total = stats['power_mw'].get('VDD_IN') or stats['power_mw'].get('POM_5V_IN')
        if total is None:
            total = sum(stats['power_mw'].values())
        section['power_total_mw'] = total
    return section


class TegrastatsCollector:
    """Streams ``tegrastats --interval N`` in a background thread and parses its latest line."""

    name = 'jetson'

    def __init__(self, command: str = 'tegrastats', interval_ms: int = 1000,
                 stream: LineStream | None = None) -> None:
        self.command = command
        self.interval_ms = max(100, int(interval_ms))
        self.reason_absent = ''
        self._stream = stream
        if stream is None:
            path = shutil.which(command)
            if path is None:
                self.reason_absent = f'{command} not found on PATH'
            else:
                self._stream = LineStream([path, '--interval', str(self.interval_ms)])
        self._started = False

    @property
    def available(self) -> bool:
        return self._stream is not None

    def sample(self, now: float) -> Reading:
        if self._stream is None:
            return Reading.absent(self.name, self.reason_absent)
        if not self._started:
            self._stream.start()
            self._started = True
        line, at, error = self._stream.latest()
        if line is None:
            if error:
                return Reading.failed(self.name, error)
            return Reading(
                self.name, {'source': 'tegrastats'}, ok=True, reason='waiting for the first line')
        if error:
            return Reading.failed(self.name, error)
        if at is not None and now - at > max(5.0, 5 * self.interval_ms / 1000.0):
            return Reading.failed(self.name, f'no tegrastats line for {now - at:.0f} s')
        try:
            stats = parse_tegrastats_line(line)
        except TegrastatsParseError as exc:
            return Reading.failed(self.name, str(exc))
        section = jetson_gpu_section(stats)
        section['source'] = 'tegrastats'
        # Offline sensors (-256C, power-gated) are listed in the values, not warned about.
        return Reading(self.name, section)

    def close(self) -> None:
        if self._stream is not None and self._started:
            self._stream.stop()
