"""The launch file: its arguments and typed overrides checked everywhere (``launch_args`` is
ROS-free), the real launch description where ROS 2 exists."""
import ast
import dataclasses
import importlib.util
import re
from pathlib import Path

import pytest
import yaml

from rvm_bringup.launch_args import (ARGUMENTS, NODES, OVERRIDES, config_classes, default_value,
                                     node_overrides)

ROOT = Path(__file__).resolve().parents[2]
LAUNCH = ROOT / 'launch' / 'rvm_edge.launch.py'
README = ROOT / 'README.md'


def _console_scripts(package):
    text = (ROOT / 'src' / package / 'setup.py').read_text()
    return set(re.findall(r"'([\w-]+) = [\w.]+:\w+'", text))


def _coerce(value: str, value_type: type):
    """launch.utilities.type_utils.coerce_to_type (Humble) for the scalar types we use."""
    if value_type is str:
        return value
    if value_type in (int, float):
        return value_type(value)
    output = yaml.safe_load(value)
    assert isinstance(output, value_type), f'{value!r} is not a {value_type.__name__}'
    return output


def test_declares_the_documented_arguments_with_descriptions():
    names = {a[0] for a in ARGUMENTS}
    assert {'use_camera', 'camera_source', 'model_path', 'device', 'bridge_host', 'bridge_port',
            'bridge_tls', 'app_key', 'app_id', 'api_base', 'rvm_id', 'rviz', 'params_file',
            'namespace', 'image_input', 'respawn', 'respawn_delay'} <= names
    for name, default, description, choices in ARGUMENTS:
        assert len(description) > 10, f'{name} needs a description'
        assert choices is None or default in choices, f'{name}: default not among its choices'
    secrets = [n for n in names if re.search(r'token|secret|password', n)]
    assert secrets == [], 'secrets must come from environment variables, not launch arguments'


def test_every_readme_launch_argument_is_declared():
    declared = {a[0] for a in ARGUMENTS}
    used = set(re.findall(r'\b(\w+):=', README.read_text(encoding='utf-8')))
    assert used <= declared, f'README uses undeclared launch arguments {sorted(used - declared)}'


def test_every_node_executable_is_a_console_script_of_its_package():
    text = LAUNCH.read_text()
    pairs = re.findall(r"\('(rvm_\w+)', '(\w+)', '(\w+)'\)", text)
    assert {p[2] for p in pairs} == set(NODES)
    for package, executable, _name in pairs:
        assert executable in _console_scripts(package), f'{package} has no {executable}'


def test_overrides_target_parameters_the_cores_declare():
    fields = {
        node: {f.name for f in dataclasses.fields(cls)} for node, cls in config_classes().items()}
    declared = {a[0] for a in ARGUMENTS}
    for launch_arg, (node, param) in OVERRIDES.items():
        assert launch_arg in declared
        targets = NODES if node == '*' else (node,)
        assert any(param in fields[n] for n in targets), f'{launch_arg} overrides unknown {param}'
        assert default_value(launch_arg) == '', f'{launch_arg}: empty default keeps the YAML value'


def test_overrides_keep_the_parameter_type_so_numeric_strings_stay_strings():
    values = {
        'rvm_id': '42', 'camera_source': '0', 'bridge_port': '6001', 'bridge_tls': 'false',
        'camera_fps': '12', 'app_key': '12345', 'image_input': 'compressed', 'model_path': ''}
    overrides = node_overrides(values)
    assert overrides['camera']['source'] == ('0', str)
    assert overrides['camera']['fps'] == ('12', float)
    assert overrides['bridge']['port'] == ('6001', int)
    assert overrides['bridge']['tls'] == ('false', bool)
    assert overrides['bridge']['app_key'] == ('12345', str)
    assert overrides['detector']['image_input'] == ('compressed', str)
    assert 'model_path' not in overrides['detector'], 'an empty argument keeps the YAML value'
    assert 'camera_watch' not in overrides['health'], 'the camera node reports its own status'
    for node in NODES:   # rvm_id reaches every node, as a string
        assert overrides[node]['rvm_id'] == ('42', str)
    # what launch_ros does with them: coerce_to_type, then yaml.dump into a --params-file keyed
    # by the node's full name, which rcl parses back
    for node in NODES:
        typed = {p: _coerce(text, t) for p, (text, t) in overrides[node].items()}
        rendered = yaml.safe_load(yaml.dump({f'/rvm/{node}': {'ros__parameters': typed}}))
        back = rendered[f'/rvm/{node}']['ros__parameters']
        assert back['rvm_id'] == '42' and isinstance(back['rvm_id'], str)
        if node == 'camera':
            assert back['source'] == '0' and back['fps'] == 12.0
        if node == 'bridge':
            assert back['port'] == 6001 and back['tls'] is False and back['app_key'] == '12345'


