"""Walk every declared parameter of every node under the fake rclpy (run by
tests/launch/test_parameter_walk.py).

For each node and each field of its config dataclass (``rvm_common.params``): a read-only
parameter has a read-only descriptor, the shipped YAML says so and ``set_parameters`` is refused
(rclpy's own rule); any other parameter has a run-time applier (``node.live``) and setting it to
another valid value succeeds AND the node's config holds the new value.  A few effects are
checked one by one: timers recreated, core thresholds updated, the bridge's core rebuilt.
Prints ``PARAMETERS OK <count>`` last.
"""
import dataclasses
import os
import re
import sys
import tempfile
import types
from pathlib import Path

import yaml

from rvm_bringup.params_yaml import node_key
from rvm_common.live_params import read_only_names

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = yaml.safe_load((ROOT / 'config' / 'rvm_edge.params.yaml').read_text(encoding='utf-8'))
SHIPPED_TEXT = (ROOT / 'config' / 'rvm_edge.params.yaml').read_text(encoding='utf-8')


def param(name, value):
    return types.SimpleNamespace(name=name, value=value)


def other_values(field, value, tmp):
    """Values different from ``value`` for ``field``; at least one of them is valid."""
    meta = field.metadata
    special = {'outbox_path': f'{tmp}/other-outbox.sqlite3', 'outbox_log': f'{tmp}/log.jsonl',
               'auth_token_file': f'{tmp}/token', 'ca_bundle': f'{tmp}/ca.pem',
               'channel_map_file': explicit_channel_map(tmp),
               'time_endpoint': '/api/v2/time', 'timezone': 'Europe/Berlin',
               'app_secret_env': 'RVM_WALK_SECRET', 'auth_token_env': 'RVM_WALK_TOKEN'}
    if field.name in special:
        return [special[field.name]]
    if meta.get('choices'):
        return [c for c in meta['choices'] if c != value]
    low, high = meta.get('minimum'), meta.get('maximum')
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [v for v in (value + 1, value - 1) if (high is None or v <= high)
                and (low is None or v >= low)]
    if isinstance(value, float):
        ups = [value * 1.5 if value else 1.0, (value + (low or 0.0)) / 2]
        return [v for v in ups if (high is None or v <= high) and v != value]
    if isinstance(value, str):
        return [value + '-walk' if value else 'walk']
    if isinstance(value, list):
        return [value + value[:1] if value else ['walk']]
    raise AssertionError(f'{field.name}: no other value for {value!r}')


def explicit_channel_map(tmp):
    """The bundled channel map with every route's transport spelled out (then the bridge's
    default ``transport`` may take any of its values)."""
    bundled = ROOT / 'src' / 'rvm_bridge' / 'rvm_bridge' / 'config' / 'channel_map.yaml'
    data = yaml.safe_load(bundled.read_text(encoding='utf-8'))
    for route in data['outbound']:
        route.setdefault('transport', 'http')
    path = Path(tmp) / 'channel_map.yaml'
    path.write_text(yaml.safe_dump(data), encoding='utf-8')
    return str(path)


def yaml_comment(node, name):
    lines = SHIPPED_TEXT.splitlines()
    key = '/**:' if name == 'rvm_id' else f'{node_key(node)}:'
    start = lines.index(key)
    index = next(i for i in range(start, len(lines)) if lines[i].startswith(f'    {name}:'))
    return lines[index - 1]


def walk(node, node_name, cls, tmp, *, skip=()):
    """Every field of ``cls`` on ``node``; returns how many were walked."""
    fixed = read_only_names(cls)
    assert node.live.problems == [], f'{node_name}: {node.live.problems}'
    assert node.live.applied() == {f.name for f in dataclasses.fields(cls)} - fixed
    walked = 0
    for field in dataclasses.fields(cls):
        name = field.name
        if name in skip:
            continue
        current = node.parameters[name]
        for new in other_values(field, current, tmp):   # the first valid one
            result, = node.set_parameters([param(name, new)])
            allowed = re.search(r'is not one of (.+)$', result.reason or '')
            if allowed and name not in fixed:          # choices checked by the class itself
                values = [v.strip("'") for v in allowed.group(1).split(', ')]
                new = next(v for v in values if v and v != current)
                result, = node.set_parameters([param(name, new)])
            if result.successful or name in fixed:
                break
        read_only_in_yaml = yaml_comment(node_name, name).endswith('(read-only at run time)')
        if name in fixed:
            assert node.describe_parameter(name).read_only, f'{node_name}.{name} descriptor'
            assert read_only_in_yaml, f'{node_name}.{name}: the YAML must say read-only'
            assert not result.successful and 'read-only' in result.reason, (node_name, name)
            assert node.parameters[name] == current
        else:
            assert not node.describe_parameter(name).read_only, f'{node_name}.{name} descriptor'
            assert not read_only_in_yaml, f'{node_name}.{name}: YAML says read-only'
            assert result.successful, f'{node_name}.{name} = {new!r}: {result.reason}'
            assert getattr(node.live.config, name) == new, f'{node_name}.{name} not applied'
            assert getattr(node.config, name) == new, f'{node_name}.{name} not in node.config'
        walked += 1
    return walked


