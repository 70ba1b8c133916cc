"""Temperatures of the Linux thermal zones (``/sys/class/thermal/thermal_zone*/{type,temp}``).

The root is configurable so tests read recorded trees.  A zone whose ``temp``
cannot be read (EIO/EAGAIN/permission, as some Jetson zones do when their
sensor is power-gated), is not a number, or reads -256 C (the Tegra "sensor
offline" value) is reported as unavailable with the reason, never raised.
"""
from __future__ import annotations

import re
from pathlib import Path

from rvm_health.readings import Reading

#: Tegra BPMP reports an offline/power-gated sensor as -256 C.
OFFLINE_CELSIUS = -256.0
_ZONE = re.compile(r'thermal_zone(\d+)$')


def is_offline_celsius(value: float) -> bool:
    """True for the Tegra offline marker and other physically impossible readings."""
    return value <= -200.0


class ThermalCollector:
    """Reads every thermal zone under ``root``; zones are named by their ``type``."""

    name = 'thermal'

    def __init__(self, root: str) -> None:
        self.root = Path(root)

    def zones(self) -> list[tuple[int, Path]]:
        """(index, directory) of each zone, in numeric order."""
        found = []
        try:
            for entry in self.root.iterdir():
                match = _ZONE.match(entry.name)
                if match:
                    found.append((int(match.group(1)), entry))
        except OSError:
            return []
        return sorted(found)

    def sample(self, now: float) -> Reading:
        if not self.root.is_dir():
            return Reading.absent(self.name, f'{self.root} does not exist')
        zones = self.zones()
        if not zones:
            return Reading.absent(self.name, f'no thermal_zone* under {self.root}')
        temps: dict[str, float] = {}
        unavailable: dict[str, str] = {}
        for index, path in zones:
            name = _read_text(path / 'type') or f'thermal_zone{index}'
            if name in temps or name in unavailable:
                name = f'{name}{index}'
            try:
                raw = (path / 'temp').read_text(encoding='ascii').strip()
            except OSError as exc:
                unavailable[name] = f'unreadable ({exc.strerror or type(exc).__name__})'
                continue
            except UnicodeDecodeError:
                unavailable[name] = 'not a number'
                continue
            try:
                celsius = int(raw) / 1000.0
            except ValueError:
                unavailable[name] = f'not a number ({raw[:20]!r})'
                continue
            if is_offline_celsius(celsius):
                unavailable[name] = f'sensor offline ({celsius:g} C)'
                continue
            temps[name] = round(celsius, 3)
        # An offline sensor (-256 C) is normal on Jetson (power-gated DLA/GPU): listed, not warned.
        warnings = [f'{zone}: {why}' for zone, why in unavailable.items() if 'offline' not in why]
        ok = bool(temps)
        return Reading(self.name, {'temperatures': temps, 'unavailable': unavailable}, ok=ok,
                       reason='' if ok else 'no readable thermal zone', warnings=warnings)

    def close(self) -> None:
        pass


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding='utf-8', errors='replace').strip()
    except OSError:
        return ''
