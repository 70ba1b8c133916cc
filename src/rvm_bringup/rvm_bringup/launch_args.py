"""The launch file's arguments and parameter overrides, ROS-free (so they are tested everywhere).

``launch/rvm_edge.launch.py`` declares :data:`ARGUMENTS`; a non-empty argument named in
:data:`OVERRIDES` overrides one parameter of one node (``'*'``: every node that declares it).
Each override keeps the type of the parameter it sets (:func:`node_overrides`): the launch file
wraps it in ``ParameterValue(..., value_type=<type>)``, so ``rvm_id:=42`` and
``camera_source:=0`` reach the nodes as strings, ``bridge_port:=6001`` as an integer.
The documented way to configure a machine is still a params file (``params_file:=FILE``).
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Mapping

NODES = ('camera', 'detector', 'health', 'bridge')

#: (name, default, description, choices or None); '' for an override = keep the params file value.
ARGUMENTS: tuple[tuple[str, str, str, tuple[str, ...] | None], ...] = (
    ('namespace', 'rvm', 'ROS namespace of every node (topics are relative to it)', None),
    (
        'params_file', '',
        (
            "ROS 2 params YAML for all nodes ('' = the installed "
            "config/rvm_edge.params.yaml); the documented way to configure a machine"
        ),
        None),
    (
        'use_camera', 'true', 'start the camera node; false for rosbag replay (ros2 bag play)',
        ('true', 'false')),
    (
        'camera_source', '',
        (
            'camera source: /dev/videoN, N, csi://N, gst:<pipeline>, rtsp://..., '
            'a video file, an image folder, a rosbag2 directory or sample (the bundled '
            'sample video, as for rvm-edge run) (empty: YAML value)'
        ),
        None),
    ('camera_fps', '', 'camera publish rate in frames/s (empty: YAML value)', None),
    (
        'image_input', '',
        (
            'detector input: raw (sensor_msgs/Image on image_raw) or compressed'
            ' (sensor_msgs/CompressedImage on image_raw/compressed, e.g. the bundled bag) (empty:'
            ' YAML)'
        ),
        ('', 'raw', 'compressed')),
    (
        'model_path', '',
        'YOLO11-seg weights (.pt/.onnx/.engine or *_openvino_model), local (empty: YAML value)',
        None),
    ('sam2_weights', '', 'SAM2/SAM2.1 weights, local path (empty: YAML value)', None),
    (
        'device', '', 'inference device (empty: YAML value)',
        ('', 'auto', 'cpu', 'cuda:0', 'cuda:1')),
    (
        'publish_debug_images', '',
        (
            'detector: draw and publish the annotated image and label mask for '
            'rviz on a debug thread, off the inference thread (empty: YAML value, true)'
        ),
        ('', 'true', 'false')),
    (
        'bridge_host', '',
        'Reverb/Pusher host; empty keeps the YAML value (empty there = offline outbox only)', None,
    ),
    ('bridge_port', '', 'Reverb/Pusher port (empty: YAML value)', None),
    ('bridge_tls', '', 'use wss/https (empty: YAML value)', ('', 'true', 'false')),
    ('app_key', '', 'Reverb/Pusher app key, public (empty: YAML value)', None),
    ('app_id', '', 'Reverb/Pusher app id, for the HTTP events API (empty: YAML value)', None),
    (
        'api_base', '', 'base URL of the MyRVM API: channel auth, server time (empty: YAML value)',
        None),
    ('ca_bundle', '', 'PEM CA bundle for TLS verification (empty: YAML value)', None),
    ('outbox_path', '', 'SQLite file of the durable outbox (empty: YAML value)', None),
    ('rvm_id', '', 'machine id used in channel names and payloads (empty: YAML value)', None),
    (
        'respawn', 'true',
        'restart a node that exits (durable topics are latched, nothing is lost)',
        ('true', 'false')),
    ('respawn_delay', '2.0', 'seconds before a node that exited is restarted', None),
    ('rviz', 'false', 'open rviz2 with the raw and annotated images', ('true', 'false')),
    ('log_level', 'info', 'log level of every node', ('debug', 'info', 'warn', 'error')),
)

#: launch argument -> (node, parameter); node '*' = every node that declares the parameter.
OVERRIDES: dict[str, tuple[str, str]] = {
    'camera_source': ('camera', 'source'),
    'camera_fps': ('camera', 'fps'),
    'image_input': ('detector', 'image_input'),
    'model_path': ('detector', 'model_path'),
    'sam2_weights': ('detector', 'sam2_weights'),
    'device': ('detector', 'device'),
    'publish_debug_images': ('detector', 'publish_debug_images'),
    'bridge_host': ('bridge', 'host'),
    'bridge_port': ('bridge', 'port'),
    'bridge_tls': ('bridge', 'tls'),
    'app_key': ('bridge', 'app_key'),
    'app_id': ('bridge', 'app_id'),
    'api_base': ('bridge', 'api_base'),
    'ca_bundle': ('bridge', 'ca_bundle'),
    'outbox_path': ('bridge', 'outbox_path'),
    'rvm_id': ('*', 'rvm_id'),
}


def config_classes() -> dict[str, type]:
    """Node name -> config dataclass (the parameters the node declares)."""
    from rvm_bringup.params_yaml import node_configs
    return {node: cls for node, cls, _title in node_configs()}


def check_params_file(path: str) -> None:
    """Raise :class:`rvm_common.params.ConfigError` naming file, section and key when the params
    file has an unknown section or key, a wrong type or an out-of-range value: the launch checks
    it with the runner's rules before starting any node (rcl itself ignores unknown keys)."""
    from rvm_common.params import config_from_mapping, load_params_file
    classes = config_classes()
    values = load_params_file(path, classes)
    for node, cls in classes.items():
        known = {f.name for f in dataclasses.fields(cls)}
        config_from_mapping(cls, {k: v for k, v in values[node].items() if k in known},
                            source=str(path), section=node)
    calibration = values.get('detector', {}).get('calibration_file')
    if calibration:       # the chamber calibration it names must load (issue 24)
        from rvm_bringup.calibrate_cli import check_calibration
        check_calibration(str(calibration), f'{path} detector.calibration_file')


