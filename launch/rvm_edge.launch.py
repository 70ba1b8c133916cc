"""Launch the rvm-edge graph: camera -> detector -> health -> bridge (+ optional rviz).

    ros2 launch launch/rvm_edge.launch.py camera_source:=/dev/video0
    ros2 launch rvm_bringup rvm_edge.launch.py use_camera:=false   # then: ros2 bag play <bag>

Every node reads the params YAML (``params_file``, default: config/rvm_edge.params.yaml next to
this file); launch arguments left empty keep the YAML value.  Secrets never travel as launch
arguments: the bridge reads its Bearer token and app secret from the environment variables named
in the YAML (RVM_BRIDGE_TOKEN, RVM_BRIDGE_APP_SECRET by default).
"""
import os

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_PARAMS = os.path.join(HERE, '..', 'config', 'rvm_edge.params.yaml')
DEFAULT_RVIZ = os.path.join(HERE, '..', 'rviz', 'rvm_edge.rviz')

# launch argument -> (node, parameter) override, applied only when the argument is non-empty.
OVERRIDES = {
    'camera_source': ('camera', 'source'),
    'model_path': ('detector', 'model_path'),
    'sam2_weights': ('detector', 'sam2_weights'),
    'device': ('detector', 'device'),
    'bridge_host': ('bridge', 'host'),
    'bridge_port': ('bridge', 'port'),
    'bridge_tls': ('bridge', 'tls'),
    'rvm_id': ('/**', 'rvm_id'),
}

ARGUMENTS = [
    ('namespace', 'rvm', 'ROS namespace of every node (topics are relative to it)', None),
    ('params_file', DEFAULT_PARAMS, 'ROS 2 params YAML for all nodes', None),
    ('use_camera', 'true', 'start the camera node; false for rosbag replay (ros2 bag play)',
     ('true', 'false')),
    ('camera_source', '', 'camera source: /dev/videoN, N, csi://N, gst:<pipeline>, rtsp://..., '
     'a video file, an image folder or a rosbag2 directory (empty: YAML value)', None),
    ('model_path', '', 'YOLO11-seg weights (.pt/.onnx/.engine), local path (empty: YAML value)', None),
    ('sam2_weights', '', 'SAM2/SAM2.1 weights, local path (empty: YAML value)', None),
    ('device', '', 'inference device (empty: YAML value)', ('', 'auto', 'cpu', 'cuda:0', 'cuda:1')),
    ('bridge_host', '', 'Reverb/Pusher host; empty keeps the YAML value (empty there = offline '
     'outbox only)', None),
    ('bridge_port', '', 'Reverb/Pusher port (empty: YAML value)', None),
    ('bridge_tls', '', 'use wss/https (empty: YAML value)', ('', 'true', 'false')),
    ('rvm_id', '', 'machine id used in channel names and payloads (empty: YAML value)', None),
    ('rviz', 'false', 'open rviz2 with the raw and annotated images', ('true', 'false')),
    ('log_level', 'info', 'log level of every node', ('debug', 'info', 'warn', 'error')),
]


def _typed(value):
    lowered = value.lower()
    if lowered in ('true', 'false'):
        return lowered == 'true'
    try:
        return int(value)
    except ValueError:
        return value


def _nodes(context):
    arg = {name: LaunchConfiguration(name).perform(context) for name, *_ in ARGUMENTS}
    overrides = {'camera': {}, 'detector': {}, 'health': {}, 'bridge': {}}
    for launch_arg, (node, param) in OVERRIDES.items():
        if arg[launch_arg] == '':
            continue
        targets = overrides if node == '/**' else {node: overrides[node]}
        for values in targets.values():
            values[param] = _typed(arg[launch_arg])
    common = dict(namespace=arg['namespace'], output='screen', emulate_tty=True,
                  arguments=['--ros-args', '--log-level', arg['log_level']])

    def node(package, executable, name, **extra):
        return Node(package=package, executable=executable, name=name,
                    parameters=[arg['params_file'], overrides[name]], **common, **extra)

    actions = [
        node('rvm_detector', 'detector_node', 'detector'),
        node('rvm_health', 'health_node', 'health'),
        node('rvm_bridge', 'bridge_node', 'bridge'),
    ]
    if arg['use_camera'] == 'true':
        actions.insert(0, node('rvm_camera', 'camera_node', 'camera'))
    return actions


def generate_launch_description():
    """Declare the arguments, the four nodes and rviz."""
    declared = [DeclareLaunchArgument(name, default_value=default, description=text,
                                      **({'choices': list(choices)} if choices else {}))
                for name, default, text, choices in ARGUMENTS]
    rviz = Node(package='rviz2', executable='rviz2', name='rviz2', output='screen',
                arguments=['-d', DEFAULT_RVIZ], condition=IfCondition(LaunchConfiguration('rviz')))
    return LaunchDescription(declared + [OpaqueFunction(function=_nodes), rviz])
