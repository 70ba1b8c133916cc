"""Parse the single ``source`` parameter into a backend kind and location."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

VIDEO_EXTENSIONS = frozenset({'.mp4', '.avi', '.mkv', '.mov', '.m4v', '.webm', '.mpg', '.mpeg',
                              '.ts', '.wmv', '.flv', '.mjpeg', '.mjpg', '.h264', '.h265', '.gif'})
IMAGE_EXTENSIONS = frozenset({'.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp', '.pgm',
                              '.ppm'})
BAG_EXTENSIONS = frozenset({'.mcap', '.db3'})
STREAM_SCHEMES = ('rtsp', 'rtsps', 'rtmp', 'http', 'https', 'udp', 'tcp', 'srt')

KINDS = ('v4l2', 'csi', 'gstreamer', 'stream', 'video', 'folder', 'bag')


@dataclass(frozen=True)
class SourceSpec:
    """What the ``source`` string names: ``kind`` (one of KINDS) and ``location``.

    ``location`` is a device path or index string for v4l2, the sensor id for
    csi, the pipeline for gstreamer, the URL for stream, a path for the rest.
    """

    kind: str
    location: str

    @property
    def live(self) -> bool:
        """True for devices and streams, false for recorded media."""
        return self.kind in ('v4l2', 'csi', 'gstreamer', 'stream')


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for logs and status)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f'{parts.username}:***@{parts.hostname}'
    if parts.port is not None:
        netloc += f':{parts.port}'
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def parse_source(source: str) -> SourceSpec:
    """Classify ``source``; raises ValueError for an empty or malformed one.

    Directories are bags when they hold ``metadata.yaml`` or a ``.mcap``/``.db3``
    file, image folders otherwise; a path with ``*`` is an image glob; other
    paths are video files (bag files ``.mcap``/``.db3`` name their bag folder).
    """
    text = source.strip()
    if not text:
        raise ValueError('source is empty')
    if re.fullmatch(r'\d+', text):
        return SourceSpec('v4l2', text)
    if re.fullmatch(r'/dev/video\d+', text) or text.startswith('/dev/v4l/'):
        return SourceSpec('v4l2', text)
    if text.startswith('csi://'):
        sensor = text[len('csi://'):]
        if not re.fullmatch(r'\d+', sensor):
            raise ValueError(f'csi source must be csi://<sensor id>, got {source!r}')
        return SourceSpec('csi', sensor)
    if text.startswith('gst:'):
        pipeline = text[len('gst:'):].strip()
        if not pipeline:
            raise ValueError('gst: source has an empty pipeline')
        return SourceSpec('gstreamer', pipeline)
    scheme = text.split('://', 1)[0].lower() if '://' in text else ''
    if scheme in STREAM_SCHEMES:
        if not urlsplit(text).hostname:
            raise ValueError(f'stream URL has no host: {redact_url(text)!r}')
        return SourceSpec('stream', text)
    if scheme == 'file':
        text = text[len('file://'):]
    elif scheme:
        raise ValueError(f'unsupported source scheme {scheme!r} in {redact_url(text)!r}')
    path = Path(text).expanduser()
    if any(ch in text for ch in '*?['):
        return SourceSpec('folder', str(path))
    if path.is_dir():
        if (path / 'metadata.yaml').is_file() or any(
                p.suffix in BAG_EXTENSIONS for p in path.iterdir()):
            return SourceSpec('bag', str(path))
        return SourceSpec('folder', str(path))
    if path.suffix.lower() in BAG_EXTENSIONS:
        return SourceSpec('bag', str(path.parent))
    return SourceSpec('video', str(path))
