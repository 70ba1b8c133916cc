"""The standalone runner's four core configs: params YAML as the base, CLI flags over it.

Precedence, highest first (docs/architecture.md "Configuration"):

1. a command-line flag that was given (``--source``, ``--realtime/--no-realtime``,
   ``--loop/--no-loop``, ``--model``, ``--bridge-host`` ...);
2. the node's own section of the params file (``camera:``, ``/camera:``, ``/**/camera:``);
3. the file's ``/**`` section (values every node shares, e.g. ``rvm_id``);
4. the default of the core's config class (the same value the shipped YAML documents).

The params file is ``--params``, else ``$RVM_EDGE_PARAMS``, else the first of: the source
checkout's ``config/rvm_edge.params.yaml``, an installed ``share/rvm_bringup/config/``
(colcon install, ``$AMENT_PREFIX_PATH``).  ``--source sample`` names the bundled sample video.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rvm_common.params import (ConfigError, all_of, config_from_mapping, load_params_file,
                               locate)

REPO_ROOT = Path(__file__).resolve().parents[3]
PARAMS_NAME = 'rvm_edge.params.yaml'
DEFAULT_PARAMS = REPO_ROOT / 'config' / PARAMS_NAME
DEFAULT_SAMPLE = REPO_ROOT / 'data' / 'sample' / 'rvm_sample.mp4'
SAMPLE_WORD = 'sample'
PARAMS_ENV = 'RVM_EDGE_PARAMS'


@dataclass(frozen=True)
class RunnerConfigs:
    """The camera, detector, health and bridge core configs for one run, and their origin."""

    camera: Any
    detector: Any
    health: Any
    bridge: Any
    params_file: Path | None = None
    source_origin: str = ''


def _share_dirs() -> list[Path]:
    """``share/rvm_bringup`` of a colcon install: this module's prefix, then AMENT_PREFIX_PATH."""
    # not resolved: a symlink install points into the source tree
    here = Path(__file__).absolute()
    dirs = [here.parents[4] / 'share' / 'rvm_bringup'] if len(here.parents) > 4 else []
    for prefix in filter(None, os.environ.get('AMENT_PREFIX_PATH', '').split(os.pathsep)):
        dirs.append(Path(prefix) / 'share' / 'rvm_bringup')
    return dirs


def find_params_file(explicit: Path | str | None) -> Path | None:
    """The params file this run uses (order: see the module docstring); None: defaults only."""
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError(f'params file not found: {explicit} (--params)')
        return path
    if os.environ.get(PARAMS_ENV):
        path = Path(os.environ[PARAMS_ENV]).expanduser()
        if not path.is_file():
            raise ConfigError(f'params file not found: {path} (${PARAMS_ENV})')
        return path
    for candidate in [DEFAULT_PARAMS] + [d / 'config' / PARAMS_NAME for d in _share_dirs()]:
        if candidate.is_file():
            return candidate
    return None


def find_sample() -> Path:
    """The bundled sample video (source checkout, else an installed share/ folder)."""
    candidates = [DEFAULT_SAMPLE] + [d / sub / 'rvm_sample.mp4' for d in _share_dirs()
                                     for sub in ('data/sample', 'sample')]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise ConfigError(f'the bundled sample video is missing (looked in {DEFAULT_SAMPLE}); '
                      'run `rvm-make-sample` or pass --source FILE')


def _check_source(source: str, origin: str) -> str:
    from rvm_camera.sources.spec import parse_source

    if source.strip() == SAMPLE_WORD:
        return str(find_sample())
    try:
        spec = parse_source(source)
    except ValueError as exc:
        raise ConfigError(f'camera source ({origin}): {exc}') from None
    if spec.kind in ('video', 'bag') and not Path(spec.location).exists():
        raise ConfigError(f'camera source ({origin}): {spec.location} does not exist '
                          f'(--source {SAMPLE_WORD} plays the bundled sample)')
    return source


def _check_rvm_id(rvm_id: str, origin: str) -> None:
    from rvm_common.events import resolve_rvm_id
    try:
        resolve_rvm_id(rvm_id)
    except ValueError as exc:
        raise ConfigError(f'{exc} ({origin})') from None


def check_outbox_path(path: str, origin: str) -> None:
    """Raise a ConfigError naming the outbox when its folder cannot be created or written."""
    if path == ':memory:':
        return
    file = Path(path).expanduser()
    what = f'outbox path {file} ({origin})'
    if file.is_dir():
        raise ConfigError(
            f'{what} is a folder; give a file name such as {file / "outbox.sqlite3"}')
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f'{what}: cannot create its folder {file.parent}: {exc.strerror}') from None
    if not os.access(file.parent, os.W_OK) or (file.exists() and not os.access(file, os.W_OK)):
        raise ConfigError(f'{what}: not writable')


def _flag(args: argparse.Namespace, name: str) -> Any:
    return getattr(args, name, None)


