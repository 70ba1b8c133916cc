"""One validation mechanism for every config file: dataclass fields with types, choices and ranges.

Each core defines a frozen dataclass whose fields are its parameters, declared
with :func:`param` (default + description + optional ``choices``/``minimum``/``maximum``).
The defaults live there only; ``config/rvm_edge.params.yaml`` repeats them with the
documentation a user reads, and a test keeps the two equal.  ROS adapters declare the
fields as parameters (:func:`declare_parameters`), the standalone runner loads the same
YAML (:func:`load_params_file`) - so both paths build identical configs.

The structured files (health rules, class map, channel map) build their entries with
:func:`config_from_mapping` too, so every file reports errors the same way:
``FILE: section.key: what is wrong`` and, for an unknown name, a "did you mean".
"""
from __future__ import annotations

import dataclasses
import difflib
import re
import types
import typing
from pathlib import Path
from typing import Any, Iterable, Mapping, TypeVar

from rvm_common.yaml_file import read_yaml

T = TypeVar('T')
WILDCARD = '/**'
#: Standard ROS node parameters a params file may carry; the cores ignore them.
ROS_STANDARD = frozenset({'use_sim_time', 'qos_overrides', 'start_type_description_service'})
_NODE_KEY = re.compile(r'^(?:(?:/[^/\s]+)*/)?([A-Za-z_]\w*)$')


class ConfigError(ValueError):
    """A configuration value that is unknown, mistyped or out of range (the message says where)."""


