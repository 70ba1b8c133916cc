"""The structured health configuration (``config/health.yaml``): components, timings, alert rules."""
from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any


from rvm_common.params import ConfigError
from rvm_common.yaml_file import read_yaml

BUNDLED_RULES = Path(__file__).resolve().parent / 'config' / 'health.yaml'
ALERT_KINDS = ('maintenance', 'error')
ALERT_LEVELS = ('warn', 'error')


@dataclass(frozen=True)
class ComponentSpec:
    """Expected behaviour of one pipeline component's status topic (FrequencyStatus-like)."""

    name: str
    topic: str
    state_fields: tuple[str, ...] = ()
    offline_states: tuple[str, ...] = ()
    count_fields: tuple[str, ...] = ()
    rate_fields: tuple[str, ...] = ()
    min_hz: float = 0.0
    max_hz: float = 0.0
    tolerance: float = 0.1
    window_s: float = 10.0
    stale_after_s: float = 0.0
    required: bool = False


@dataclass(frozen=True)
class StatusTimings:
    """Timings of the RVM status state machine."""

    startup_grace_s: float = 15.0
    processing_hold_s: float = 5.0
    idle_after_s: float = 60.0
    offline_after_s: float = 60.0
    error_after_s: float = 3.0


@dataclass(frozen=True)
class AlertRule:
    """A threshold alert with hysteresis (raise at one value, clear at another) and hold times."""

    id: str
    kind: str
    level: str
    metric: str
    message: str
    raise_above: float | None = None
    clear_below: float | None = None
    raise_below: float | None = None
    clear_above: float | None = None
    raise_after_s: float = 0.0
    clear_after_s: float = 0.0

    @property
    def rising(self) -> bool:
        """True when the alert is raised by high values."""
        return self.raise_above is not None

    @property
    def threshold(self) -> float:
        return self.raise_above if self.raise_above is not None else self.raise_below  # type: ignore[return-value]


@dataclass(frozen=True)
class HealthRules:
    """Everything in ``health.yaml``."""

    components: tuple[ComponentSpec, ...]
    status: StatusTimings
    alerts: tuple[AlertRule, ...]
    source: str = ''


def load_rules(path: str | Path | None = None) -> HealthRules:
    """Read and validate a rules YAML (``None``/'' = the bundled file); errors raise ConfigError."""
    path = Path(path) if path else BUNDLED_RULES
    data = read_yaml(path, 'health rules', ConfigError) or {}
    if not isinstance(data, dict):
        raise ConfigError(f'health rules {path}: top level must be a mapping')
    return rules_from_mapping(data, source=str(path))


def rules_from_mapping(data: dict[str, Any], source: str = '') -> HealthRules:
    """Build :class:`HealthRules` from already-parsed YAML."""
    components = []
    for name, spec in (data.get('pipeline') or {}).items():
        if not isinstance(spec, dict) or not spec.get('topic'):
            raise ConfigError(f'{source}: pipeline.{name} needs a topic')
        values = _typed(ComponentSpec, spec, f'pipeline.{name}', source)
        for key in ('state_fields', 'offline_states', 'count_fields', 'rate_fields'):
            values[key] = tuple(str(v) for v in values.get(key, ()) or ())
        comp = ComponentSpec(name=str(name), **values)
        if comp.min_hz < 0 or comp.max_hz < 0 or comp.window_s <= 0 or not 0 <= comp.tolerance < 1:
            raise ConfigError(f'{source}: pipeline.{name}: rates >= 0, window_s > 0, 0 <= tolerance < 1')
        if comp.max_hz and comp.min_hz > comp.max_hz:
            raise ConfigError(f'{source}: pipeline.{name}: min_hz > max_hz')
        components.append(comp)
    status = StatusTimings(**_typed(StatusTimings, data.get('status') or {}, 'status', source))
    alerts = []
    seen = set()
    for i, raw in enumerate(data.get('alerts') or []):
        if not isinstance(raw, dict):
            raise ConfigError(f'{source}: alerts[{i}] must be a mapping')
        rule = AlertRule(**_typed(AlertRule, raw, f'alerts[{i}]', source))
        _check_alert(rule, source)
        if rule.id in seen:
            raise ConfigError(f'{source}: duplicate alert id {rule.id!r}')
        seen.add(rule.id)
        alerts.append(rule)
    return HealthRules(tuple(components), status, tuple(alerts), source)


def _typed(cls: type, raw: dict[str, Any], where: str, source: str) -> dict[str, Any]:
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ConfigError(f'{source}: {where}: unknown key(s) {", ".join(unknown)}')
    out = {}
    for key, value in raw.items():
        kind = str(known[key].type)
        if 'float' in kind and value is not None:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f'{source}: {where}.{key}: expected a number, got {value!r}')
            value = float(value)
        elif kind == 'bool' and not isinstance(value, bool):
            raise ConfigError(f'{source}: {where}.{key}: expected true/false, got {value!r}')
        elif kind == 'str':
            value = str(value)
        out[key] = value
    return out


def _check_alert(rule: AlertRule, source: str) -> None:
    where = f'{source}: alert {rule.id!r}'
    if rule.kind not in ALERT_KINDS:
        raise ConfigError(f'{where}: kind must be one of {", ".join(ALERT_KINDS)}')
    if rule.level not in ALERT_LEVELS:
        raise ConfigError(f'{where}: level must be one of {", ".join(ALERT_LEVELS)}')
    if rule.raise_above is not None:
        if rule.clear_below is None or rule.raise_below is not None or rule.clear_above is not None:
            raise ConfigError(f'{where}: raise_above needs clear_below (and nothing else)')
        if rule.clear_below > rule.raise_above:
            raise ConfigError(f'{where}: clear_below must be <= raise_above (hysteresis)')
    elif rule.raise_below is not None:
        if rule.clear_above is None or rule.clear_below is not None:
            raise ConfigError(f'{where}: raise_below needs clear_above (and nothing else)')
        if rule.clear_above < rule.raise_below:
            raise ConfigError(f'{where}: clear_above must be >= raise_below (hysteresis)')
    else:
        raise ConfigError(f'{where}: needs raise_above/clear_below or raise_below/clear_above')
    if rule.raise_after_s < 0 or rule.clear_after_s < 0:
        raise ConfigError(f'{where}: durations must be >= 0')
    try:
        rule.message.format(value=1.0, threshold=1.0)
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(f'{where}: message template is invalid: {exc}') from exc