def test_without_a_camera_node_health_watches_the_frames_the_detector_takes():
    replay = node_overrides({'use_camera': 'false', 'image_input': 'compressed'})
    assert replay['health']['camera_watch'] == ('compressed', str)
    assert replay['detector']['image_input'] == ('compressed', str)
    assert node_overrides({'use_camera': 'false'})['health']['camera_watch'] == ('image', str)


def test_params_and_rviz_files_it_points_at_exist_and_are_installed():
    assert (ROOT / 'config' / 'rvm_edge.params.yaml').is_file()
    rviz = (ROOT / 'rviz' / 'rvm_edge.rviz').read_text()
    assert '/rvm/image_raw' in rviz and '/rvm/detections/annotated' in rviz
    bringup = ROOT / 'src' / 'rvm_bringup'
    for link in ('launch', 'config', 'rviz', 'data'):
        assert (bringup / link).resolve() == (ROOT / link).resolve()
    # the colcon install carries the sample video and bag (rvm-edge run's default source)
    setup = (bringup / 'setup.py').read_text()
    for pattern in ("glob('data/sample/rvm_sample.*')", "glob('data/sample/rvm_sample_bag/*')"):
        assert pattern in setup
    assert (bringup / 'data' / 'sample' / 'rvm_sample.mp4').is_file()
    assert (bringup / 'data' / 'sample' / 'rvm_sample_bag' / 'metadata.yaml').is_file()


def test_the_readme_runs_installed_console_scripts_through_ros2_run():
    section = (
        README.read_text(encoding='utf-8').split('## On the Jetson', 1)[1].split('\n## ', 1)[0])
    for line in section.splitlines():
        command = line.strip()
        for script in ('rvm-camera-record', 'rvm-edge ', 'camera_node', 'detector_node'):
            if command.startswith(script):
                raise AssertionError(
                    f'colcon installs {script.strip()} in lib/<pkg>/: use ros2 run ({line})')
    assert 'params_file:=' in section


def test_launch_file_nodes_respawn_and_use_typed_parameter_values():
    tree = ast.parse(LAUNCH.read_text())
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    names = {getattr(c.func, 'id', None) for c in calls}
    assert 'ParameterValue' in names
    node_calls = [c for c in calls if getattr(c.func, 'id', None) == 'Node']
    keywords = {k.arg for c in node_calls for k in c.keywords}
    assert {'respawn', 'respawn_delay', 'parameters', 'namespace'} <= keywords


