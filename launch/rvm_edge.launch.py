"""Launch the rvm-edge graph: camera -> detector -> health -> bridge (+ optional rviz).

    ros2 launch rvm_bringup rvm_edge.launch.py params_file:=/etc/rvm/rvm_edge.params.yaml
    ros2 launch rvm_bringup rvm_edge.launch.py camera_source:=0 rvm_id:=42 bridge_host:=...
    ros2 launch rvm_bringup rvm_edge.launch.py use_camera:=false image_input:=compressed
        # then, once /rvm/detector/status has arrived (ready; README "Record and replay"):
        # ros2 bag play data/sample/rvm_sample_bag --delay 2.0
    ros2 launch rvm_bringup rvm_edge.launch.py publish_debug_images:=false
        # no annotated image / label mask (rviz) at all: the detector's debug worker stays off

With ``rviz:=true`` the launch first checks that rviz2 is installed (else it stops with a
message saying what is missing, before any node starts) and starts rviz after the four nodes.
Ctrl-C signals every node at once; the bridge keeps taking the others' last words (final
``offline`` status, session summary) until they are gone or its ``shutdown_grace_s`` ends.

Every node reads the params YAML (``params_file``; default: the installed
config/rvm_edge.params.yaml, whose ``/**/<node>`` keys reach the nodes in any namespace);
launch arguments left empty keep the YAML value, the others keep the parameter's type
(``rvm_bringup.launch_args``).  Nodes respawn after ``respawn_delay`` when they exit.
Secrets never travel as launch arguments: the bridge reads its Bearer token and app secret
from the environment variables named in the YAML (RVM_BRIDGE_TOKEN, RVM_BRIDGE_APP_SECRET).
"""
import os

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration, TextSubstitution
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue

from rvm_bringup.launch_args import (ARGUMENTS, bridge_sigterm_timeout_s, check_params_file,
                                     missing_optional, node_overrides, ros_package_exists)

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_PARAMS = os.path.join(HERE, '..', 'config', 'rvm_edge.params.yaml')
DEFAULT_RVIZ = os.path.join(HERE, '..', 'rviz', 'rvm_edge.rviz')

# (package, executable, node name); the camera starts only with use_camera:=true.
NODES = (
    ('rvm_camera', 'camera_node', 'camera'),
    ('rvm_detector', 'detector_node', 'detector'),
    ('rvm_health', 'health_node', 'health'),
    ('rvm_bridge', 'bridge_node', 'bridge'),
)


def _nodes(context):
    arg = {name: LaunchConfiguration(name).perform(context) for name, *_ in ARGUMENTS}
    params_file = os.path.abspath(arg['params_file'] or DEFAULT_PARAMS)
    if not os.path.isfile(params_file):
        raise RuntimeError(f'params_file {params_file} does not exist')
    # unknown section/key, wrong type: the error names file, section, key
    check_params_file(params_file)
    # optional dependencies (rviz2) before any node starts: a failed start leaves no orphans
    missing = missing_optional(arg, ros_package_exists)
    if missing:
        raise RuntimeError('; '.join(missing))
    overrides = node_overrides(arg)
    respawn = arg['respawn'] == 'true'
    actions = []
    for package, executable, name in NODES:
        if name == 'camera' and arg['use_camera'] != 'true':
            continue
        typed = {param: ParameterValue(TextSubstitution(text=text), value_type=value_type)
                 for param, (text, value_type) in overrides[name].items()}
        # Ctrl-C signals every node at once; the bridge drains, delivers and stops before
        # launch escalates to SIGTERM (rvm_common.shutdown_order)
        timeout = ({'sigterm_timeout': str(bridge_sigterm_timeout_s(params_file))}
                   if name == 'bridge' else {})
        actions.append(
            Node(
                package=package, executable=executable, name=name, namespace=arg['namespace'],
                parameters=[params_file, typed] if typed else [params_file], output='screen',
                emulate_tty=True, respawn=respawn, respawn_delay=float(arg['respawn_delay']),
                arguments=['--ros-args', '--log-level', arg['log_level']], **timeout)
        )
    if arg['rviz'] == 'true':          # last: the graph does not depend on it
        actions.append(Node(package='rviz2', executable='rviz2', name='rviz2', output='screen',
                            arguments=['-d', DEFAULT_RVIZ]))
    return actions


def generate_launch_description():
    """Declare the arguments; the nodes (and rviz, last) once the arguments are checked."""
    declared = [DeclareLaunchArgument(name, default_value=default, description=text,
                                      **({'choices': list(choices)} if choices else {}))
                for name, default, text, choices in ARGUMENTS]
    return LaunchDescription(declared + [OpaqueFunction(function=_nodes)])