def param(default: Any, description: str, *, read_only: bool = False,
          choices: tuple[Any, ...] | None = None, minimum: float | None = None,
          maximum: float | None = None) -> Any:
    """A dataclass field that is also a declared ROS parameter (ranges are inclusive)."""
    meta = {'description': description, 'read_only': read_only, 'choices': choices,
            'minimum': minimum, 'maximum': maximum}
    if isinstance(default, (list, dict)):
        return dataclasses.field(default_factory=lambda d=default: type(d)(d), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def where(source: str = '', section: str = '', key: str = '') -> str:
    """``FILE: section.key`` (the parts that are known)."""
    path = '.'.join(str(p) for p in (section, key) if p != '')
    return ': '.join(p for p in (str(source or ''), path) if p)


def _at(source: str, section: str, key: str, message: str) -> ConfigError:
    prefix = where(source, section, key)
    return ConfigError(f'{prefix}: {message}' if prefix else message)


def unknown_name(name: Any, known: Iterable[str], *, source: str = '', section: str = '',
                 what: str = 'key') -> ConfigError:
    """The error for an unknown section or key, with a "did you mean" when one is close."""
    known = sorted(str(k) for k in known)
    close = difflib.get_close_matches(str(name), known, n=1, cutoff=0.6)
    hint = f' (did you mean {close[0]!r}?)' if close else f' (known: {", ".join(known)})' \
        if len(known) <= 8 else ''
    return _at(source, section, '', f'unknown {what} {str(name)!r}{hint}')


def check_keys(values: Mapping[str, Any], known: Iterable[str], *, source: str = '',
               section: str = '', what: str = 'key') -> None:
    """Raise for the first key of ``values`` that is not in ``known``."""
    known = set(known)
    for name in values:
        if name not in known:
            raise unknown_name(name, known, source=source, section=section, what=what)


def _describe(hint: Any) -> str:
    names = {bool: 'true/false', int: 'an integer', float: 'a number', str: 'a string',
             list: 'a list', tuple: 'a list', dict: 'a mapping'}
    return names.get(typing.get_origin(hint) or hint, str(hint))


def coerce(value: Any, hint: Any) -> Any:
    """``value`` checked against the type ``hint`` (ints widen to float; raises ValueError)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return coerce(value, inner[0]) if len(inner) == 1 else value
    base = origin or hint
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    ok = {bool: isinstance(value, bool),
          int: isinstance(value, int) and not isinstance(value, bool),
          float: is_number,
          str: isinstance(value, str) or is_number,
          list: isinstance(value, (list, tuple)), tuple: isinstance(value, (list, tuple)),
          dict: isinstance(value, dict)}.get(base)
    if ok is None:
        return value
    if not ok:
        raise ValueError(f'expected {_describe(hint)}, got {value!r}')
    if base is float:
        return float(value)
    if base is str:
        return str(value)
    if base in (list, tuple):
        item = args[0] if args and args[0] is not Ellipsis else None
        items = [coerce(v, item) if item is not None else v for v in value]
        return tuple(items) if base is tuple else items
    return value


def _hints(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls)
    except Exception:  # an annotation that cannot be evaluated: fall back to the defaults' types
        return {}


def _default(field: dataclasses.Field) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return dataclasses.MISSING


def _check_field(field: dataclasses.Field, hint: Any, value: Any) -> Any:
    if hint is None:
        default = _default(field)
        hint = type(default) if default not in (dataclasses.MISSING, None) else Any
    value = coerce(value, hint)
    meta = field.metadata
    choices = meta.get('choices')
    if choices and value not in choices:
        raise ValueError(f'{value!r} is not one of {", ".join(map(str, choices))}')
    low, high = meta.get('minimum'), meta.get('maximum')
    if value is not None and (
        low is not None and value < low or high is not None and value > high
    ):
        span = (f'{low}..{high}' if low is not None and high is not None
                else f'>= {low}' if low is not None else f'<= {high}')
        raise ValueError(f'{value!r} is out of range (allowed: {span})')
    return value


def config_from_mapping(cls: type[T], values: Mapping[str, Any], *, strict: bool = True,
                        source: str = '', section: str = '') -> T:
    """Build ``cls`` from ``values``, checked against its fields' types, choices and ranges.

    Unknown keys raise when ``strict``; every error names ``source`` (the file),
    ``section`` and the key.  Errors raised by the class itself (``__post_init__``)
    get the same prefix.
    """
    section = section or ('' if source else cls.__name__)
    if not isinstance(values, Mapping):
        raise _at(source, section, '', f'expected a mapping, got {values!r}')
    fields = {f.name: f for f in dataclasses.fields(cls)}
    if strict:
        check_keys(values, fields, source=source, section=section)
    hints = _hints(cls)
    kwargs = {}
    problems = []
    for name, value in values.items():
        if name not in fields:
            continue
        try:
            kwargs[name] = _check_field(fields[name], hints.get(name), value)
        except ValueError as exc:
            problems.append(_at(source, section, name, str(exc)))
    if problems:
        raise all_of(problems)
    missing = [
        n
        for n, f in fields.items()
        if n not in kwargs and _default(f) is dataclasses.MISSING and f.init
    ]
    if missing:
        raise _at(source, section, missing[0], 'is required')
    try:
        return cls(**kwargs)
    except ConfigError as exc:
        raise locate(exc, source, section) from None


def all_of(problems: list[Exception]) -> ConfigError:
    """One ConfigError saying every problem (the only one as it is), one per line."""
    if len(problems) == 1:
        return problems[0] if isinstance(problems[0], ConfigError) else ConfigError(
            str(problems[0]))
    lines: list[str] = []
    for problem in problems:            # an error that is itself a list gives its lines
        head, _, rest = str(problem).partition('\n  ')
        lines += rest.split('\n  ') if rest and head.endswith(' mistakes:') else [str(problem)]
    return ConfigError(f'{len(lines)} mistakes:\n  ' + '\n  '.join(lines))


def locate(exc: Exception, source: str = '', section: str = '') -> ConfigError:
    """``exc`` as a :class:`ConfigError` prefixed ``FILE: section`` (``key: ...`` -> ``.key``)."""
    message = str(exc)
    if not (source or section) or (source and message.startswith(str(source))):
        return exc if isinstance(exc, ConfigError) else ConfigError(message)
    head, sep, rest = message.partition(': ')
    if sep and re.fullmatch(r'[A-Za-z_]\w*', head):
        return _at(source, section, head, rest)
    return _at(source, section, '', message)


def defaults_of(cls: type) -> dict[str, Any]:
    """Field name -> default value of a config dataclass."""
    return {f.name: _default(f) for f in dataclasses.fields(cls)}


def node_of(key: Any) -> str | None:
    """Node name in a params-file key (``camera``, ``/camera``, ``/**/camera``, ``/ns/camera``)."""
    match = _NODE_KEY.match(str(key))
    return match.group(1) if match else None


def _ros_parameters(data: Any, key: str, source: str) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise _at(source, key, '', 'expected a mapping with ros__parameters')
    check_keys(data, {'ros__parameters'}, source=source, section=key)
    params = data.get('ros__parameters') or {}
    if not isinstance(params, dict):
        raise _at(source, key, 'ros__parameters', 'expected a mapping')
    return params


def load_params_file(path: str | Path, nodes: Mapping[str, type],
                     problems: list[Exception] | None = None) -> dict[str, dict[str, Any]]:
    """Node name -> validated-key ``ros__parameters`` of a ROS 2 params YAML.

    ``nodes`` maps each node name to its config class.  Sections may be written
    ``camera``, ``/camera``, ``/**/camera`` or ``/ns/camera``; ``/**`` applies to every
    node that has the key, then the node's own section overrides it.  Unknown sections
    and keys raise :class:`ConfigError` naming the file, section and key.  Values are
    type-checked later by :func:`config_from_mapping` (with the same ``source``). With
    ``problems`` (a list) the name errors are appended there and the known keys returned, so
    a caller can report them together with the value errors.
    """
    source = str(path)
    data = read_yaml(path, 'params file', ConfigError)
    if data is None:
        raise ConfigError(f'{source}: the params file is empty (give one with node sections such '
                          'as /**/camera: ros__parameters: ..., or leave it out for the defaults)')
    if not isinstance(data, dict):
        raise ConfigError(f'{source}: top level must be a mapping of node sections')
    known = {name: {f.name for f in dataclasses.fields(cls)} | ROS_STANDARD
             for name, cls in nodes.items()}
    every = set().union(*known.values()) if known else set()
    shared: dict[str, Any] = {}
    own: dict[str, dict[str, Any]] = {name: {} for name in nodes}
    collect = problems is not None
    problems = [] if problems is None else problems
    for key, section in data.items():
        key = str(key)
        try:
            params = _ros_parameters(section, key, source)
        except ConfigError as exc:
            problems.append(exc)
            continue
        node = None if key == WILDCARD else node_of(key)
        if key != WILDCARD and node not in nodes:
            problems.append(
                unknown_name(key, list(nodes) + [WILDCARD], source=source, what='section'))
            continue
        names = every if key == WILDCARD else known[node]
        for name in params:             # every unknown key, not just the first
            if name not in names:
                problems.append(unknown_name(name, names, source=source, section=key))
        params = {k: v for k, v in params.items() if k in names}
        if key == WILDCARD:
            shared.update(params)
        else:
            own[node].update(params)
    if problems and not collect:
        raise all_of(problems)
    return {name: {**{k: v for k, v in shared.items() if k in known[name]}, **own[name]}
            for name in nodes}


