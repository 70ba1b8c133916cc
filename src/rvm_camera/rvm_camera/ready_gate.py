"""Model ready before frames flow: a recorded source waits for the detector (ROS-free).

The camera node reads ``detector/status`` (latched) into a :class:`DetectorReadyGate`; its
reader thread runs :class:`FramePump`, which reads no frame of a recorded source (file, image
folder, bag: ``CameraCore.paced``) until the gate is open, so the first item of a sample or bag
is never published while the model is still loading.  Live sources never wait: their frames
would only go stale.  (The standalone runner loads the model before it opens the camera.)
"""
from __future__ import annotations

import threading
from typing import Any, Callable

READY_STATE = 'ready'


class DetectorReadyGate:
    """Opens once a detector status says ``ready``; ``required=False`` = always open."""

    def __init__(self, required: bool = True):
        self._open = threading.Event()
        if not required:
            self._open.set()

    def observe(self, status: Any) -> None:
        """Feed one detector-status payload (a dict); ``state == 'ready'`` opens the gate."""
        if isinstance(status, dict) and status.get('state') == READY_STATE:
            self._open.set()

    @property
    def is_open(self) -> bool:
        return self._open.is_set()

    def wait(self, timeout: float) -> bool:
        """Block up to ``timeout`` s for the gate; True when open."""
        return self._open.wait(timeout)


class FramePump:
    """One round of the camera node's reader loop: gate, read, publish, status events."""

    def __init__(self, core: Any, gate: DetectorReadyGate, publish: Callable[[Any], None],
                 publish_events: Callable[[list], None]):
        self.core = core
        self.gate = gate
        self.publish = publish
        self.publish_events = publish_events
        self.held_rounds = 0

    @property
    def holding(self) -> bool:
        """True while a recorded source waits for the detector."""
        return self.core.paced and not self.gate.is_open

    def step(self, wait_s: float = 0.2) -> bool:
        """Read and publish at most one frame; False once the source is finished."""
        if self.core.finished:
            self.publish_events(self.core.take_events())
            return False
        if self.holding:
            self.held_rounds += 1
            self.gate.wait(wait_s)
            return True
        frame = self.core.read()
        if frame is not None:
            self.publish(frame)
        self.publish_events(self.core.take_events())
        return True
