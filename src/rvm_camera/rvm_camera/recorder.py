"""Record camera frames from any source into a rosbag2 that ROS 2 Humble's ``ros2 bag play`` reads.

Messages are CDR-serialised with the Humble ``sensor_msgs`` definitions of the
``rosbags`` typestore (``rvm_common.typestore``).  rosbags writes metadata
version 8; :func:`write_humble_metadata` rewrites ``metadata.yaml`` in the
version-5 layout Humble's rosbag2 writes itself (QoS profiles as a YAML
string, no ``type_description_hash``/``custom_data``/``ros_distro``).
Console script: ``rvm-camera-record``.
"""
from __future__ import annotations

import argparse
import logging
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import yaml

from rvm_camera.messages import (CameraCalibration, CalibrationError, camera_info_message,
                                 compressed_message, image_message, load_calibration)
from rvm_common.events import TOPIC_CAMERA_INFO, TOPIC_IMAGE
from rvm_common.typestore import humble_typestore, rosbags_factory

LOG = logging.getLogger('rvm_camera.recorder')

#: bag topics under the launch file's default namespace, so ``ros2 bag play`` feeds the graph as is
DEFAULT_NAMESPACE = '/rvm'
DEFAULT_TOPIC = f'{DEFAULT_NAMESPACE}/{TOPIC_IMAGE}'
DEFAULT_INFO_TOPIC = f'{DEFAULT_NAMESPACE}/{TOPIC_CAMERA_INFO}'

#: Humble's "infinite" duration as it appears in recorded offered QoS profiles
_INFINITE = (9223372036, 854775807)


def offered_qos(reliability: str = 'reliable', depth: int = 5) -> Any:
    """A rosbags ``Qos`` like an rclpy image publisher's (keep-last, volatile)."""
    from rosbags.interfaces import (Qos, QosDurability, QosHistory, QosLiveliness,
                                    QosReliability, QosTime)

    forever = QosTime(*_INFINITE)
    return Qos(history=QosHistory.KEEP_LAST, depth=depth,
               reliability=(QosReliability.BEST_EFFORT if reliability == 'best_effort'
                            else QosReliability.RELIABLE),
               durability=QosDurability.VOLATILE, deadline=forever, lifespan=forever,
               liveliness=QosLiveliness.AUTOMATIC, liveliness_lease_duration=forever,
               avoid_ros_namespace_conventions=False)


def write_humble_metadata(bag_dir: str | Path) -> dict[str, Any]:
    """Rewrite ``bag_dir/metadata.yaml`` in the rosbag2 version-5 (Humble) layout; returns it."""
    path = Path(bag_dir) / 'metadata.yaml'
    info = yaml.safe_load(path.read_text(encoding='utf-8'))['rosbag2_bagfile_information']
    topics = []
    for entry in info['topics_with_message_count']:
        meta = entry['topic_metadata']
        topics.append({'topic_metadata': {
            'name': meta['name'], 'type': meta['type'],
            'serialization_format': meta['serialization_format'],
            'offered_qos_profiles': str(meta.get('offered_qos_profiles') or '')},
            'message_count': entry['message_count']})
    humble = {'rosbag2_bagfile_information': {
        'version': 5,
        'storage_identifier': info['storage_identifier'],
        'duration': info['duration'],
        'starting_time': info['starting_time'],
        'message_count': info['message_count'],
        'topics_with_message_count': topics,
        'compression_format': info.get('compression_format') or '',
        'compression_mode': info.get('compression_mode') or '',
        'relative_file_paths': info['relative_file_paths'],
        'files': info['files'],
    }}
    path.write_text(yaml.safe_dump(humble, sort_keys=False), encoding='utf-8')
    return humble