def _load_launch_module():
    spec = importlib.util.spec_from_file_location('rvm_edge_launch', LAUNCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.ros
def test_launch_description_builds_with_ros(tmp_path):
    if importlib.util.find_spec('rclpy') is None or importlib.util.find_spec('launch_ros') is None:
        pytest.skip('rclpy not available')
    from launch import LaunchContext, LaunchDescription
    from launch.actions import DeclareLaunchArgument

    module = _load_launch_module()
    description = module.generate_launch_description()
    assert isinstance(description, LaunchDescription)
    context = LaunchContext()
    for action in description.entities:
        if isinstance(action, DeclareLaunchArgument):
            action.visit(context)
    context.launch_configurations.update({'rvm_id': '42', 'camera_source': '0'})
    nodes = module._nodes(context)
    assert len(nodes) == 4
    for node in nodes:
        node._perform_substitutions(context)
        # launch_ros Humble keeps (path or rule, is_file) here; no public getter
        files = [p for p, is_file in node._Node__expanded_parameter_arguments if is_file]
        assert len(files) == 2, 'the params file, then the typed overrides'
        (key, section), = yaml.safe_load(Path(files[-1]).read_text()).items()
        assert key == node.node_name and section['ros__parameters']['rvm_id'] == '42'
        if key == '/rvm/camera':
            assert section['ros__parameters']['source'] == '0'
    context.launch_configurations['use_camera'] = 'false'
    assert len(module._nodes(context)) == 3


def test_publish_debug_images_switches_the_detector_debug_worker_as_a_bool():
    assert node_overrides({'publish_debug_images': 'false'})['detector'][
        'publish_debug_images'] == ('false', bool)
    assert (
        'publish_debug_images' not in node_overrides({})['detector']
    ), 'empty keeps the YAML (true)'


def test_the_launch_checks_the_params_file_like_the_runner(tmp_path):
    from rvm_bringup.launch_args import check_params_file
    from rvm_common.params import ConfigError

    check_params_file(str(ROOT / 'config' / 'rvm_edge.params.yaml'))     # the shipped file passes
    assert 'check_params_file(params_file)' in LAUNCH.read_text()
    cases = {
        "/**/camra:\n  ros__parameters:\n    fps: 5.0\n": ('camra', 'camera'),
        "/**/camera:\n  ros__parameters:\n    fsp: 5.0\n": ('camera', 'fsp'),
        "/**/camera:\n  ros__parameters:\n    fps: fast\n": ('camera', 'fps'),
    }
    for text, (section, key) in cases.items():
        bad = tmp_path / 'bad.params.yaml'
        bad.write_text(text)
        with pytest.raises(ConfigError) as err:
            check_params_file(str(bad))
        assert str(bad) in str(err.value) and section in str(err.value) and key in str(err.value)


def test_a_missing_optional_dependency_stops_the_launch_before_any_node_with_a_clear_message():
    from rvm_bringup.launch_args import missing_optional
    installed = {'rviz2': False}
    message, = missing_optional({'rviz': 'true'}, installed.get)
    assert 'rviz2' in message and 'ros-humble-rviz2' in message and 'rviz:=false' in message
    assert missing_optional({'rviz': 'false'}, installed.get) == []
    assert missing_optional({'rviz': 'true'}, lambda package: True) == []
    # in the launch file: checked first, then the four nodes, rviz (if asked for) last
    source = LAUNCH.read_text()
    body = source.split('def _nodes(', 1)[1].split('\ndef ', 1)[0]
    check = body.index('missing_optional(')
    assert check < body.index('raise RuntimeError(\'; \'.join(missing))') < body.index('Node(')
    assert body.index("for package, executable, name in NODES") < body.index("'rviz2'")
    assert 'rviz2' not in source.split('def generate_launch_description', 1)[1]


def test_the_bridge_gets_a_sigterm_timeout_covering_its_drain_delivery_and_stop(tmp_path):
    from rvm_bringup.launch_args import bridge_sigterm_timeout_s
    from rvm_common.shutdown_order import CORE_STOP_S, FINAL_DELIVERY_S
    shipped = bridge_sigterm_timeout_s(str(ROOT / 'config' / 'rvm_edge.params.yaml'))
    assert shipped > 5.0 + FINAL_DELIVERY_S + CORE_STOP_S, 'the shipped grace is 5 s'
    short = tmp_path / 'short.yaml'
    short.write_text('/**/bridge:\n  ros__parameters:\n    shutdown_grace_s: 1.0\n')
    assert bridge_sigterm_timeout_s(str(short)) == shipped - 4.0
    assert "'sigterm_timeout': str(bridge_sigterm_timeout_s(params_file))" in LAUNCH.read_text()


@pytest.mark.ros
def test_rviz_true_without_rviz2_starts_no_node(monkeypatch):
    if importlib.util.find_spec('rclpy') is None or importlib.util.find_spec('launch_ros') is None:
        pytest.skip('rclpy not available')
    from launch import LaunchContext
    from launch.actions import DeclareLaunchArgument

    module = _load_launch_module()
    monkeypatch.setattr(module, 'ros_package_exists', lambda package: package != 'rviz2')
    context = LaunchContext()
    for action in module.generate_launch_description().entities:
        if isinstance(action, DeclareLaunchArgument):
            action.visit(context)
    context.launch_configurations['rviz'] = 'true'
    with pytest.raises(RuntimeError, match='rviz2.*not installed'):
        module._nodes(context)
    monkeypatch.setattr(module, 'ros_package_exists', lambda package: True)
    nodes = module._nodes(context)
    assert [n.node_executable for n in nodes][-1] == 'rviz2' and len(nodes) == 5


def test_camera_source_sample_is_the_bundled_video_as_for_the_runner():
    """camera_source:=sample names the same video as rvm-edge run --source sample."""
    from rvm_bringup.run_config import find_sample
    text, value_type = node_overrides({'camera_source': 'sample'})['camera']['source']
    assert text == str(find_sample()) and value_type is str
    assert node_overrides({'camera_source': '0'})['camera']['source'] == ('0', str)
