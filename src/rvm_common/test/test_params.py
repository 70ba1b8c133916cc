"""Config dataclasses <-> ROS params YAML: one validation mechanism with located errors."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from rvm_common.params import (ConfigError, coerce, config_from_mapping, defaults_of,
                               load_node_params, load_params_file, node_of, param)


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
    ({'nope': 1}, "DemoConfig: unknown key 'nope'"),
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


@dataclass(frozen=True)
class RangedConfig:
    """Typed fields with ranges, as the structured config files use them."""

    fps: float = param(15.0, 'frames per second', minimum=0.0)
    quality: int = param(90, 'JPEG quality', minimum=1, maximum=100)
    limit: float | None = None
    names: tuple[str, ...] = ()

    def __post_init__(self):
        if self.limit is not None and self.limit > self.fps:
            raise ConfigError(f'limit: {self.limit} is above fps')


@pytest.mark.parametrize('values,message', [
    ({'fps': 'fast'}, "f.yaml: camera.fps: expected a number, got 'fast'"),
    ({'fps': -1}, 'f.yaml: camera.fps: -1.0 is out of range (allowed: >= 0.0)'),
    ({'quality': 101}, 'f.yaml: camera.quality: 101 is out of range (allowed: 1..100)'),
    ({'limit': 'x'}, 'f.yaml: camera.limit: expected a number'),
    ({'names': 'a'}, 'f.yaml: camera.names: expected a list'),
    ({'fsp': 1.0}, "f.yaml: camera: unknown key 'fsp' (did you mean 'fps'?)"),
    ({'limit': 20.0}, 'f.yaml: camera.limit: 20.0 is above fps'),
])
def test_errors_name_file_section_and_key(values, message):
    with pytest.raises(ConfigError) as info:
        config_from_mapping(RangedConfig, values, source='f.yaml', section='camera')
    assert str(info.value).startswith(message)


def test_optional_and_tuple_fields_are_coerced():
    cfg = config_from_mapping(RangedConfig, {'limit': 3, 'names': ['a', 1], 'quality': 100})
    assert cfg.limit == 3.0 and isinstance(cfg.limit, float) and cfg.names == ('a', '1')
    assert config_from_mapping(RangedConfig, {'limit': None}).limit is None


def test_coerce_by_type_hint():
    assert coerce(2, float) == 2.0 and coerce('x', str) == 'x' and coerce(3, str) == '3'
    with pytest.raises(ValueError, match='expected true/false'):
        coerce(1, bool)
    with pytest.raises(ValueError, match='expected an integer'):
        coerce(True, int)


NODES = {'demo': DemoConfig, 'ranged': RangedConfig}


def _write(tmp_path, text):
    path = tmp_path / 'p.yaml'
    path.write_text(text)
    return path


def test_params_file_sections_in_every_ros_form(tmp_path):
    path = _write(tmp_path, '/**:\n  ros__parameters:\n    rate: 1.0\n    fps: 2.0\n'
                            '/**/demo:\n  ros__parameters:\n    depth: 7\n'
                            '/robot/ranged:\n  ros__parameters:\n    quality: 50\n'
                            'demo:\n  ros__parameters:\n    rate: 3.0\n    use_sim_time: false\n')
    params = load_params_file(path, NODES)
    assert params['demo'] == {'rate': 3.0, 'depth': 7, 'use_sim_time': False}
    assert params['ranged'] == {'fps': 2.0, 'quality': 50}
    assert node_of('/**/camera') == node_of('/camera') == node_of('camera') == 'camera'


@pytest.mark.parametrize(
    'text,message',
    [
        (
            'dmeo:\n  ros__parameters:\n    rate: 1.0\n',
            "p.yaml: unknown section 'dmeo' (did you mean 'demo'?)"),
        (
            'demo:\n  ros__parameters:\n    rtae: 1.0\n',
            "p.yaml: demo: unknown key 'rtae' (did you mean 'rate'?)"),
        (
            '/**:\n  ros__parameters:\n    qualty: 1\n',
            "p.yaml: /**: unknown key 'qualty' (did you mean 'quality'?)"),
        (
            'demo:\n  ros_parameters:\n    rate: 1.0\n',
            "p.yaml: demo: unknown key 'ros_parameters' (did you mean 'ros__parameters'?)"),
        ('- a\n', 'p.yaml: top level must be a mapping'),
    ],
)
def test_params_file_unknown_names_are_errors(tmp_path, text, message):
    with pytest.raises(ConfigError) as info:
        load_params_file(_write(tmp_path, text), NODES)
    assert str(info.value).startswith(str(tmp_path / message))


def test_yaml_syntax_errors_name_file_and_line(tmp_path):
    path = _write(tmp_path, 'demo:\n  ros__parameters:\n    rate: [1.0\n    depth: 2\n')
    with pytest.raises(ConfigError, match=r'p\.yaml is not valid YAML \(line 4, column'):
        load_params_file(path, NODES)
