"""``cv2.VideoCapture`` backends: V4L2, Jetson CSI, raw GStreamer, network streams, video files."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable

from rvm_camera.sources.base import FrameSource, RawFrame, SourceEnded, SourceError
from rvm_camera.sources.gstreamer import check_appsink_pipeline, csi_pipeline, opencv_has_gstreamer
from rvm_camera.sources.spec import redact_url

LOG = logging.getLogger('rvm_camera')


def _cv2() -> Any:
    import cv2

    return cv2


class LiveCaptureSource(FrameSource):
    """A camera device or stream read through OpenCV (V4L2, CSI, GStreamer, RTSP/HTTP).

    ``target`` is what ``cv2.VideoCapture`` opens (index, path, pipeline or URL),
    ``api`` the OpenCV backend constant name (``CAP_V4L2``...), ``open_params``
    the ``[prop, value, ...]`` list passed to the constructor and ``settings``
    the properties set after opening (size, FOURCC, rate).  A failed read means
    the device or stream is gone: :class:`SourceError`.
    """

    paced = False

    def __init__(self, backend: str, target: int | str, api: str, *, description: str,
                 open_params: list[tuple[str, float]] | None = None,
                 settings: list[tuple[str, float]] | None = None,
                 needs_gstreamer: bool = False,
                 capture_factory: Callable[..., Any] | None = None):
        self.backend = backend
        self._target = target
        self._api = api
        self._description = description
        self._open_params = open_params or []
        self._settings = settings or []
        self._needs_gstreamer = needs_gstreamer
        self._factory = capture_factory
        self._cap: Any = None

    def describe(self) -> str:
        return self._description

    def open(self) -> None:
        cv2 = _cv2()
        if self._needs_gstreamer and not opencv_has_gstreamer():
            raise SourceError(f'{self._description}: this OpenCV build has no GStreamer support '
                              '(see cv2.getBuildInformation()); install an OpenCV built with '
                              'GStreamer (JetPack/ROS python3-opencv)', fatal=True)
        params: list[int] = []
        for name, value in self._open_params:
            if hasattr(cv2, name):
                params += [getattr(cv2, name), int(value)]
        factory = self._factory or cv2.VideoCapture
        try:
            cap = factory(self._target, getattr(cv2, self._api), params)
        except cv2.error as exc:
            raise SourceError(f'cannot open {self._description}: {exc}') from None
        if not cap.isOpened():
            cap.release()
            raise SourceError(f'cannot open {self._description} (missing, busy or unreachable)')
        for name, value in self._settings:
            if name == 'CAP_PROP_FOURCC':
                value = cv2.VideoWriter_fourcc(*str(value))
            if not cap.set(getattr(cv2, name), value):
                LOG.info('%s: device ignored %s=%s', self._description, name, value)
        self._cap = cap

    def read(self) -> RawFrame | None:
        if self._cap is None:
            raise SourceError(f'{self._description} is not open')
        ok, image = self._cap.read()
        if not ok or image is None:
            raise SourceError(
                f'{self._description}: read failed (device unplugged or stream lost)')
        return RawFrame(image)

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


class VideoFileSource(FrameSource):
    """A video file decoded by OpenCV/FFmpeg; ``media_ns`` = frame index / file frame rate.

    A file that stops before its announced frame count is reported as
    truncated (``SourceEnded`` with that reason), never as an exception.
    """

    backend = 'video'
    paced = True

    def __init__(self, path: str, fallback_fps: float = 30.0):
        self.path = Path(path)
        self._fallback_fps = fallback_fps if fallback_fps > 0 else 30.0
        self._cap: Any = None
        self._index = 0
        self._fps = self._fallback_fps
        self._count = 0

    def describe(self) -> str:
        return str(self.path)

    def open(self) -> None:
        cv2 = _cv2()
        if not self.path.is_file():
            raise SourceError(f'video file not found: {self.path}', fatal=True)
        cap = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG)
        if not cap.isOpened():
            cap.release()
            raise SourceError(f'cannot decode video file {self.path} (corrupt or unsupported '
                              'format)', fatal=True)
        fps = cap.get(cv2.CAP_PROP_FPS)
        self._fps = fps if fps and 1.0 <= fps <= 1000.0 else self._fallback_fps
        self._count = int(max(0, cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0))
        self._cap = cap
        self._index = 0

    @property
    def fps(self) -> float:
        """Frame rate announced by the file (or the fallback)."""
        return self._fps

    def read(self) -> RawFrame | None:
        if self._cap is None:
            raise SourceError(f'video file {self.path} is not open')
        ok, image = self._cap.read()
        if not ok or image is None:
            if self._index == 0:
                raise SourceEnded(f'{self.path}: no decodable frame (corrupt or empty file)',
                                  complete=False)
            if self._count and self._index < self._count - 1:
                raise SourceEnded(f'{self.path}: ended early at frame {self._index} of '
                                  f'{self._count} (truncated or corrupt file)',
                                  complete=False)
            raise SourceEnded(f'{self.path}: end of file after {self._index} frames')
        media_ns = round(self._index * 1e9 / self._fps)
        self._index += 1
        return RawFrame(image, media_ns)

    def rewind(self) -> None:
        self.close()
        self.open()

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


def v4l2_source(location: str, width: int, height: int, capture_fps: float,
                fourcc: str) -> LiveCaptureSource:
    """A V4L2 device (``/dev/videoN`` or an index) with the requested format."""
    target: int | str = int(location) if location.isdigit() else location
    settings: list[tuple[str, Any]] = []
    if fourcc:
        if len(fourcc) != 4:
            raise SourceError(f'fourcc must be 4 characters, got {fourcc!r}', fatal=True)
        settings.append(('CAP_PROP_FOURCC', fourcc))
    if width > 0 and height > 0:
        settings += [('CAP_PROP_FRAME_WIDTH', width), ('CAP_PROP_FRAME_HEIGHT', height)]
    if capture_fps > 0:
        settings.append(('CAP_PROP_FPS', capture_fps))
    settings.append(('CAP_PROP_BUFFERSIZE', 1))
    name = f'/dev/video{target}' if isinstance(target, int) else target
    return LiveCaptureSource('v4l2', target, 'CAP_V4L2', description=f'V4L2 camera {name}',
                             settings=settings)


def csi_source(sensor_id: int, width: int, height: int, capture_fps: float, sensor_mode: int,
               flip_method: int) -> LiveCaptureSource:
    """A Jetson CSI camera through ``nvarguscamerasrc`` (see :func:`csi_pipeline`)."""
    try:
        pipeline = csi_pipeline(sensor_id, width, height, capture_fps, sensor_mode, flip_method)
    except ValueError as exc:
        raise SourceError(str(exc), fatal=True) from None
    return LiveCaptureSource('csi', pipeline, 'CAP_GSTREAMER', needs_gstreamer=True,
                             description=f'CSI camera {sensor_id}')


def gstreamer_source(pipeline: str) -> LiveCaptureSource:
    """Any GStreamer pipeline that ends in ``appsink``."""
    try:
        text = check_appsink_pipeline(pipeline)
    except ValueError as exc:
        raise SourceError(str(exc), fatal=True) from None
    short = text if len(text) <= 60 else text[:57] + '...'
    return LiveCaptureSource('gstreamer', text, 'CAP_GSTREAMER', needs_gstreamer=True,
                             description=f'GStreamer pipeline {short!r}')


def stream_source(url: str, open_timeout_s: float) -> LiveCaptureSource:
    """An RTSP/HTTP(S) stream through FFmpeg with open and read timeouts."""
    timeout_ms = max(1, int(open_timeout_s * 1000))
    return LiveCaptureSource('stream', url, 'CAP_FFMPEG', description=f'stream {redact_url(url)}',
                             open_params=[('CAP_PROP_OPEN_TIMEOUT_MSEC', timeout_ms),
                                          ('CAP_PROP_READ_TIMEOUT_MSEC', timeout_ms)])
