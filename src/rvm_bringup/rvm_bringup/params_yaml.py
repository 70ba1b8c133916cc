"""Render ``config/rvm_edge.params.yaml`` from the cores' config dataclasses.

The dataclasses are the single source of every parameter's default and description
(ROS parameter descriptors use the same text); the shipped YAML is rendered from them
with ``rvm-edge params --write`` and a test keeps the committed file in sync.
"""
from __future__ import annotations

import dataclasses
import json
from typing import Any

HEADER = """\
# rvm-edge parameters: every node, every parameter, its default and what it does.
# Used by the ROS 2 nodes (ros2 launch rvm_bringup rvm_edge.launch.py params_file:=FILE) and by
# the standalone runner (rvm-edge run --params FILE).  Node keys are written /**/<node>, so they
# reach the node in any namespace (/rvm/camera, /camera, ...); /** reaches every node.
# Rendered from the cores' config classes by `rvm-edge params --write`; edit the values freely
# in a copy for a machine.  Secrets are never parameters: they are read from the environment
# variables named here.
"""

SHARED = ('rvm_id',)
WILDCARD = '/**'


def node_configs() -> list[tuple[str, type, str]]:
    """(node name, config class, one-line title) of every node, in graph order."""
    # the config modules only (the launch file uses these too; no core, model or network import)
    from rvm_bridge.bridge_config import BridgeConfig
    from rvm_camera.camera_config import CameraConfig
    from rvm_detector.detector_config import DetectorConfig
    from rvm_health.health_config import HealthConfig
    return [
        ('camera', CameraConfig, 'camera_node (rvm_camera): frame source -> image_raw'),
        ('detector', DetectorConfig, 'detector_node (rvm_detector): YOLO11-seg + SAM2 -> items'),
        ('health', HealthConfig, 'health_node (rvm_health): resources, pipeline, RVM state'),
        ('bridge', BridgeConfig, 'bridge_node (rvm_bridge): ROS topics <-> Reverb channels'),
    ]


def _default(field: dataclasses.Field) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    return field.default_factory()


def _yaml_value(value: Any) -> str:
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return '[' + ', '.join(_yaml_value(v) for v in value) + ']'
    return str(value)


def _comment(field: dataclasses.Field) -> str:
    text = field.metadata.get('description', '')
    choices = field.metadata.get('choices')
    if choices:
        text += f' [{" | ".join(map(str, choices))}]'
    if field.metadata.get('read_only'):
        text += ' (read-only at run time)'
    return text


def node_key(node: str) -> str:
    """The params-file key of ``node``: ``/**/camera`` reaches the node in any namespace
    (``/camera``, ``/rvm/camera``); a bare ``camera:`` would reach ``/camera`` only
    (rules: ``rvm_common.ros_param_match``)."""
    return f'{WILDCARD}/{node}'


def _section(title: str, key: str, fields: list[dataclasses.Field]) -> list[str]:
    lines = [f'# --- {title}', f'{key}:', '  ros__parameters:']
    for field in fields:
        lines.append(f'    # {_comment(field)}')
        lines.append(f'    {field.name}: {_yaml_value(_default(field))}')
    lines.append('')
    return lines


def render_params_yaml() -> str:
    """The full params YAML text: ``/**`` first (rcl applies sections in file order, so a
    node's own section may override a shared value), then ``/**/<node>`` per node."""
    shared: dict[str, dataclasses.Field] = {}
    own: list[tuple[str, str, list[dataclasses.Field]]] = []
    for node, cls, title in node_configs():
        fields = []
        for field in dataclasses.fields(cls):
            if field.name in SHARED:
                shared.setdefault(field.name, field)
            else:
                fields.append(field)
        own.append((node, title, fields))
    lines = [HEADER]
    if shared:
        lines += _section('every node', WILDCARD, list(shared.values()))
    for node, title, fields in own:
        lines += _section(title, node_key(node), fields)
    return '\n'.join(lines)
