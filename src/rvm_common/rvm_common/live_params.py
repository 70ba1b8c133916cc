"""Run-time parameter changes (``ros2 param set``) that do what they say, or are refused.

Each parameter of a node's config dataclass (:func:`rvm_common.params.param`) is either
``read_only`` - then its ROS descriptor says so, the shipped params YAML says "(read-only at
run time)" and rclpy refuses a set ("Trying to set a read-only parameter") - or the node
registers an *applier* for it here: a callable ``apply(old, new)`` that makes the new config
take effect (recreate a timer, hand the core its new thresholds, rebuild a publisher).
:class:`LiveParameters` validates a change with the config class's own rules, runs the
appliers of the changed parameters and keeps the new config; a change it cannot apply is
refused with the reason (``SetParametersResult(successful=False, reason=...)``).

rclpy-free except :func:`install`, which imports ``rcl_interfaces`` only.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Iterable, Mapping

from rvm_common.params import ConfigError, config_from_mapping

Applier = Callable[[Any, Any], None]


def read_only_names(cls: type) -> set[str]:
    """The parameters of ``cls`` declared read-only (``param(..., read_only=True)``)."""
    return {f.name for f in dataclasses.fields(cls) if f.metadata.get('read_only')}


def coverage_problems(cls: type, applied: Iterable[str]) -> list[str]:
    """What is wrong with ``applied`` (the names with an applier) for ``cls``: every parameter
    must be either read-only or applied, never both, never unknown.  Empty when right."""
    names = {f.name for f in dataclasses.fields(cls)}
    applied = set(applied)
    fixed = read_only_names(cls)
    problems = [f'{n}: neither read-only nor applied at run time'
                for n in sorted(names - fixed - applied)]
    problems += [f'{n}: read-only but has an applier' for n in sorted(applied & fixed)]
    problems += [f'{n}: no such parameter' for n in sorted(applied - names)]
    return problems


class LiveParameters:
    """A node's config and the appliers of its run-time parameters."""

    def __init__(self, cls: type, config: Any, appliers: Mapping[str, Applier],
                 *, section: str = '') -> None:
        self.cls = cls
        self.config = config
        self.section = section or cls.__name__
        self._appliers = dict(appliers)
        self.problems = coverage_problems(cls, self._appliers)

    def applied(self) -> set[str]:
        """Names of the parameters applied at run time."""
        return set(self._appliers)

    def apply(self, changes: Mapping[str, Any]) -> tuple[bool, str]:
        """Validate and apply ``changes`` (name -> value): ``(True, '')`` or ``(False, why)``."""
        fixed = sorted(n for n in changes if n not in self._appliers)
        if fixed:
            return False, (f'{", ".join(fixed)}: read-only at run time; set it in the params '
                           'file and restart the node')
        current = {f.name: getattr(self.config, f.name) for f in dataclasses.fields(self.cls)}
        try:
            new = config_from_mapping(self.cls, {**current, **changes}, section=self.section)
        except ConfigError as exc:
            return False, str(exc)
        changed = [n for n in changes if getattr(new, n) != getattr(self.config, n)]
        done: list[Applier] = []
        old = self.config
        for name in changed:
            applier = self._appliers[name]
            if applier in done:
                continue
            try:
                applier(old, new)
            except ConfigError as exc:          # a value the node's own checks refuse
                return False, str(exc)
            except Exception as exc:  # noqa: BLE001 - refused, with the reason, never a crash
                return False, f'{name}: could not be applied: {type(exc).__name__}: {exc}'
            done.append(applier)
        self.config = new
        return True, ''


def install(node: Any, live: LiveParameters) -> Callable[[list], Any]:
    """Register ``live`` as ``node``'s set-parameters callback; returns the callback.

    rclpy has already refused read-only parameters and wrong types (descriptor checks) when
    the callback runs; the callback refuses what cannot be applied and applies the rest.
    """
    from rcl_interfaces.msg import SetParametersResult

    def on_set(params: list) -> Any:
        ok, reason = live.apply({p.name: p.value for p in params})
        return SetParametersResult(successful=ok, reason=reason)
    node.add_on_set_parameters_callback(on_set)
    for problem in live.problems:
        node.get_logger().warning(f'parameter {problem}; changes to it are refused')
    return on_set
