"""Config dataclasses <-> ROS params YAML."""
from dataclasses import dataclass

import pytest

from rvm_common.params import (ConfigError, config_from_mapping, defaults_of, load_node_params,
                               param)


@dataclass(frozen=True)
class DemoConfig:
    """A config used only by these tests."""

    rate: float = param(10.0, 'frames per second')
    depth: int = param(5, 'queue depth')
    mode: str = param('fast', 'mode', choices=('fast', 'slow'))
    enabled: bool = param(True, 'on/off')
    paths: list = param(['/'], 'paths')


def test_defaults_and_coercion():
    cfg = config_from_mapping(DemoConfig, {'rate': 5, 'paths': ['/a', '/b']})
    assert cfg.rate == 5.0 and isinstance(cfg.rate, float)
    assert cfg.paths == ['/a', '/b']
    assert defaults_of(DemoConfig)['depth'] == 5


@pytest.mark.parametrize('values,match', [
    ({'depth': 'many'}, 'expected an integer'),
    ({'enabled': 'yes'}, 'expected true/false'),
    ({'mode': 'medium'}, 'not one of'),
    ({'nope': 1}, 'unknown parameter'),
])
def test_bad_values_raise(values, match):
    with pytest.raises(ConfigError, match=match):
        config_from_mapping(DemoConfig, values)


def test_list_defaults_are_not_shared():
    a, b = DemoConfig(), DemoConfig()
    assert a.paths == b.paths and a.paths is not b.paths


def test_load_node_params_merges_wildcard_then_node(tmp_path):
    path = tmp_path / 'p.yaml'
    path.write_text('/**:\n  ros__parameters:\n    rate: 1.0\n    depth: 2\n'
                    'demo:\n  ros__parameters:\n    rate: 3.0\n')
    assert load_node_params(path, 'demo') == {'rate': 3.0, 'depth': 2}
    assert load_node_params(path, 'other') == {'rate': 1.0, 'depth': 2}


def test_load_node_params_errors_are_clear(tmp_path):
    with pytest.raises(ConfigError, match='cannot read params file'):
        load_node_params(tmp_path / 'missing.yaml', 'demo')
    bad = tmp_path / 'bad.yaml'
    bad.write_text('a: [unclosed\n')
    with pytest.raises(ConfigError, match='not valid YAML'):
        load_node_params(bad, 'demo')
