"""Build the four core configs of the standalone runner from the params YAML and the CLI."""
from __future__ import annotations

import argparse
import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rvm_common.params import ConfigError, config_from_mapping, load_node_params

LOG = logging.getLogger('rvm_edge.config')
REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_PARAMS = REPO_ROOT / 'config' / 'rvm_edge.params.yaml'
SHARED_KEYS = {'rvm_id'}   # set once under /** in the params YAML; not every core uses it
DEFAULT_SAMPLE = REPO_ROOT / 'data' / 'sample' / 'rvm_sample.mp4'


@dataclass(frozen=True)
class RunnerConfigs:
    """The configs of the camera, detector, health and bridge cores for one run."""

    camera: Any
    detector: Any
    health: Any
    bridge: Any


def _node_config(cls: type, params: dict[str, Any], node: str, overrides: dict[str, Any]) -> Any:
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(params) - known - SHARED_KEYS)
    if unknown:
        LOG.warning('%s: ignoring parameters this core does not know: %s', node, ', '.join(unknown))
    values = {k: v for k, v in params.items() if k in known}
    values.update({k: v for k, v in overrides.items() if v is not None and k in known})
    return config_from_mapping(cls, values)


def build_configs(args: argparse.Namespace) -> RunnerConfigs:
    """Params YAML (the shipped one by default) + command-line overrides -> core configs."""
    from rvm_bridge.bridge_core import BridgeConfig
    from rvm_camera.camera_core import CameraConfig
    from rvm_detector.detector_core import DetectorConfig
    from rvm_health.health_core import HealthConfig

    params_file = args.params or (DEFAULT_PARAMS if DEFAULT_PARAMS.exists() else None)
    if args.params is not None and not Path(args.params).exists():
        raise ConfigError(f'params file not found: {args.params}')

    def params(node: str) -> dict[str, Any]:
        return load_node_params(params_file, node) if params_file else {}

    source = args.source
    if source is None:
        if not DEFAULT_SAMPLE.exists():
            raise ConfigError(f'bundled sample {DEFAULT_SAMPLE} is missing; run `rvm-make-sample` '
                              'or pass --source')
        source = str(DEFAULT_SAMPLE)
    realtime = bool(getattr(args, 'realtime', False))
    camera = _node_config(CameraConfig, params('camera'), 'camera',
                          {'source': source, 'realtime': realtime, 'loop': False})
    detector = _node_config(DetectorConfig, params('detector'), 'detector',
                            {'model_path': args.model, 'device': args.device,
                             'rvm_id': args.rvm_id})
    health = _node_config(HealthConfig, params('health'), 'health', {'rvm_id': args.rvm_id})
    bridge = _node_config(BridgeConfig, params('bridge'), 'bridge',
                          {'host': args.bridge_host, 'port': args.bridge_port,
                           'tls': None if getattr(args, 'bridge_tls', None) is None
                           else args.bridge_tls in (True, 'true'),
                           'api_base': getattr(args, 'api_base', None),
                           'auth_endpoint': getattr(args, 'auth_endpoint', None),
                           'app_key': args.app_key, 'app_id': args.app_id,
                           'rvm_id': args.rvm_id,
                           'outbox_path': str(args.outbox) if args.outbox else None})
    return RunnerConfigs(camera=camera, detector=detector, health=health, bridge=bridge)