#: optional dependencies: launch argument (when 'true') -> (ROS package, how to get it)
OPTIONAL_PACKAGES: dict[str, tuple[str, str]] = {
    'rviz': ('rviz2', 'sudo apt install ros-humble-rviz2'),
}


def missing_optional(values: Mapping[str, str],
                     package_exists: Callable[[str], bool]) -> list[str]:
    """One message per optional dependency that a ``true`` launch argument in ``values`` asks
    for and that is not installed; the launch stops with them before starting any node."""
    missing = []
    for argument, (package, install) in OPTIONAL_PACKAGES.items():
        if values.get(argument) == 'true' and not package_exists(package):
            missing.append(f'{argument}:=true needs the ROS package {package}, which is not '
                           f'installed: {install}, or launch with {argument}:=false')
    return missing


def ros_package_exists(name: str) -> bool:
    """True when the ament index knows package ``name`` (what launch_ros resolves it with)."""
    from ament_index_python.packages import PackageNotFoundError, get_package_prefix
    try:
        get_package_prefix(name)
    except PackageNotFoundError:
        return False
    return True


def bridge_sigterm_timeout_s(params_file: str) -> float:
    """Seconds between SIGINT and SIGTERM the launch gives the bridge: its drain (the params
    file's ``shutdown_grace_s``), final delivery and stop (``rvm_common.shutdown_order``)."""
    from rvm_common.params import config_from_mapping, load_params_file
    from rvm_common.shutdown_order import bridge_sigterm_timeout
    cls = config_classes()['bridge']
    values = load_params_file(params_file, config_classes())['bridge']
    known = {f.name for f in dataclasses.fields(cls)}
    config = config_from_mapping(cls, {k: v for k, v in values.items() if k in known})
    return bridge_sigterm_timeout(config.shutdown_grace_s)


def parameter_type(cls: type, name: str) -> type:
    """The Python type (str, int, float, bool, list) of parameter ``name`` of ``cls``."""
    for field in dataclasses.fields(cls):
        if field.name == name:
            default = (field.default if field.default is not dataclasses.MISSING
                       else field.default_factory())
            return type(default)
    raise KeyError(f'{cls.__name__} declares no parameter {name!r}')


def node_overrides(values: Mapping[str, str]) -> dict[str, dict[str, tuple[str, type]]]:
    """node -> {parameter: (value text, value type)} for every non-empty override in ``values``
    (launch argument -> performed string), plus what ``use_camera:=false`` implies: health
    watches the frames (``image_raw`` or, with ``image_input:=compressed``,
    ``image_raw/compressed``) instead of the camera's status."""
    classes = config_classes()
    out: dict[str, dict[str, tuple[str, type]]] = {node: {} for node in NODES}
    for argument, (target, param) in OVERRIDES.items():
        text = values.get(argument, '')
        if not text:
            continue
        if argument == 'camera_source' and text.strip() == 'sample':
            from rvm_bringup.run_config import find_sample
            text = str(find_sample())      # the same source names as rvm-edge run
        nodes = NODES if target == '*' else (target,)
        for node in nodes:
            cls = classes[node]
            if param in {f.name for f in dataclasses.fields(cls)}:
                out[node][param] = (text, parameter_type(cls, param))
    if values.get('use_camera', 'true') == 'false':
        watch = 'compressed' if values.get('image_input') == 'compressed' else 'image'
        out['health']['camera_watch'] = (watch, str)
    return out


def default_value(name: str) -> Any:
    """The declared default of launch argument ``name``."""
    for arg, default, _text, _choices in ARGUMENTS:
        if arg == name:
            return default
    raise KeyError(name)
