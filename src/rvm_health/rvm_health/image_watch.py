"""Watch the camera through its images when no camera node runs (``use_camera:=false``).

With a bag replayed by ``ros2 bag play`` nobody publishes ``camera/status``, so the RVM state
would stay ``error`` ("camera: no status").  The health node then counts the frames arriving
on ``image_raw`` (or ``image_raw/compressed``) and feeds the pipeline monitor a camera-status
payload per tick in which frames arrived: the rate check works on ``frames_published`` as
usual, and a replay that stops goes stale after the camera's ``stale_after_s``.
"""
from __future__ import annotations

import threading
from typing import Any

#: camera_watch parameter value -> the image topic watched ('' = camera/status itself)
WATCH_TOPICS = {'status': '', 'image': 'image_raw', 'compressed': 'image_raw/compressed'}


class ImageArrivalWatch:
    """Counts image arrivals (any thread); :meth:`status` is a camera-status-like payload."""

    def __init__(self, topic: str):
        self.topic = topic
        self._lock = threading.Lock()
        self._frames = 0
        self._reported = 0

    def on_image(self) -> None:
        with self._lock:
            self._frames += 1

    def status(self) -> dict[str, Any] | None:
        """The payload for ``camera/status`` when frames arrived since the last call, else None."""
        with self._lock:
            frames, fresh = self._frames, self._frames > self._reported
            self._reported = frames
        if not fresh:
            return None
        return {'state': 'online', 'source': f'{self.topic} (no camera node)',
                'frames_published': frames}