def camera(tmp):
    from rvm_camera.camera_config import CameraConfig
    from rvm_camera.camera_node import CameraNode
    sample = ROOT / 'data' / 'sample' / 'rvm_sample.mp4'
    node = CameraNode(parameter_overrides=[param('source', str(sample))])
    try:
        timer = node.status_timer
        count = walk(node, 'camera', CameraConfig, tmp)
        assert node.status_timer is not timer and node.status_timer in node.timers
        assert node.status_timer[0] == node.config.status_period_s, 'timer recreated'
        assert node.core.config.fps == node.config.fps, 'the reader thread sees the new fps'
        assert (node.compressed_pub is not None) == node.config.publish_compressed
        bad, = node.set_parameters([param('jpeg_quality', 1000)])
        assert not bad.successful and 'jpeg_quality' in bad.reason, bad.reason
        return count
    finally:
        node.shutdown()
        node.destroy_node()


def health(tmp):
    from rvm_health.health_config import HealthConfig
    from rvm_health.health_node import HealthNode
    node = HealthNode()
    try:
        timer = node.diagnostics_timer
        count = walk(node, 'health', HealthConfig, tmp)
        assert node.diagnostics_timer is not timer and node.diagnostics_timer in node.timers
        assert node.diagnostics_timer[0] == node.config.diagnostics_period
        assert node.core.config.health_rate == node.config.health_rate, 'core sees the new rate'
        return count
    finally:
        node.shutdown()
        node.destroy_node()


def bridge(tmp):
    from rvm_bridge.bridge_config import BridgeConfig
    from rvm_bridge.bridge_node import BridgeNode
    os.environ['RVM_WALK_SECRET'] = 'walk-secret'
    node = BridgeNode(parameter_overrides=[param('outbox_path', f'{tmp}/outbox.sqlite3'),
                                           param('timezone_sync_on_start', False)])
    try:
        first_core = node.core
        # offline (host ''): every other setting restarts an offline core; host last
        count = walk(node, 'bridge', BridgeConfig, tmp, skip=('host',))
        assert node.core is not first_core, 'the core was rebuilt'
        assert dataclasses.replace(node.config, shutdown_grace_s=0.0) == dataclasses.replace(
            node.core.config, shutdown_grace_s=0.0), 'the core runs the new settings'
        assert node.diagnostics_timer[0] == node.config.status_period_s
        for name, value in (('transport', 'http'), ('app_key', 'k'), ('app_id', '1'),
                            ('app_secret_env', 'RVM_WALK_SECRET'), ('port', 9), ('tls', False),
                            ('channel_map_file', '')):
            result, = node.set_parameters([param(name, value)])
            assert result.successful, (name, result.reason)
        online, = node.set_parameters([param('host', '127.0.0.1')])
        assert online.successful, online.reason
        assert node.core.config.host == '127.0.0.1' and node.config_error == ''
        refused, = node.set_parameters([param('app_key', '')])   # online without a key
        assert not refused.successful and 'app_key' in refused.reason, refused.reason
        assert node.core.config.app_key == 'k', 'the working core is back'
        return count + 1
    finally:
        node.shutdown()
        node.destroy_node()


def detector(tmp):
    from rvm_detector.detector_config import DetectorConfig
    from rvm_detector.detector_node import DetectorNode
    node = DetectorNode(parameter_overrides=[param('model_path', f'{tmp}/missing.pt'),
                                             param('device', 'cpu')])
    try:
        timer = node.status_timer
        count = walk(node, 'detector', DetectorConfig, tmp)
        assert node.status_timer is not timer and node.status_timer[0] == 1.5
        assert node.core.config.conf == node.config.conf
        assert node.core.segmenter.conf == node.config.conf, 'the model threshold follows'
        assert node.core.evidence.policy.max_side == node.config.evidence_max_px
        return count
    finally:
        node.shutdown()
        node.destroy_node()


if __name__ == '__main__':
    tmp = tempfile.mkdtemp()
    total = camera(tmp) + health(tmp) + bridge(tmp)
    if '--with-detector' in sys.argv:
        total += detector(tmp)
    print(f'PARAMETERS OK {total}')