def cli_overrides(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """Node -> {parameter: value} of the command-line flags that were given (None = not given)."""
    tls = _flag(args, 'bridge_tls')
    outbox = _flag(args, 'outbox')
    overrides = {
        'camera': {
            'source': _flag(args, 'source'), 'realtime': _flag(args, 'realtime'),
            'loop': _flag(args, 'loop')},
        'detector': {'model_path': _flag(args, 'model'), 'device': _flag(args, 'device')},
        'health': {},
        'bridge': {
            'host': _flag(args, 'bridge_host'), 'port': _flag(args, 'bridge_port'),
            'tls': None if tls is None else tls in (True, 'true'),
            'api_base': _flag(args, 'api_base'), 'auth_endpoint': _flag(args, 'auth_endpoint'),
            'app_key': _flag(args, 'app_key'), 'app_id': _flag(args, 'app_id'),
            'outbox_path': str(outbox) if outbox else None,
            'allow_demo_upload': True if _flag(args, 'send_demo_data') else None,
            'channel_map_file': _flag(args, 'channel_map')},
    }
    for node in overrides:
        overrides[node]['rvm_id'] = _flag(args, 'rvm_id')
    return {node: {k: v for k, v in values.items() if v is not None}
            for node, values in overrides.items()}


def _validate(node: str, config: Any, source: str) -> None:
    """The cores' own range checks, located like every other config error."""
    try:
        if node == 'detector':
            from rvm_detector.detector_core import check_ranges
            check_ranges(config)
        elif hasattr(config, 'validate'):
            config.validate()
    except ConfigError as exc:
        raise locate(exc, source, node) from None


def build_configs(args: argparse.Namespace) -> RunnerConfigs:
    """Params YAML (found as the module docstring says) + given CLI flags -> core configs."""
    from rvm_bringup.params_yaml import node_configs

    classes = {node: cls for node, cls, _title in node_configs()}
    params_file = find_params_file(_flag(args, 'params'))
    problems: list[Exception] = []      # every mistake of the file at once, not the first
    values = (load_params_file(params_file, classes, problems) if params_file
              else {n: {} for n in classes})
    where = str(params_file) if params_file else 'built-in defaults'
    overrides = cli_overrides(args)
    configs = {}
    for node, cls in classes.items():
        from_file = {k: v for k, v in values[node].items() if k in _fields(cls)}
        given = {k: v for k, v in overrides[node].items() if k in _fields(cls)}
        try:
            # file errors name the file
            config_from_mapping(cls, from_file, source=where, section=node)
            configs[node] = config_from_mapping(
                cls, {**from_file, **given}, source=where, section=node)
            _validate(node, configs[node], where)
        except ConfigError as exc:
            problems.append(exc)
    if problems:
        raise all_of(problems)
    origin = '--source' if 'source' in overrides['camera'] else (
        f'{where} camera.source' if 'source' in values['camera'] else 'camera default')
    raw_source = configs['camera'].source
    source = _check_source(raw_source, origin)
    if source != configs['camera'].source:
        configs['camera'] = config_from_mapping(
            classes['camera'], {**_as_dict(configs['camera']), 'source': source})
    _check_rvm_id(
        configs['bridge'].rvm_id, '--rvm-id' if _flag(args, 'rvm_id') else f'{where} rvm_id')
    bridge = run_bridge(configs['bridge'], source, raw_source=raw_source,
                        outbox_given=bool(_flag(args, 'outbox')))
    if bridge.app_id and not str(bridge.app_id).isdigit():
        origin = '--app-id' if _flag(args, 'app_id') else f'{where} bridge.app_id'
        raise ConfigError(f'app id {bridge.app_id!r} ({origin}): must be digits '
                          '(Reverb/Pusher app ids are numeric: REVERB_APP_ID)')
    check_outbox_path(bridge.outbox_path, '--outbox' if _flag(args, 'outbox') else
                      f'{where} bridge.outbox_path')
    from rvm_bringup.calibrate_cli import with_calibration
    detector = with_calibration(configs['detector'], source, where)
    from rvm_bringup.evidence_cli import with_evidence_dir
    detector = with_evidence_dir(detector, bridge.outbox_path)
    return RunnerConfigs(camera=configs['camera'], detector=detector,
                         health=configs['health'], bridge=bridge, params_file=params_file,
                         source_origin=origin)


#: rvm-edge run's default outbox; the ROS bridge node keeps the YAML's bridge_outbox.sqlite3
RUN_OUTBOX = '~/.rvm_edge/run_outbox.sqlite3'
NODE_OUTBOX = '~/.rvm_edge/bridge_outbox.sqlite3'


def run_bridge(bridge: Any, source: str, *, raw_source: str, outbox_given: bool) -> Any:
    """The runner's bridge config: its own default outbox, ``demo_source`` from the source.

    Verdicts of a non-camera source (the sample, a video, a folder, a bag) carry ``demo: true``;
    the bridge refuses to send them to a server not on this machine without --send-demo-data.
    """
    from rvm_camera.sources.spec import parse_source
    changes: dict[str, Any] = {}
    if not outbox_given and bridge.outbox_path == NODE_OUTBOX:
        changes['outbox_path'] = RUN_OUTBOX         # never the ROS node's file (one owner each)
    kind = 'sample' if raw_source.strip() == SAMPLE_WORD else parse_source(source).kind
    if kind in ('sample', 'video', 'folder', 'bag'):
        changes['demo_source'] = kind
    if not changes:
        return bridge
    bridge = dataclasses.replace(bridge, **changes)
    bridge.validate()
    return bridge


def _fields(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


def _as_dict(config: Any) -> dict[str, Any]:
    return {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}


def non_negative_int(text: str) -> int:
    """argparse type: an integer >= 0."""
    return _ranged(text, int, 0, None)


def non_negative_float(text: str) -> float:
    """argparse type: a number >= 0."""
    return _ranged(text, float, 0.0, None)


def port_number(text: str) -> int:
    """argparse type: a TCP port (1..65535)."""
    return _ranged(text, int, 1, 65535)


def _ranged(text: str, kind: type, low: Any, high: Any) -> Any:
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'expected {"an integer" if kind is int else "a number"}, got {text!r}') from None
    if value < low or (high is not None and value > high):
        span = f'{low}..{high}' if high is not None else f'>= {low}'
        raise argparse.ArgumentTypeError(f'{value} is out of range (allowed: {span})')
    return value
