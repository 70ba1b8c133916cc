"""Debug images (annotated frame, mono8 label mask) drawn off the inference thread.

The inference worker hands each processed frame to :meth:`DebugImageWorker.submit` (a
keep-newest :class:`~rvm_detector.latest_frame.LatestFrame` slot: never blocks, never queues);
a thread of its own draws the newest one and calls ``publish``. Slow drawing or a slow rviz
subscriber therefore costs dropped debug images, never inference frames (yolo_ros likewise
draws in a debug node of its own).
Pure Python: the ROS adapter supplies ``publish``.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Callable

import numpy as np

from rvm_detector.annotate import annotate, label_mask
from rvm_detector.detection import Detection
from rvm_detector.latest_frame import LatestFrame

LOG = logging.getLogger('rvm_detector.debug_images')

ANNOTATED = 'annotated'
LABEL_MASK = 'label_mask'
Drawn = list[tuple[str, np.ndarray, str]]      # (kind, image, encoding)


@dataclass(frozen=True)
class DebugFrame:
    """One processed frame to draw: the image, what the core found, and which images are wanted."""

    image: np.ndarray
    detections: list[Detection]
    width: int
    height: int
    item_state: str
    item_id: str | None
    stamp_ns: int
    frame_id: str
    annotated: bool = True
    label_mask: bool = True


def draw(frame: DebugFrame) -> Drawn:
    """``(kind, image, encoding)`` for each wanted debug image of ``frame``."""
    out = []
    if frame.annotated:
        label = (frame.item_id or '')[:8]
        image = annotate(frame.image, frame.detections, frame.item_state, label)
        out.append((ANNOTATED, image, 'bgr8'))
    if frame.label_mask:
        out.append((LABEL_MASK, label_mask(frame.height, frame.width, frame.detections), 'mono8'))
    return out


class DebugImageWorker:
    """Draws the newest submitted :class:`DebugFrame` on its own thread and publishes the images.

    ``publish(kind, image, encoding, frame)`` is called from the worker thread; an exception in it
    or in the drawing is logged and counted (``errors``), the worker keeps going.
    """

    def __init__(self, publish: Callable[[str, np.ndarray, str, DebugFrame], None],
                 draw_frame: Callable[[DebugFrame], Drawn] = draw) -> None:
        self.publish = publish
        self.draw_frame = draw_frame
        self.slot = LatestFrame()
        self.drawn = 0
        self.errors = 0
        self._thread: threading.Thread | None = None
        self._running = False

    @property
    def dropped(self) -> int:
        """Frames replaced in the slot before they were drawn."""
        return self.slot.dropped

    def submit(self, frame: DebugFrame) -> None:
        """Hand over a processed frame (returns at once; an undrawn older one is dropped)."""
        if frame.annotated or frame.label_mask:
            self.slot.put(frame)

    def draw_next(self, timeout: float | None = 0.0) -> bool:
        """Draw and publish the newest pending frame; False if none came within ``timeout``."""
        frame = self.slot.take(timeout=timeout)
        if frame is None:
            return False
        try:
            for kind, image, encoding in self.draw_frame(frame):
                self.publish(kind, image, encoding, frame)
            self.drawn += 1
        except Exception as exc:  # a debug image must never take the detector down
            self.errors += 1
            LOG.warning('debug image of frame %s not published: %s: %s', frame.stamp_ns,
                        type(exc).__name__, exc)
        return True

    def start(self) -> None:
        """Start the drawing thread."""
        self._running = True
        self._thread = threading.Thread(target=self._run, name='detector-debug-images',
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while self._running:
            self.draw_next(timeout=0.1)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the drawing thread (a pending frame is not drawn)."""
        self._running = False
        self.slot.close()
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout=timeout)
