"""Audit store of verdict evidence: the full frame and the crop of the last verdicts, on disk.

One folder per verdict, named by its ``event_id``: ``frame.jpg`` (the whole frame the verdict was
made on), ``crop.jpg`` (the crop the server got) and ``verdict.json`` (the payload, the crop's
base64 left out). The store is bounded by size: after each write the oldest folders are removed
until the total is under ``max_mb``. Writes go to a hidden folder that is renamed into place,
so a reader never sees half a verdict.
"""
from __future__ import annotations

import json
import logging
import shutil
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

LOG = logging.getLogger('rvm_detector.evidence')
FILES = ('frame.jpg', 'crop.jpg', 'verdict.json')


@dataclass(frozen=True)
class StoredEvidence:
    """Where one verdict's evidence lies."""

    event_id: str
    folder: Path
    verdict: dict[str, Any]

    @property
    def frame(self) -> Path:
        return self.folder / 'frame.jpg'

    @property
    def crop(self) -> Path:
        return self.folder / 'crop.jpg'


class EvidenceStore:
    """The last verdicts' frames and crops under ``directory``, at most ``max_mb`` megabytes."""

    def __init__(self, directory: str | Path, max_mb: float = 200.0,
                 frame_quality: int = 90) -> None:
        self.directory = Path(directory).expanduser()
        self.max_bytes = int(max_mb * 1_000_000)
        self.frame_quality = frame_quality
        self.removed = 0
        # folder name -> bytes, oldest first: scanned once, then kept up to date by save/prune
        self._index: OrderedDict[str, int] | None = None

    def save(self, verdict: dict[str, Any], frame: np.ndarray, crop_jpeg: bytes) -> Path:
        """Write one verdict's evidence; return its folder (OSError / ValueError on failure)."""
        event_id = str(verdict.get('event_id') or '')
        if not event_id or '/' in event_id or event_id.startswith('.'):
            raise ValueError(f'verdict has no usable event_id: {event_id!r}')
        ok, frame_jpeg = cv2.imencode(
            '.jpg', frame, [cv2.IMWRITE_JPEG_QUALITY, self.frame_quality])
        if not ok:
            raise ValueError('OpenCV could not encode the frame as JPEG')
        record = dict(verdict)
        if isinstance(record.get('evidence'), dict):
            record['evidence'] = {k: v for k, v in record['evidence'].items() if k != 'data'}
        self.directory.mkdir(parents=True, exist_ok=True)
        final = self.directory / event_id
        staging = self.directory / f'.{event_id}.{time.monotonic_ns()}'
        staging.mkdir()
        (staging / 'frame.jpg').write_bytes(frame_jpeg.tobytes())
        (staging / 'crop.jpg').write_bytes(crop_jpeg)
        (staging / 'verdict.json').write_text(
            json.dumps(record, indent=1, sort_keys=True), encoding='utf-8')
        if final.exists():
            shutil.rmtree(final)
        staging.rename(final)
        index = self._scan()
        index[event_id] = _size(final)
        index.move_to_end(event_id)
        self.prune()
        return final

    def _scan(self) -> OrderedDict[str, int]:
        """The index, built from the folder on first use (a crash's half-written folders go)."""
        if self._index is None:
            if self.directory.is_dir():
                for stale in self.directory.glob('.*'):
                    shutil.rmtree(stale, ignore_errors=True)
            self._index = OrderedDict((d.name, _size(d)) for d in self._folders())
        return self._index

    def _folders(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        found = [p for p in self.directory.iterdir() if p.is_dir() and not p.name.startswith('.')]
        return sorted(found, key=lambda p: (p.stat().st_mtime_ns, p.name))

    def total_bytes(self) -> int:
        """Bytes of every stored verdict's files."""
        return sum(f.stat().st_size for d in self._folders() for f in d.iterdir() if f.is_file())

    def prune(self) -> int:
        """Remove the oldest verdicts until the store fits ``max_mb``; return how many went.

        The newest verdict is always kept. Sizes come from the index (no scan per verdict).
        """
        if self.max_bytes <= 0:
            return 0
        index = self._scan()
        total, removed = sum(index.values()), 0
        while len(index) > 1 and total > self.max_bytes:
            name, size = index.popitem(last=False)
            shutil.rmtree(self.directory / name, ignore_errors=True)
            total -= size
            removed += 1
        self.removed += removed
        return removed

    def entries(self) -> list[StoredEvidence]:
        """Every stored verdict, oldest first (unreadable verdict.json files are skipped)."""
        out = []
        for folder in self._folders():
            try:
                verdict = json.loads((folder / 'verdict.json').read_text(encoding='utf-8'))
            except (OSError, ValueError) as exc:
                LOG.warning('%s: skipped: %s', folder, exc)
                continue
            out.append(StoredEvidence(folder.name, folder, verdict))
        return out

    def find(self, key: str) -> StoredEvidence:
        """The verdict whose event_id or item_id is ``key`` or starts with it (>= 4 characters).

        KeyError names what is wrong: nothing found, or several verdicts match.
        """
        key = key.strip().lower()
        if len(key) < 4:
            raise KeyError(f'give at least 4 characters of the event id, got {key!r}')
        hits = [e for e in self.entries()
                if any(str(v).lower().startswith(key)
                       for v in (e.event_id, e.verdict.get('item_id', '')))]
        if not hits:
            raise KeyError(f'no verdict {key!r} in {self.directory} '
                           f'({len(self._folders())} stored)')
        if len(hits) > 1:
            raise KeyError(f'{key!r} matches {len(hits)} verdicts: '
                           + ', '.join(e.event_id for e in hits[:5]))
        return hits[0]


def _size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
