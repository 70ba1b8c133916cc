"""The frame-source interface every backend implements, and its errors."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np


class SourceError(Exception):
    """The source failed (cannot open, unplugged, read error).

    ``fatal`` = retrying cannot help (missing file, bad pipeline string,
    unsupported backend); the core then goes offline instead of reconnecting.
    """

    def __init__(self, message: str, *, fatal: bool = False):
        super().__init__(message)
        self.fatal = fatal


class SourceEnded(Exception):
    """A finite source (file, folder, bag) has no more frames; the message says why.

    ``complete`` is false when the media stopped early (truncated/corrupt file).
    """

    def __init__(self, message: str, *, complete: bool = True):
        super().__init__(message)
        self.complete = complete


class CorruptFrame(Exception):
    """One frame could not be decoded; the source itself is still usable."""


@dataclass
class RawFrame:
    """A decoded frame as a backend delivers it, before validation and rate control.

    ``media_ns`` is the frame's position in recorded media (file/folder/bag),
    ``None`` for live sources.
    """

    image: np.ndarray
    media_ns: int | None = None


class FrameSource(ABC):
    """One camera backend: ``open()``, then ``read()`` until it raises or is closed.

    ``read()`` returns a :class:`RawFrame`, ``None`` when a live source has no
    frame yet, raises :class:`CorruptFrame` for one undecodable frame,
    :class:`SourceEnded` at the end of recorded media and :class:`SourceError`
    when the source fails.  ``paced`` is true for recorded media, whose
    ``media_ns`` drives pacing; ``rewind()`` restarts recorded media for ``loop``.
    """

    #: backend name shown in the camera status
    backend: str = 'source'
    #: true for recorded media (file, folder, bag)
    paced: bool = False

    @abstractmethod
    def open(self) -> None:
        """Open the device/file; raise :class:`SourceError` on failure."""

    @abstractmethod
    def read(self) -> RawFrame | None:
        """The next frame (see the class docstring)."""

    def rewind(self) -> None:
        """Restart recorded media at its first frame (default: reopen)."""
        self.close()
        self.open()

    @abstractmethod
    def close(self) -> None:
        """Release the device/file; safe to call twice."""

    def describe(self) -> str:
        """Human-readable source (credentials redacted)."""
        return self.backend