def load_node_params(path: str | Path, node_name: str) -> dict[str, Any]:
    """``node_name``'s ``ros__parameters`` (``/**`` first, then the node's own), unvalidated."""
    data = read_yaml(path, 'params file', ConfigError) or {}
    merged: dict[str, Any] = {}
    for key, section in data.items():
        if key == WILDCARD:
            merged = {**((section or {}).get('ros__parameters') or {}), **merged}
        elif node_of(key) == node_name:
            merged.update((section or {}).get('ros__parameters') or {})
    return merged


def declare_parameters(node: Any, cls: type[T]) -> T:
    """Declare every field of ``cls`` on an rclpy node and return the resulting config.

    Imports only ``rcl_interfaces`` (message definitions), so this module stays
    rclpy-free; the node passed in is the adapter's rclpy node.
    """
    from rcl_interfaces.msg import ParameterDescriptor

    values = {}
    for f in dataclasses.fields(cls):
        default = _default(f)
        text = f.metadata.get('description', '')
        if f.metadata.get('choices'):
            text += f' (one of: {", ".join(map(str, f.metadata["choices"]))})'
        descriptor = ParameterDescriptor(description=text,
                                         read_only=bool(f.metadata.get('read_only')),
                                         dynamic_typing=default == [])
        values[f.name] = node.declare_parameter(f.name, default, descriptor).value
    return config_from_mapping(cls, values, section=getattr(node, 'get_name', str)())
