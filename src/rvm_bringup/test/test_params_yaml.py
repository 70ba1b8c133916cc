"""The shipped params YAML is what the cores' config classes render, and reaches every node
the way rcl/rclpy Humble resolve it (``rvm_common.ros_param_match``), in any namespace."""
from pathlib import Path

import pytest
import yaml

from rvm_bringup.params_yaml import node_configs, node_key, render_params_yaml
from rvm_common.params import config_from_mapping, defaults_of, load_node_params
from rvm_common.ros_param_match import resolve_file

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = ROOT / 'config' / 'rvm_edge.params.yaml'


def test_shipped_yaml_is_in_sync_with_the_config_classes():
    assert SHIPPED.read_text(encoding='utf-8') == render_params_yaml(), (
        'config/rvm_edge.params.yaml is stale: run `rvm-edge params --write`')
    assert (ROOT / 'src' / 'rvm_bringup' / 'config' / 'rvm_edge.params.yaml').read_text(
        encoding='utf-8') == SHIPPED.read_text(encoding='utf-8')


def test_node_sections_are_keyed_for_any_namespace_and_shared_values_come_first():
    data = yaml.safe_load(SHIPPED.read_text(encoding='utf-8'))
    keys = list(data)
    assert keys[0] == '/**', 'shared values first: rcl lets later sections override earlier ones'
    assert keys[1:] == [node_key(node) for node, _cls, _title in node_configs()]
    assert keys[1:] == ['/**/camera', '/**/detector', '/**/health', '/**/bridge']


@pytest.mark.parametrize('namespace', ['/rvm', '/plant_3/line_2', ''])
def test_every_node_gets_all_its_parameters_as_rcl_resolves_them(namespace):
    for node, cls, _title in node_configs():
        fqn = f'{namespace}/{node}'
        values = resolve_file(SHIPPED, fqn)
        expected = set(defaults_of(cls)) | {'rvm_id'}
        assert expected <= set(values), f'{fqn}: missing {sorted(expected - set(values))}'
        other_nodes = {n for n, _c, _t in node_configs()} - {node}
        for other in other_nodes:   # no section leaks into another node
            only_other = set(defaults_of(dict((n, c) for n, c, _ in node_configs())[other]))
            assert not (only_other - set(defaults_of(cls)) - {'rvm_id'}) & set(values)


def test_a_machine_copy_overrides_reach_the_namespaced_node(tmp_path):
    text = SHIPPED.read_text(encoding='utf-8')
    text = text.replace('    source: "/dev/video0"', '    source: "0"')
    text = text.replace('    rvm_id: ""', '    rvm_id: "42"')
    copy = tmp_path / 'machine.yaml'
    copy.write_text(text, encoding='utf-8')
    camera = resolve_file(copy, '/rvm/camera')
    assert camera['source'] == '0' and camera['rvm_id'] == '42'
    assert resolve_file(copy, '/rvm/bridge')['rvm_id'] == '42'


def test_every_parameter_is_documented_and_loads_back_to_the_defaults():
    text = SHIPPED.read_text(encoding='utf-8')
    data = yaml.safe_load(text)
    for node, cls, _title in node_configs():
        values = load_node_params(SHIPPED, node)
        config = config_from_mapping(cls, {k: v for k, v in values.items()
                                           if k in defaults_of(cls)})
        assert config == cls(), f'{node}: YAML values differ from the defaults'
        for name in defaults_of(cls):
            if name == 'rvm_id':
                assert 'rvm_id' in data['/**']['ros__parameters']
                continue
            assert name in data[node_key(node)]['ros__parameters'], f'{node}.{name} missing'
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith('    ') and not line.strip().startswith('#'):
            assert lines[i - 1].strip().startswith('# ') and len(lines[i - 1].strip()) > 6, (
                f'parameter without a description: {line.strip()}')
