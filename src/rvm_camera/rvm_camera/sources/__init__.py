"""Camera backends behind the single ``source`` parameter; :func:`open_source` picks one."""
from __future__ import annotations

from typing import TYPE_CHECKING

from rvm_camera.sources.base import CorruptFrame, FrameSource, RawFrame, SourceEnded, SourceError
from rvm_camera.sources.spec import SourceSpec, parse_source, redact_url

if TYPE_CHECKING:
    from rvm_camera.camera_config import CameraConfig

__all__ = ['CorruptFrame', 'FrameSource', 'RawFrame', 'SourceEnded', 'SourceError', 'SourceSpec',
           'create_source', 'parse_source', 'redact_url']


def create_source(config: 'CameraConfig') -> FrameSource:
    """The backend named by ``config.source`` (not opened yet).

    Raises :class:`SourceError` (fatal) for a malformed source string.
    """
    from rvm_camera.sources import opencv_capture
    from rvm_camera.sources.bag import BagSource
    from rvm_camera.sources.folder import ImageFolderSource

    try:
        spec = parse_source(config.source)
    except ValueError as exc:
        raise SourceError(str(exc), fatal=True) from None
    if spec.kind == 'v4l2':
        return opencv_capture.v4l2_source(spec.location, config.width, config.height,
                                          config.capture_fps, config.fourcc)
    if spec.kind == 'csi':
        return opencv_capture.csi_source(int(spec.location), config.width, config.height,
                                         config.capture_fps, config.csi_sensor_mode,
                                         config.csi_flip_method)
    if spec.kind == 'gstreamer':
        return opencv_capture.gstreamer_source(spec.location)
    if spec.kind == 'stream':
        return opencv_capture.stream_source(spec.location, config.open_timeout_s)
    if spec.kind == 'folder':
        return ImageFolderSource(spec.location, config.folder_glob, config.capture_fps)
    if spec.kind == 'bag':
        return BagSource(spec.location, config.bag_topic)
    return opencv_capture.VideoFileSource(spec.location, config.capture_fps)
