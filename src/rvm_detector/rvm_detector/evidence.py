"""Evidence of a verdict: a small JPEG of the item (its box with a margin) and its mask outline.

:func:`encode_evidence` crops the verdict frame around the item's box, scales the crop to at most
``max_side`` px on its long side and encodes it as JPEG, lowering the quality (then the size)
until it fits ``max_bytes``, so that the verdict carrying it stays under the server's message
limit. The mask polygon is given in crop pixels, ready to draw over the image.
:class:`EvidenceHook` puts that ``evidence`` field on every ``detection-completed`` payload of
the detector core (an accept that waits for the exit keeps the crop of the frame it was judged
on) and hands the full frame and the crop to an optional store for audit.
"""
from __future__ import annotations

import base64
import dataclasses
import logging
from dataclasses import dataclass
from typing import Any, Callable

import cv2
import numpy as np

from rvm_common.events import TOPIC_VERDICT
from rvm_common.polygon import simplify_polygon

LOG = logging.getLogger('rvm_detector.evidence')
#: JPEG qualities tried in turn before the crop is made smaller.
QUALITIES = (85, 75, 65, 55, 45, 35)
#: Smallest long side (px) a crop is shrunk to before the evidence is given up.
MIN_SIDE = 24


@dataclass(frozen=True)
class EvidencePolicy:
    """How large the crop may be (built from DetectorConfig)."""

    enabled: bool = True
    max_side: int = 160
    max_bytes: int = 3000
    margin: float = 0.15
    polygon_max_points: int = 32


@dataclass(frozen=True)
class Evidence:
    """The encoded crop (``jpeg``) and the payload field describing it (``field``)."""

    jpeg: bytes
    field: dict[str, Any]


def crop_box(bbox: Any, width: int, height: int, margin: float) -> tuple[int, int, int, int]:
    """Integer ``(x1, y1, x2, y2)``: ``bbox`` grown by ``margin`` of its size, in the frame."""
    x1, y1, x2, y2 = (float(v) for v in bbox)
    if not all(np.isfinite([x1, y1, x2, y2])):
        raise ValueError(f'box is not finite: {bbox}')
    dx, dy = (x2 - x1) * margin, (y2 - y1) * margin
    left, top = max(0, int(np.floor(x1 - dx))), max(0, int(np.floor(y1 - dy)))
    right = min(width, int(np.ceil(x2 + dx)))
    bottom = min(height, int(np.ceil(y2 + dy)))
    if right - left < 1 or bottom - top < 1:
        raise ValueError(f'box {bbox} lies outside the {width}x{height} frame')
    return left, top, right, bottom


