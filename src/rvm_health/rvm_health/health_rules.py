"""Structured health configuration (``config/health.yaml``): components, timings, alert rules."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rvm_common.bridge_state import OUTAGES, BridgeState
from rvm_common.events import TOPIC_BRIDGE_STATUS
from rvm_common.params import ConfigError, check_keys, config_from_mapping, param
from rvm_common.yaml_file import read_yaml

BUNDLED_RULES = Path(__file__).resolve().parent / 'config' / 'health.yaml'
ALERT_KINDS = ('maintenance', 'error')
ALERT_LEVELS = ('warn', 'error')
SECTIONS = ('pipeline', 'status', 'alerts')


@dataclass(frozen=True)
class ComponentSpec:
    """Expected behaviour of one pipeline component's status topic (FrequencyStatus-like)."""

    name: str
    topic: str
    state_fields: tuple[str, ...] = ()
    offline_states: tuple[str, ...] = ()
    count_fields: tuple[str, ...] = ()
    rate_fields: tuple[str, ...] = ()
    min_hz: float = param(0.0, 'lowest expected rate (0 = no lower bound)', minimum=0.0)
    max_hz: float = param(0.0, 'highest expected rate (0 = no upper bound)', minimum=0.0)
    tolerance: float = param(0.1, 'allowed relative deviation', minimum=0.0, maximum=0.99)
    window_s: float = param(10.0, 'rate window', minimum=0.001)
    stale_after_s: float = param(0.0, 'stale when silent this long (0 = never)', minimum=0.0)
    required: bool = False

    def __post_init__(self) -> None:
        if self.max_hz and self.min_hz > self.max_hz:
            raise ConfigError(f'min_hz: {self.min_hz} > max_hz {self.max_hz}')


@dataclass(frozen=True)
class StatusTimings:
    """Timings of the RVM status state machine."""

    startup_grace_s: float = param(15.0, 'no error state this long after start', minimum=0.0)
    processing_hold_s: float = param(5.0, 'stay processing this long after an item', minimum=0.0)
    idle_after_s: float = param(60.0, 'idle after this long without items', minimum=0.0)
    offline_after_s: float = param(60.0, 'offline after this long without a camera', minimum=0.0)
    error_after_s: float = param(3.0, 'error when a fault lasts this long', minimum=0.0)


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
    raise_after_s: float = param(0.0, 'raise after the value held this long', minimum=0.0)
    clear_after_s: float = param(0.0, 'clear after the value held this long', minimum=0.0)

    @property
    def rising(self) -> bool:
        """True when the alert is raised by high values."""
        return self.raise_above is not None

    @property
    def threshold(self) -> float:
        if self.raise_above is not None:
            return self.raise_above
        return self.raise_below  # type: ignore[return-value]


@dataclass(frozen=True)
class HealthRules:
    """Everything in ``health.yaml``."""

    components: tuple[ComponentSpec, ...]
    status: StatusTimings
    alerts: tuple[AlertRule, ...]
    source: str = ''


def load_rules(path: str | Path | None = None) -> HealthRules:
    """Read and validate a rules YAML (``None``/'' = bundled file); errors raise ConfigError."""
    path = Path(path) if path else BUNDLED_RULES
    data = read_yaml(path, 'health rules', ConfigError) or {}
    return rules_from_mapping(data, source=str(path))


def _mapping(value: Any, source: str, section: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f'{source}: {section}: expected a mapping, got {value!r}')
    return value


def rules_from_mapping(data: Any, source: str = '') -> HealthRules:
    """Build :class:`HealthRules` from parsed YAML (errors name ``source``, section and key)."""
    source = source or 'health rules'
    data = _mapping(data, source, 'top level')
    check_keys(data, SECTIONS, source=source, what='section')
    components = []
    for name, spec in _mapping(data.get('pipeline'), source, 'pipeline').items():
        spec = _mapping(spec, source, f'pipeline.{name}')
        if not spec.get('topic'):
            raise ConfigError(f'{source}: pipeline.{name} needs a topic')
        component = config_from_mapping(ComponentSpec, {**spec, 'name': str(name)},
                                        source=source, section=f'pipeline.{name}')
        if component.topic.lstrip('/') == TOPIC_BRIDGE_STATUS:
            component = _bridge_component(
                component, 'offline_states' in spec, source, f'pipeline.{name}')
        components.append(component)
    status = config_from_mapping(StatusTimings, _mapping(data.get('status'), source, 'status'),
                                 source=source, section='status')
    alerts = []
    seen = set()
    raw_alerts = data.get('alerts') or []
    if not isinstance(raw_alerts, list):
        raise ConfigError(f'{source}: alerts: expected a list of alert rules')
    for i, raw in enumerate(raw_alerts):
        where = f'alerts[{i}]'
        rule = config_from_mapping(AlertRule, _mapping(raw, source, where), source=source,
                                   section=where)
        _check_alert(rule, source)
        if rule.id in seen:
            raise ConfigError(f'{source}: {where}: duplicate alert id {rule.id!r}')
        seen.add(rule.id)
        alerts.append(rule)
    return HealthRules(tuple(components), status, tuple(alerts), source)


def _bridge_component(
    spec: ComponentSpec, listed: bool, source: str, section: str
) -> ComponentSpec:
    """The bridge's down states: :data:`rvm_common.bridge_state.OUTAGES` unless listed.

    Listed ones must be bridge states.
    """
    if not listed:
        return dataclasses.replace(
            spec, offline_states=tuple(sorted(state.value for state in OUTAGES)))
    unknown = [state for state in spec.offline_states if BridgeState.parse(state) is None]
    if unknown:
        known = ', '.join(state.value for state in BridgeState)
        raise ConfigError(f'{source}: {section}: offline_states: {", ".join(map(str, unknown))} '
                          f'is not a bridge state (known: {known})')
    return spec


def _check_alert(rule: AlertRule, source: str) -> None:
    where = f'{source}: alert {rule.id!r}'
    if rule.kind not in ALERT_KINDS:
        raise ConfigError(f'{where}: kind must be one of {", ".join(ALERT_KINDS)}')
    if rule.level not in ALERT_LEVELS:
        raise ConfigError(f'{where}: level must be one of {", ".join(ALERT_LEVELS)}')
    if rule.raise_above is not None:
        if (
            rule.clear_below is None
            or rule.raise_below is not None
            or rule.clear_above is not None
        ):
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
    try:
        rule.message.format(value=1.0, threshold=1.0)
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(f'{where}: message template is invalid: {exc}') from exc
