"""Node configuration as frozen dataclasses, shared by ROS adapters and the runner.

Each core defines a frozen dataclass whose fields are its parameters, declared
with :func:`param` (default + description).  The defaults live there only;
``config/rvm_edge.params.yaml`` repeats them with the documentation a user reads,
and a test keeps the two equal.  ROS adapters declare the fields as parameters
(:func:`declare_parameters`), the standalone runner loads the same YAML
(:func:`load_node_params`) - so both paths build identical configs.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Mapping, TypeVar

from rvm_common.yaml_file import read_yaml

T = TypeVar('T')


class ConfigError(ValueError):
    """A configuration value that is unknown, mistyped or out of range."""


def param(default: Any, description: str, *, read_only: bool = False,
          choices: tuple[Any, ...] | None = None) -> Any:
    """A dataclass field that is also a declared ROS parameter."""
    meta = {'description': description, 'read_only': read_only, 'choices': choices}
    if isinstance(default, (list, dict)):
        return dataclasses.field(default_factory=lambda d=default: type(d)(d), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def _coerce(name: str, value: Any, default: Any) -> Any:
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        raise ConfigError(f'{name}: expected true/false, got {value!r}')
    if isinstance(default, int) and not isinstance(default, bool):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ConfigError(f'{name}: expected an integer, got {value!r}')
    if isinstance(default, float):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise ConfigError(f'{name}: expected a number, got {value!r}')
    if isinstance(default, str):
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        raise ConfigError(f'{name}: expected a string, got {value!r}')
    if isinstance(default, list):
        if isinstance(value, (list, tuple)):
            return list(value)
        raise ConfigError(f'{name}: expected a list, got {value!r}')
    return value


def config_from_mapping(cls: type[T], values: Mapping[str, Any], *, strict: bool = True) -> T:
    """Build ``cls`` from ``values``; unknown keys raise when ``strict``."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown and strict:
        raise ConfigError(f'{cls.__name__}: unknown parameter(s) {", ".join(unknown)}')
    kwargs = {}
    for name, value in values.items():
        if name not in fields:
            continue
        field = fields[name]
        default = field.default if field.default is not dataclasses.MISSING else field.default_factory()
        value = _coerce(name, value, default)
        choices = field.metadata.get('choices')
        if choices and value not in choices:
            raise ConfigError(f'{name}: {value!r} is not one of {", ".join(map(str, choices))}')
        kwargs[name] = value
    return cls(**kwargs)


def defaults_of(cls: type) -> dict[str, Any]:
    """Field name -> default value of a config dataclass."""
    out = {}
    for f in dataclasses.fields(cls):
        out[f.name] = f.default if f.default is not dataclasses.MISSING else f.default_factory()
    return out


def load_node_params(path: str | Path, node_name: str) -> dict[str, Any]:
    """The ``ros__parameters`` of ``node_name`` in a ROS 2 params YAML.

    Values under ``/**`` apply to every node and are overridden by the node's own.
    """
    data = read_yaml(path, 'params file', ConfigError) or {}
    merged: dict[str, Any] = {}
    for key in ('/**', node_name, '/' + node_name):
        section = data.get(key) or {}
        merged.update(section.get('ros__parameters') or {})
    return merged


def declare_parameters(node: Any, cls: type[T]) -> T:
    """Declare every field of ``cls`` on an rclpy node and return the resulting config.

    Imports only ``rcl_interfaces`` (message definitions), so this module stays
    rclpy-free; the node passed in is the adapter's rclpy node.
    """
    from rcl_interfaces.msg import ParameterDescriptor

    values = {}
    for f in dataclasses.fields(cls):
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        text = f.metadata.get('description', '')
        if f.metadata.get('choices'):
            text += f' (one of: {", ".join(map(str, f.metadata["choices"]))})'
        descriptor = ParameterDescriptor(description=text,
                                         read_only=bool(f.metadata.get('read_only')),
                                         dynamic_typing=default == [])
        values[f.name] = node.declare_parameter(f.name, default, descriptor).value
    return config_from_mapping(cls, values)
