"""The shipped params YAML is exactly what the cores' config classes render, and loads back."""
from pathlib import Path

import yaml

from rvm_bringup.params_yaml import node_configs, render_params_yaml
from rvm_common.params import config_from_mapping, defaults_of, load_node_params

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = ROOT / 'config' / 'rvm_edge.params.yaml'


def test_shipped_yaml_is_in_sync_with_the_config_classes():
    assert SHIPPED.read_text(encoding='utf-8') == render_params_yaml(), (
        'config/rvm_edge.params.yaml is stale: run `rvm-edge params --write`')


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
            assert name in data[node]['ros__parameters'], f'{node}.{name} missing'
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith('    ') and not line.strip().startswith('#'):
            assert lines[i - 1].strip().startswith('# ') and len(lines[i - 1].strip()) > 6, (
                f'parameter without a description: {line.strip()}')
