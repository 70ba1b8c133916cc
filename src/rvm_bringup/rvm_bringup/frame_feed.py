"""How the standalone runner gets frames from the camera core to the detector.

Two modes, chosen from the source:

* **inline** (recorded sources played as fast as possible: the bundled sample, files,
  folders, bags): the runner reads the next frame itself, so every frame is processed
  and a run is reproducible.
* **threaded** (live sources, or ``--realtime`` playback): a reader thread keeps the
  camera draining at its own rate into a keep-newest
  :class:`~rvm_detector.latest_frame.LatestFrame`; a detector slower than the camera
  skips stale frames (counted) instead of falling further and further behind.  This is
  the same back-pressure the ROS detector node applies to its image subscription.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Protocol

from rvm_detector.latest_frame import LatestFrame

LOG = logging.getLogger('rvm_edge.feed')


class FrameReader(Protocol):
    """The part of :class:`rvm_camera.camera_core.CameraCore` the feed uses."""

    @property
    def paced(self) -> bool: ...

    @property
    def finished(self) -> bool: ...

    def read(self) -> Any: ...


def unusable_source(camera: Any) -> str:
    """Why an opened camera will never give a frame (a fatal source error), else ''.

    The runner asks before the model loads, so a corrupt file or a missing folder is said at
    once; a live source that is only unreachable for now is retried and is not unusable.
    """
    if not getattr(camera, 'finished', False):
        return ''
    status = camera.status()
    return str(status.get('reason') or status.get('last_error') or 'the source gave up')


class FrameFeed:
    """Frames for the runner's loop: :meth:`next` gives the newest due frame or None."""

    def __init__(self, camera: FrameReader, *, threaded: bool) -> None:
        self.camera = camera
        self.threaded = threaded
        self._slot = LatestFrame()
        self._stop = threading.Event()
        self._reader_done = threading.Event()
        self._thread: threading.Thread | None = None
        self.reader_error: str | None = None

    @classmethod
    def for_camera(cls, camera: FrameReader, *, realtime: bool) -> 'FrameFeed':
        """Threaded for a live source or realtime playback, inline otherwise."""
        return cls(camera, threaded=not camera.paced or realtime)

    @property
    def mode(self) -> str:
        """``threaded`` or ``inline``."""
        return 'threaded' if self.threaded else 'inline'

    def start(self) -> None:
        """Start the reader thread (threaded mode); the camera must be open."""
        if self.threaded and self._thread is None:
            self._thread = threading.Thread(target=self._read_loop, name='runner-camera',
                                            daemon=True)
            self._thread.start()

    def _read_loop(self) -> None:
        try:
            while not self._stop.is_set() and not self.camera.finished:
                frame = self.camera.read()
                if frame is not None:
                    self._slot.put(frame)
        except Exception as exc:  # the camera core catches source errors; this is a bug
            self.reader_error = f'{type(exc).__name__}: {exc}'
            LOG.exception('camera reader stopped')
        finally:
            self._reader_done.set()
            self._slot.close()

    def next(self, timeout: float = 0.05) -> Any:
        """The next frame to process, or None (nothing new within ``timeout`` seconds)."""
        if not self.threaded:
            return self.camera.read()
        return self._slot.take(timeout)

    @property
    def reader_running(self) -> bool:
        """True while the reader thread is alive (threaded mode, started, not stopped)."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def finished(self) -> bool:
        """No frame will come any more (source ended / gave up) and none is pending."""
        if not self.threaded:
            return self.camera.finished
        return self._reader_done.is_set() and len(self._slot) == 0

    def stop(self, timeout: float = 2.0) -> None:
        """Stop the reader thread (it finishes its current read first)."""
        self._stop.set()
        self._slot.close()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                LOG.warning('camera reader still blocked in a source read after %.1f s', timeout)

    def stats(self) -> dict[str, Any]:
        """Mode and back-pressure counters (frames handed over / skipped as stale)."""
        return {'mode': self.mode, 'received': self._slot.received,
                'skipped_stale': self._slot.dropped, 'reader_error': self.reader_error}
