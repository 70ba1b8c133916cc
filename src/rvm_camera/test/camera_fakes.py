"""Test doubles: a fake monotonic clock and scripted frame sources (no devices needed)."""
from __future__ import annotations

from typing import Callable

import numpy as np

from rvm_camera.sources.base import (CorruptFrame, FrameSource, RawFrame, SourceEnded,
                                     SourceError)


class FakeClock:
    """Monotonic seconds that only move when slept on (or advanced by a fake source)."""

    def __init__(self, start: float = 1000.0):
        self.t = start
        self.slept = 0.0

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += max(0.0, seconds)
        self.slept += max(0.0, seconds)

    def wall_ns(self) -> int:
        return int(self.t * 1e9) + 1_700_000_000_000_000_000


def image(value: int = 0, width: int = 8, height: int = 6) -> np.ndarray:
    return np.full((height, width, 3), value % 256, np.uint8)


class LiveFake(FrameSource):
    """A live camera delivering a frame every ``period`` s of fake time.

    ``plugged(t)`` false = open/read fail like an unplugged device;
    ``stalled(t)`` true = read returns no frame (driver alive, no data).
    """

    backend = 'fake'
    paced = False

    def __init__(self, clock: FakeClock, period: float = 1 / 30,
                 plugged: Callable[[float], bool] = lambda t: True,
                 stalled: Callable[[float], bool] = lambda t: False,
                 frames: Callable[[int], object] | None = None):
        self.clock = clock
        self.period = period
        self.plugged = plugged
        self.stalled = stalled
        self.frames = frames or (lambda i: image(i))
        self.is_open = False
        self.opens = 0
        self.index = 0

    def describe(self) -> str:
        return 'fake camera'

    def open(self) -> None:
        self.clock.t += 0.01
        if not self.plugged(self.clock.t):
            raise SourceError('cannot open fake camera (missing)')
        self.is_open = True
        self.opens += 1

    def read(self) -> RawFrame | None:
        assert self.is_open, 'read on a closed source'
        self.clock.t += self.period
        if not self.plugged(self.clock.t):
            raise SourceError('fake camera: read failed (device unplugged)')
        if self.stalled(self.clock.t):
            return None
        self.index += 1
        item = self.frames(self.index)
        if isinstance(item, Exception):
            raise item
        return RawFrame(item)

    def close(self) -> None:
        self.is_open = False


class MediaFake(FrameSource):
    """Recorded media: ``count`` frames at ``fps``; raises SourceEnded after the last."""

    backend = 'media'
    paced = True

    def __init__(self, count: int, fps: float = 30.0, corrupt: tuple[int, ...] = ()):
        self.count, self.fps, self.corrupt = count, fps, corrupt
        self.index = 0
        self.rewinds = 0

    def open(self) -> None:
        self.index = 0

    def read(self) -> RawFrame | None:
        if self.index >= self.count:
            raise SourceEnded(f'end after {self.count} frames')
        i = self.index
        self.index += 1
        if i in self.corrupt:
            raise CorruptFrame(f'frame {i} is garbage')
        return RawFrame(image(i), round(i * 1e9 / self.fps))

    def rewind(self) -> None:
        self.rewinds += 1
        self.index = 0

    def close(self) -> None:
        pass