class BagRecorder:
    """Writes frames (and optional CameraInfo) into a new rosbag2 folder.

    ``storage`` is ``mcap`` (default) or ``sqlite3``; ``compressed`` stores
    sensor_msgs/CompressedImage (JPEG) instead of raw bgr8 Images.  Bag
    timestamps are the frames' header stamps.  Use as a context manager or
    call :meth:`open` / :meth:`close`.
    """

    def __init__(self, path: str | Path, *, topic: str = DEFAULT_TOPIC, storage: str = 'mcap',
                 compressed: bool = False, jpeg_quality: int = 90,
                 calibration: CameraCalibration | None = None,
                 info_topic: str = DEFAULT_INFO_TOPIC,
                 reliability: str = 'reliable', depth: int = 5):
        if storage not in ('mcap', 'sqlite3'):
            raise ValueError(f'storage must be mcap or sqlite3, got {storage!r}')
        self.path = Path(path)
        self.topic = '/' + topic.lstrip('/')
        self.info_topic = '/' + info_topic.lstrip('/')
        self.storage = storage
        self.compressed = compressed
        self.jpeg_quality = jpeg_quality
        self.calibration = calibration
        self.qos = offered_qos(reliability, depth)
        self.frames_written = 0
        self._writer: Any = None
        self._image_conn: Any = None
        self._info_conn: Any = None
        self._last_stamp = -1

    @property
    def image_type(self) -> str:
        """The message type stored on :attr:`topic`."""
        return 'sensor_msgs/msg/CompressedImage' if self.compressed else 'sensor_msgs/msg/Image'

    def open(self) -> 'BagRecorder':
        """Create the bag folder (must not exist yet) and its topics."""
        from rosbags.rosbag2 import StoragePlugin, Writer

        plugin = StoragePlugin.MCAP if self.storage == 'mcap' else StoragePlugin.SQLITE3
        self._writer = Writer(self.path, version=8, storage_plugin=plugin)
        self._writer.open()
        store = humble_typestore()
        self._image_conn = self._writer.add_connection(
            self.topic, self.image_type, typestore=store, offered_qos_profiles=[self.qos])
        if self.calibration is not None:
            self._info_conn = self._writer.add_connection(
                self.info_topic, 'sensor_msgs/msg/CameraInfo', typestore=store,
                offered_qos_profiles=[self.qos])
        return self

    def write(self, image: np.ndarray, stamp_ns: int, frame_id: str) -> None:
        """Append one BGR frame stamped ``stamp_ns`` (must not go backwards)."""
        if self._writer is None:
            raise RuntimeError('BagRecorder.write() before open()')
        if stamp_ns < self._last_stamp:
            raise ValueError(f'stamp {stamp_ns} is older than the previous one {self._last_stamp}')
        self._last_stamp = stamp_ns
        factory, store = rosbags_factory(), humble_typestore()
        if self.compressed:
            msg = compressed_message(factory, image, stamp_ns, frame_id, self.jpeg_quality)
        else:
            msg = image_message(factory, image, stamp_ns, frame_id)
        self._writer.write(self._image_conn, stamp_ns, store.serialize_cdr(msg, self.image_type))
        if self._info_conn is not None and self.calibration is not None:
            info = camera_info_message(factory, self.calibration, stamp_ns, frame_id)
            self._writer.write(self._info_conn, stamp_ns,
                               store.serialize_cdr(info, 'sensor_msgs/msg/CameraInfo'))
        self.frames_written += 1

    def close(self) -> None:
        """Finish the storage file and write Humble-compatible metadata.yaml."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
            write_humble_metadata(self.path)

    def __enter__(self) -> 'BagRecorder':
        return self.open()

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog='rvm-camera-record',
        description='Record camera frames from any rvm_camera source into a rosbag2 '
                    '(ros2 bag play compatible, Humble sensor_msgs).')
    parser.add_argument('--source', required=True,
                        help="same forms as the camera node source parameter; 'sample' = the "
                             'bundled sample video (as for rvm-edge run)')
    parser.add_argument('--output', '-o', required=True, help='bag folder to create')
    parser.add_argument('--storage', choices=('mcap', 'sqlite3'), default='mcap',
                        help='rosbag2 storage plugin of the bag (default mcap)')
    parser.add_argument('--topic', default=None,
                        help=f'default {DEFAULT_TOPIC}, or {DEFAULT_TOPIC}/compressed with '
                             '--compressed')
    parser.add_argument('--frame-id', default='camera_optical_frame',
                        help='header.frame_id of the recorded images (default '
                             'camera_optical_frame)')
    parser.add_argument('--fps', type=float, default=0.0,
                        help='target rate; 0 = every frame the source delivers (default)')
    parser.add_argument(
        '--max-frames', type=int, default=0, help='stop after N frames (0 = no limit)')
    parser.add_argument('--duration', '--seconds', type=float, default=0.0,
                        help='stop after this many seconds of wall time (0 = no limit)')
    parser.add_argument('--compressed', action='store_true',
                        help='store JPEG CompressedImage instead of raw bgr8 Image')
    parser.add_argument('--jpeg-quality', type=int, default=90,
                        help='JPEG quality 1-100 with --compressed (default 90)')
    parser.add_argument('--camera-info-file', default='',
                        help=f'calibration YAML; also record CameraInfo on {DEFAULT_INFO_TOPIC}')
    parser.add_argument(
        '--qos-reliability', choices=('reliable', 'best_effort'), default='reliable',
        help='offered QoS stored in the bag (reliable reaches every subscriber)')
    parser.add_argument('--realtime', action='store_true',
                        help='pace files/folders/bags at their recorded rate (default: as fast as '
                             'possible, stamps follow the media time)')
    parser.add_argument('--overwrite', action='store_true', help='replace an existing bag folder')
    parser.add_argument('--param', action='append', default=[], metavar='NAME=VALUE',
                        help='any other camera parameter (e.g. width=1280, bag_topic=/cam/image)')
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """``rvm-camera-record``: returns 0 when at least one frame was recorded."""
    from rvm_camera.camera_config import CameraConfig
    from rvm_camera.camera_core import CameraCore
    from rvm_common.params import ConfigError, config_from_mapping

    args = _parse_args(argv)
    logging.basicConfig(level=logging.INFO, format='%(levelname)s %(name)s: %(message)s')
    if args.source.strip() == 'sample':         # the same source names as rvm-edge run
        try:
            from rvm_bringup.run_config import find_sample
            args.source = str(find_sample())
        except (ImportError, ConfigError) as exc:
            print(f'rvm-camera-record: --source sample: {exc}', file=sys.stderr)
            return 2
    values: dict[str, Any] = {'source': args.source, 'frame_id': args.frame_id, 'fps': args.fps,
                              'realtime': args.realtime, 'max_reconnects': 3}
    for item in args.param:
        name, _, value = item.partition('=')
        values[name.strip()] = yaml.safe_load(value)
    try:
        config = config_from_mapping(CameraConfig, values)
        calibration = load_calibration(args.camera_info_file) if args.camera_info_file else None
    except (ConfigError, CalibrationError) as exc:
        print(f'rvm-camera-record: {exc}', file=sys.stderr)
        return 2
    out = Path(args.output)
    if out.exists():
        if not args.overwrite:
            print(f'rvm-camera-record: {out} exists (use --overwrite)', file=sys.stderr)
            return 2
        if not (out / 'metadata.yaml').is_file():
            print(f'rvm-camera-record: refusing to replace {out}: not a rosbag2 folder',
                  file=sys.stderr)
            return 2
        shutil.rmtree(out)
    stop = {'requested': False}
    previous = signal.signal(signal.SIGINT, lambda *_: stop.update(requested=True))
    core = CameraCore(config)
    topic = args.topic or (DEFAULT_TOPIC + '/compressed' if args.compressed else DEFAULT_TOPIC)
    recorder = BagRecorder(out, topic=topic, storage=args.storage, compressed=args.compressed,
                           jpeg_quality=args.jpeg_quality, calibration=calibration,
                           reliability=args.qos_reliability)
    try:
        core.open()
        started = time.monotonic()
        with recorder:
            while not core.finished and not stop['requested']:
                if args.duration and time.monotonic() - started >= args.duration:
                    break
                frame = core.read()
                if frame is None:
                    continue
                recorder.write(frame.image, frame.stamp_ns, frame.frame_id)
                if args.max_frames and recorder.frames_written >= args.max_frames:
                    break
    finally:
        signal.signal(signal.SIGINT, previous)
        status = core.status()
        core.close()
    print(f'rvm-camera-record: {recorder.frames_written} frames on {recorder.topic} '
          f'({recorder.image_type}) -> {out} [{args.storage}]')
    if not recorder.frames_written:
        print(f'rvm-camera-record: no frames recorded ({status["reason"]}); removed {out}',
              file=sys.stderr)
        shutil.rmtree(out, ignore_errors=True)
    return 0 if recorder.frames_written else 1


if __name__ == '__main__':
    sys.exit(main())
