"""Parameters of the health node (flat, ROS-parameter typed) as a frozen dataclass."""
from __future__ import annotations

from dataclasses import dataclass

from rvm_common.params import param


@dataclass(frozen=True)
class HealthConfig:
    """Configuration of :class:`rvm_health.health_core.HealthCore` and its ROS node."""

    rvm_id: str = param('', 'Machine id put in every status/health event envelope.',
                        read_only=True)
    thresholds_file: str = param(
        '', 'YAML with alert thresholds, expected pipeline rates and state timings; '
            "'' = the bundled rvm_health/config/health.yaml.", read_only=True)
    diagnostics_period: float = param(1.0, 'Seconds between /diagnostics publications.',
                                      minimum=0.001)
    health_rate: float = param(0.2, 'health-updated events per second (0.2 = every 5 s).',
                               minimum=0.0)
    status_heartbeat_s: float = param(
        30.0,
        'Seconds between repeats of an unchanged status-updated (heartbeat: true), so a dashboard '
        'opened late shows the state and can tell a silent machine; 0 = only on change.',
        minimum=0.0)
    sample_period: float = param(1.0, 'Seconds between resource samples (CPU, memory, disk, ...).',
                                 minimum=0.0)
    disk_paths: list = param(['/'], 'Filesystem paths whose usage is reported and checked.',
                             read_only=True)
    thermal_root: str = param(
        '/sys/class/thermal', 'Root of the thermal zone tree (thermal_zone*/type,temp).',
        read_only=True)
    jetson_source: str = param('auto', 'Jetson GPU/EMC/power source.', read_only=True,
                               choices=('auto', 'tegrastats', 'jtop', 'off'))
    tegrastats_command: str = param(
        'tegrastats', 'tegrastats executable (name on PATH or absolute path).', read_only=True)
    tegrastats_interval_ms: int = param(
        1000, 'tegrastats --interval in milliseconds.', read_only=True, minimum=1)
    nvidia_source: str = param('auto', 'Discrete NVIDIA GPU source.', read_only=True,
                               choices=('auto', 'nvml', 'nvidia-smi', 'off'))
    nvidia_smi_command: str = param('nvidia-smi', 'nvidia-smi executable.', read_only=True)
    process_patterns: list = param(
        ['camera_node', 'detector_node', 'bridge_node', 'health_node', 'rvm-edge'],
        'Substrings of process command lines whose RSS is reported (the graph processes).',
        read_only=True)
    camera_watch: str = param(
        'status',
        'How the camera is watched: status = its camera/status topic; image / compressed = '
        'frames arriving on image_raw / image_raw/compressed (no camera node: use_camera:=false, '
        'ros2 bag play).',
        choices=('status', 'image', 'compressed'), read_only=True)
    tick_period_s: float = param(0.25, 'Seconds between state evaluations (RVM status, alerts, '
                                       'health-updated timing).', read_only=True, minimum=0.001)
    qos_depth: int = param(
        10, 'Depth of the status-topic subscriptions and JSON publishers.', read_only=True,
        minimum=1)
    qos_reliable: bool = param(True, 'Reliable (true) or best-effort (false) status-topic QoS.',
                               read_only=True)
