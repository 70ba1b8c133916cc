"""Which sections of ROS 2 params YAML files reach a node - rcl/rclpy Humble's rules, ROS-free.

Mirrors, so the standalone runner and the tests read a params file exactly as a node does:

* ``rcl_yaml_param_parser/src/parse.c`` (``parse_key``, ``find_node``): the keys above
  ``ros__parameters`` are joined with ``/`` into one node key (``rvm: {camera: ...}`` is
  ``rvm/camera``); a key seen again - in the same or a later ``--params-file`` - reuses its first
  slot, so sections keep the order in which their key first appeared; nested maps below
  ``ros__parameters`` become dotted parameter names.
* ``rclpy/src/rclpy/node.cpp`` (``_populate_node_parameters_from_rcl_params``, Humble): a key gets
  a leading ``/``; every ``/*`` becomes the regex ``(/\\w+)`` (so ``/**`` becomes ``(/\\w+)*``)
  and the key applies when that regex matches the node's *whole* fully qualified name; sections
  are applied in slot order, a later one overriding an earlier one.

So ``camera:`` reaches only ``/camera``; ``/**/camera:`` reaches ``/camera``, ``/rvm/camera`` and
``/plant/line2/camera``; ``/**:`` reaches every node.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable, Mapping

PARAMS_KEY = 'ros__parameters'


def fully_qualified_name(namespace: str, node: str) -> str:
    """``('rvm', 'camera')``/``('/rvm', 'camera')`` -> ``/rvm/camera``; ``('', 'x')`` -> ``/x``."""
    namespace = '/' + namespace.strip('/') if namespace.strip('/') else ''
    return f'{namespace}/{node}'


def key_matches(key: str, fqn: str) -> bool:
    """True when the params-file node key ``key`` applies to the node ``fqn`` (rclpy Humble)."""
    name = key if key.startswith('/') else '/' + key
    pattern = name.replace('/*', r'(/\w+)')
    return re.fullmatch(pattern, fqn, re.ASCII) is not None


def _flatten(values: Mapping[str, Any], prefix: str = '') -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in values.items():
        full = f'{prefix}{name}'
        if isinstance(value, Mapping):
            out.update(_flatten(value, full + '.'))
        else:
            out[full] = value
    return out


def node_sections(data: Mapping[str, Any], prefix: str = '') -> list[tuple[str, dict[str, Any]]]:
    """(node key, flat parameters) of one parsed params file, in the order rcl records them."""
    sections: list[tuple[str, dict[str, Any]]] = []
    for key, value in (data or {}).items():
        if not isinstance(value, Mapping):
            continue
        name = f'{prefix}/{key}' if prefix else str(key)
        if PARAMS_KEY in value:
            sections.append((name, _flatten(value.get(PARAMS_KEY) or {})))
        sections.extend(node_sections({k: v for k, v in value.items() if k != PARAMS_KEY}, name))
    return sections


def resolve_parameters(files: Iterable[Mapping[str, Any]], fqn: str) -> dict[str, Any]:
    """The parameter overrides a node named ``fqn`` gets from parsed params files, in the
    order they are passed (``--params-file a --params-file b``)."""
    slots: dict[str, dict[str, Any]] = {}          # dicts keep first-insertion order, as find_node
    for data in files:
        for key, params in node_sections(data):
            slots.setdefault(key, {}).update(params)
    resolved: dict[str, Any] = {}
    for key, params in slots.items():
        if key_matches(key, fqn):
            resolved.update(params)
    return resolved


def resolve_file(
    path: str | Path, fqn: str, error: type[Exception] = ValueError
) -> dict[str, Any]:
    """:func:`resolve_parameters` of one params YAML file (``error`` names a bad file)."""
    from rvm_common.yaml_file import read_yaml
    data = read_yaml(path, 'params file', error) or {}
    if not isinstance(data, Mapping):
        raise error(
            f'params file {path}: expected a mapping of node names, got {type(data).__name__}')
    return resolve_parameters([data], fqn)
