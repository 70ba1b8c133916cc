"""An image folder (or glob) replayed as a camera at a given frame rate."""
from __future__ import annotations

import glob
from pathlib import Path

from rvm_camera.sources.base import CorruptFrame, FrameSource, RawFrame, SourceEnded, SourceError
from rvm_camera.sources.spec import IMAGE_EXTENSIONS


class ImageFolderSource(FrameSource):
    """Images of ``location`` (a folder plus ``pattern``, or a glob), sorted by path.

    ``media_ns`` = index / ``fps``.  Unreadable images raise
    :class:`CorruptFrame` and are skipped.
    """

    backend = 'folder'
    paced = True

    def __init__(self, location: str, pattern: str = '*', fps: float = 30.0):
        self.location = location
        self.pattern = pattern or '*'
        self.fps = fps if fps > 0 else 30.0
        self._files: list[Path] = []
        self._index = 0

    def describe(self) -> str:
        return self.location

    def _glob(self) -> str:
        if any(ch in self.location for ch in '*?['):
            return self.location
        return str(Path(self.location) / self.pattern)

    def open(self) -> None:
        root = Path(self.location)
        if not any(ch in self.location for ch in '*?[') and not root.is_dir():
            raise SourceError(f'image folder not found: {root}', fatal=True)
        files = sorted(Path(p) for p in glob.glob(self._glob())
                       if Path(p).suffix.lower() in IMAGE_EXTENSIONS and Path(p).is_file())
        if not files:
            raise SourceError(f'no images ({", ".join(sorted(IMAGE_EXTENSIONS))}) match '
                              f'{self._glob()}', fatal=True)
        self._files = files
        self._index = 0

    @property
    def files(self) -> list[Path]:
        """The sorted image paths found by the last ``open()``."""
        return list(self._files)

    def read(self) -> RawFrame | None:
        import cv2

        if self._index >= len(self._files):
            raise SourceEnded(f'{self.location}: end of folder after {len(self._files)} images')
        path = self._files[self._index]
        media_ns = round(self._index * 1e9 / self.fps)
        self._index += 1
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise CorruptFrame(f'cannot decode image {path}')
        return RawFrame(image, media_ns)

    def rewind(self) -> None:
        self._index = 0

    def close(self) -> None:
        self._files = []
