"""The launch file: static checks everywhere, a real launch description where ROS 2 exists."""
import ast
import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAUNCH = ROOT / 'launch' / 'rvm_edge.launch.py'


def _assigned(name):
    tree = ast.parse(LAUNCH.read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, 'id', None) == name for t in node.targets):
            return node.value
    raise AssertionError(f'{name} not found in {LAUNCH}')


def _console_scripts(package):
    text = (ROOT / 'src' / package / 'setup.py').read_text()
    return set(re.findall(r"'([\w-]+) = [\w.]+:main'", text))


def test_declares_the_documented_arguments_with_descriptions():
    arguments = ast.literal_eval(ast.unparse(_assigned('ARGUMENTS')).replace('DEFAULT_PARAMS', "''"))
    names = {a[0] for a in arguments}
    assert {'use_camera', 'camera_source', 'model_path', 'device', 'bridge_host', 'bridge_port',
            'rvm_id', 'rviz', 'params_file', 'namespace'} <= names
    for name, _default, description, _choices in arguments:
        assert len(description) > 10, f'{name} needs a description'
    secrets = [n for n in names if re.search(r'token|secret|password', n)]
    assert secrets == [], 'secrets must come from environment variables, not launch arguments'


def test_every_node_executable_is_a_console_script_of_its_package():
    text = LAUNCH.read_text()
    pairs = re.findall(r"node\('(rvm_\w+)', '(\w+)', '(\w+)'\)", text)
    assert {p[2] for p in pairs} == {'camera', 'detector', 'health', 'bridge'}
    for package, executable, _name in pairs:
        assert executable in _console_scripts(package), f'{package} has no {executable}'


def test_overrides_target_parameters_the_cores_declare():
    import dataclasses

    from rvm_bridge.bridge_core import BridgeConfig
    from rvm_camera.camera_core import CameraConfig
    from rvm_detector.detector_core import DetectorConfig
    fields = {
        'camera': {f.name for f in dataclasses.fields(CameraConfig)},
        'detector': {f.name for f in dataclasses.fields(DetectorConfig)},
        'bridge': {f.name for f in dataclasses.fields(BridgeConfig)},
    }
    overrides = ast.literal_eval(_assigned('OVERRIDES'))
    for launch_arg, (node, param) in overrides.items():
        if node == '/**':
            continue
        assert param in fields[node], f'{launch_arg} overrides unknown {node}.{param}'


def test_params_and_rviz_files_it_points_at_exist_and_are_installed():
    assert (ROOT / 'config' / 'rvm_edge.params.yaml').is_file()
    rviz = (ROOT / 'rviz' / 'rvm_edge.rviz').read_text()
    assert '/rvm/image_raw' in rviz and '/rvm/detections/annotated' in rviz
    bringup = ROOT / 'src' / 'rvm_bringup'
    for link in ('launch', 'config', 'rviz'):
        assert (bringup / link).resolve() == (ROOT / link).resolve()


def test_launch_description_builds_with_ros():
    if importlib.util.find_spec('rclpy') is None or importlib.util.find_spec('launch_ros') is None:
        pytest.skip('rclpy not available')
    from launch import LaunchContext, LaunchDescription
    from launch.actions import DeclareLaunchArgument

    spec = importlib.util.spec_from_file_location('rvm_edge_launch', LAUNCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    description = module.generate_launch_description()
    assert isinstance(description, LaunchDescription)
    declared = {a.name for a in description.entities if isinstance(a, DeclareLaunchArgument)}
    assert 'use_camera' in declared
    context = LaunchContext()
    for action in description.entities:
        if isinstance(action, DeclareLaunchArgument):
            action.visit(context)
    nodes = module._nodes(context)
    assert len(nodes) == 4
    context.launch_configurations['use_camera'] = 'false'
    assert len(module._nodes(context)) == 3