def _jpeg(image: np.ndarray, quality: int) -> bytes:
    ok, buf = cv2.imencode('.jpg', image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise ValueError('OpenCV could not encode the crop as JPEG')
    return buf.tobytes()


def encode_evidence(image: np.ndarray, bbox: Any, polygon: Any,
                    policy: EvidencePolicy = EvidencePolicy()) -> Evidence:
    """The crop of ``image`` around ``bbox`` as JPEG <= ``policy.max_bytes``; ValueError if none.

    ``polygon`` (frame pixels, or None) is returned in crop pixels, at most
    ``policy.polygon_max_points`` points, rounded to whole pixels.
    """
    height, width = image.shape[:2]
    left, top, right, bottom = crop_box(bbox, width, height, policy.margin)
    region = image[top:bottom, left:right]
    side = min(policy.max_side, max(region.shape[:2]))
    while side >= MIN_SIDE:
        scale = side / max(region.shape[:2])
        size = (max(1, round(region.shape[1] * scale)), max(1, round(region.shape[0] * scale)))
        small = cv2.resize(region, size, interpolation=cv2.INTER_AREA) if scale != 1 else region
        for quality in QUALITIES:
            data = _jpeg(small, quality)
            if len(data) <= policy.max_bytes:
                return Evidence(data, _field(data, size, (left, top, right, bottom), scale,
                                             polygon, quality, policy))
        side = int(side * 0.75)
    raise ValueError(f'no crop of the item fits {policy.max_bytes} bytes')


def _field(data: bytes, size: tuple[int, int], box: tuple[int, int, int, int], scale: float,
           polygon: Any, quality: int, policy: EvidencePolicy) -> dict[str, Any]:
    points = None
    if polygon is not None and len(polygon) >= 3:
        kept = simplify_polygon(np.asarray(polygon, dtype=np.float64), policy.polygon_max_points)
        if kept is not None:
            points = [[int(round((x - box[0]) * scale)), int(round((y - box[1]) * scale))]
                      for x, y in kept]
    return {
        'format': 'jpeg', 'data': base64.b64encode(data).decode('ascii'),
        'width': size[0], 'height': size[1], 'quality': quality,
        'box': {'x1': box[0], 'y1': box[1], 'x2': box[2], 'y2': box[3]},
        'polygon': points,
    }


#: The rviz topic of the verdict crops (image_transport "compressed" of detections/evidence).
TOPIC_EVIDENCE = 'detections/evidence/compressed'


def evidence_message(factory: Any, verdict: dict[str, Any], stamp_ns: int,
                     frame_id: str = '') -> Any:
    """A sensor_msgs/CompressedImage of the verdict's crop with its mask outline drawn (rviz).

    None when the verdict carries no evidence.
    """
    from rvm_common.image_conv import make_header
    field = verdict.get('evidence')
    if not field:
        return None
    crop = cv2.imdecode(np.frombuffer(base64.b64decode(field['data']), np.uint8),
                        cv2.IMREAD_COLOR)
    if crop is None:
        return None
    colour = (0, 200, 0) if verdict.get('accepted') else (0, 0, 255)
    if field.get('polygon'):
        cv2.polylines(crop, [np.asarray(field['polygon'], np.int32)], True, colour, 1)
    data = np.frombuffer(_jpeg(crop, 90), np.uint8)
    return factory.new('sensor_msgs/msg/CompressedImage',
                       header=make_header(factory, stamp_ns, frame_id),
                       format='bgr8; jpeg compressed bgr8', data=factory.byte_array(data))


#: ``save(verdict_payload, full_frame, crop_jpeg)``: an evidence store's write.
Saver = Callable[[dict[str, Any], np.ndarray, bytes], Any]


class EvidenceHook:
    """Adds ``evidence`` to the detector core's verdicts; optionally saves frame + crop."""

    #: Judged accepts waiting for the exit whose frame is kept (older ones are forgotten).
    MAX_WAITING = 8

    def __init__(self, policy: EvidencePolicy = EvidencePolicy(), save: Saver | None = None):
        self.policy = policy
        self.save = save
        self.failures = 0
        self._image: np.ndarray | None = None
        self._judged: dict[str, np.ndarray] = {}      # item_id -> the frame it was judged on

    def attach(self, session: Any, events: list[tuple[str, dict[str, Any]]],
               image: np.ndarray | None = None) -> None:
        """Give this frame's verdicts, and an accept that now waits for the exit, their crop.

        ``image`` is the frame just processed (None at shutdown / on a command: the last one).
        A verdict made later from a judged accept keeps the crop of the frame it was judged on.
        """
        if image is not None:
            self._image = image
        if not self.policy.enabled or self._image is None:
            return
        episode = getattr(session, 'episode', None)
        pending = getattr(episode, 'pending', None)
        if pending is not None and episode.item_id not in self._judged:
            while len(self._judged) >= self.MAX_WAITING:
                self._judged.pop(next(iter(self._judged)))
            self._judged[episode.item_id] = self._image
            self._encode(pending['fields'], self._image)
        for topic, payload in events:
            if topic != TOPIC_VERDICT:
                continue
            frame = self._judged.pop(payload.get('item_id'), self._image)
            if 'evidence' not in payload:
                self._encode(payload, frame)
            self._save(payload, frame)

    def attached(self, session: Any, events: list[tuple[str, dict[str, Any]]]) -> list:
        """:meth:`attach` (on the last frame) for ``events``; returns ``events``."""
        self.attach(session, events, None)
        return events

    def _encode(self, fields: dict[str, Any], image: np.ndarray) -> None:
        box = fields.get('bbox') or {}
        polygon = (fields.get('mask') or {}).get('polygon')
        try:
            evidence = encode_evidence(
                image, (box['x1'], box['y1'], box['x2'], box['y2']), polygon, self.policy)
        except (KeyError, TypeError, ValueError, cv2.error) as exc:
            self.failures += 1
            LOG.warning('verdict %s: no evidence crop: %s', fields.get('item_id', '?'), exc)
            return
        fields['evidence'] = evidence.field

    def _save(self, payload: dict[str, Any], frame: np.ndarray) -> None:
        field = payload.get('evidence')
        if self.save is None or not field:
            return
        try:
            self.save(payload, frame, base64.b64decode(field['data']))
        except (OSError, ValueError) as exc:
            self.failures += 1
            LOG.warning('verdict %s: evidence not stored: %s', payload.get('event_id'), exc)


#: ``evidence_dir`` value that keeps no evidence on disk
EVIDENCE_DIR_OFF = 'off'
#: where the ROS detector node keeps evidence when ``evidence_dir`` is ''
ROS_EVIDENCE_DIR = '~/.rvm_edge/evidence'


def with_default_evidence_dir(config: Any, default_dir: str) -> Any:
    """``config`` with ``evidence_dir`` '' replaced by ``default_dir`` ('off' stays off)."""
    if config.evidence_dir or not config.evidence:
        return config
    return dataclasses.replace(config, evidence_dir=default_dir)


def evidence_hook(config: Any) -> EvidenceHook:
    """The hook a DetectorConfig asks for (a store when ``evidence_dir`` names a folder)."""
    policy = EvidencePolicy(enabled=config.evidence, max_side=config.evidence_max_px,
                            max_bytes=config.evidence_max_bytes)
    save = None
    if config.evidence and config.evidence_dir not in ('', EVIDENCE_DIR_OFF):
        from rvm_detector.evidence_store import EvidenceStore
        save = EvidenceStore(config.evidence_dir, config.evidence_max_mb).save
    return EvidenceHook(policy, save)
