"""DetectorCore: YOLO11-seg (+ SAM2) per frame -> detections, item verdicts, session summaries.

Pure Python (no rclpy).  The ROS adapter and the standalone runner feed it frames
(ideally through a :class:`~rvm_detector.latest_frame.LatestFrame`) and publish the
``(topic, payload)`` pairs it returns.
"""
from __future__ import annotations

import dataclasses
import logging
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np

from rvm_common.events import SCHEMA_VERSION
from rvm_common.params import ConfigError, config_from_mapping
from rvm_detector.calibration import CalibrationError
from rvm_detector.class_map import ClassMap, ClassMapError
from rvm_detector.detection import Detection, FrameDetections
from rvm_detector.detector_config import DetectorConfig
from rvm_detector.evidence import evidence_hook
from rvm_detector.item_session import Event, ItemPolicy, ItemSession
from rvm_detector.item_verdict import VerdictPolicy
from rvm_detector.model_loader import ModelLoadError, YoloSegmenter
from rvm_detector.presence_stage import PresenceStage
from rvm_detector.sam2_refiner import Sam2Refiner

LOG = logging.getLogger('rvm_detector.core')


class FrameError(ValueError):
    """A frame the detector cannot process (wrong shape/dtype, zero size)."""


@dataclass
class DetectorResult:
    """What one processed frame produced."""

    detections: list[Detection]
    events: list[Event]
    timings_ms: dict[str, float]
    width: int = 0
    height: int = 0
    item_state: str = 'empty'
    item_id: str | None = None
    refined: bool = False


class DetectorCore:
    """Composes model, optional SAM2 refiner, tracker and item/session logic."""

    def __init__(
        self, config: DetectorConfig = DetectorConfig(), *, segmenter: YoloSegmenter | None = None,
        refiner: Sam2Refiner | None = None, wall_clock=time.time,
    ) -> None:
        self.config = config
        self.segmenter = segmenter or YoloSegmenter(
            weights=config.model_path, device=config.device, half=config.half, imgsz=config.imgsz,
            conf=config.conf, iou=config.iou, max_det=config.max_det, classes=list(config.classes),
            cpu_threads=config.cpu_threads, agnostic_nms=config.agnostic_nms)
        if refiner is None and config.refine != 'off':
            refiner = Sam2Refiner(weights=config.sam2_weights, device=config.device,
                                  imgsz=config.sam2_imgsz, half=config.half)
        self.refiner = refiner if config.refine != 'off' else None
        self.wall_clock = wall_clock
        self.state = 'created'
        self.last_error = ''
        self.class_map: ClassMap | None = None
        self.session: ItemSession | None = None
        self.frames_processed = 0
        self.frames_bad = 0
        self.frames_dropped = 0
        self.verdicts = 0
        self._durations = deque(maxlen=50)
        self._stamps = deque(maxlen=50)
        self._last_timings: dict[str, float] = {}
        self.evidence = evidence_hook(config)    # a crop on every verdict (evidence.py)
        self.presence = PresenceStage(config.calibration_file)   # calibration + presence
        self.refine_errors = 0

    # -- lifecycle ---------------------------------------------------------------------------
    def load(self) -> None:
        """Load class map, model (+ warm-up) and SAM2; :class:`ModelLoadError` with the reason."""
        try:
            check_ranges(self.config)
            self.class_map = ClassMap.load(self.config.class_map_file)
            self.presence.load()
            self.segmenter.load(warmup=self.config.warmup)
            if self.refiner is not None:
                self.refiner.load()
        except (ClassMapError, ConfigError, CalibrationError) as exc:
            self._fail(str(exc))
            raise ModelLoadError(f'invalid detector configuration: {exc}') from exc
        except ModelLoadError as exc:
            self._fail(str(exc))
            raise
        self.new_session()
        self.state = 'ready'
        self.last_error = ''

    def new_session(self, calibration=None) -> ItemSession:
        """A fresh item session (chamber blocked until seen empty).

        Used at load and by the scenario suite (which gives each scene its own ``calibration``).
        """
        if calibration is not None:
            self.presence.use(calibration)
        cfg = self.config
        self.session = ItemSession(
            self.class_map, item_policy(cfg), verdict_policy(cfg), rvm_id=cfg.rvm_id,
            model_name=self.segmenter.name, wall_clock=self.wall_clock,
            zones=self.presence.zones)
        return self.session

    def reconfigure(self, values: dict[str, Any]) -> DetectorConfig:
        """Apply live parameter changes (validated; read-only ones raise :class:`ConfigError`)."""
        read_only = {
            f.name for f in dataclasses.fields(DetectorConfig) if f.metadata.get('read_only')}
        frozen = sorted(
            k for k, v in values.items() if k in read_only and getattr(self.config, k) != v)
        if frozen:
            raise ConfigError(f'read-only parameter(s) need a restart: {", ".join(frozen)}')
        merged = {
            **{f.name: getattr(self.config, f.name) for f in dataclasses.fields(DetectorConfig)},
            **values}
        cfg = config_from_mapping(DetectorConfig, merged)
        check_ranges(cfg)
        self.config = cfg
        self.segmenter.conf, self.segmenter.iou, self.segmenter.max_det = (
            cfg.conf, cfg.iou, cfg.max_det)
        self.segmenter.agnostic_nms = cfg.agnostic_nms
        if self.session is not None:
            self.session.rvm_id = cfg.rvm_id
            self.session.policy = item_policy(cfg)
            self.session.verdict_policy = verdict_policy(cfg)
            tracker = self.session.tracker
            tracker.match_iou, tracker.stable_iou = cfg.match_iou, cfg.stable_iou
            tracker.max_misses = cfg.leave_frames
        return cfg

    def _fail(self, message: str) -> None:
        self.state = 'error'
        self.last_error = message

    # -- per frame -----------------------------------------------------------------------------
    def process(self, image: np.ndarray, stamp_ns: int, now: float) -> DetectorResult:
        """Detect, track, maybe refine; return detections + item/session events for one frame."""
        if self.session is None:
            raise ModelLoadError(self.last_error or 'detector is not loaded; call load() first')
        check_frame(image)
        start = time.perf_counter()
        frame: FrameDetections = self.segmenter.predict(image)
        for det in frame.detections:
            det.category = self.class_map.category_of(det.class_name)
        reading = self.presence.measure(image)
        view = self.session.track(frame.detections, (frame.width, frame.height), image, reading)
        refine_ms, refined = self._refine(image, frame, self.session.verdict_due(view))
        timings = dict(frame.timings_ms, refine=refine_ms)
        timings['total'] = (time.perf_counter() - start) * 1000.0
        events = self.session.advance(view, now, stamp_ns, timings)
        self.presence.learn(self.session.state, view, stamp_ns)
        self.evidence.attach(self.session, events, image)
        timings['total'] = (time.perf_counter() - start) * 1000.0
        self.frames_processed += 1
        self.verdicts += sum(1 for topic, _ in events if topic.endswith('verdict'))
        self._durations.append(timings['total'])
        self._stamps.append(now)
        self._last_timings = timings
        episode = self.session.episode
        return DetectorResult(
            detections=frame.detections, events=events, timings_ms=timings, width=frame.width,
            height=frame.height, item_state=self.session.state.value,
            item_id=episode.item_id if episode else None, refined=refined)

    def _refine(self, image: np.ndarray, frame: FrameDetections, due: bool) -> tuple[float, bool]:
        """SAM2 masks for this frame if due; a refiner error keeps the YOLO outlines."""
        mode = self.config.refine
        if self.refiner is None or not frame.detections or not (mode == 'sam2' or due):
            return 0.0, False
        t0 = time.perf_counter()
        try:
            self.refiner.refine(image, frame.detections)
        except Exception as exc:   # the verdict goes on with the YOLO masks
            self.refine_errors += 1
            self.last_error = f'SAM2 refine failed (YOLO masks used): {type(exc).__name__}: {exc}'
            LOG.warning(self.last_error)
            return (time.perf_counter() - t0) * 1000.0, False
        return (time.perf_counter() - t0) * 1000.0, True

    def note_bad_frame(self, reason: str) -> None:
        """Count a frame the adapter could not convert (it stays up and reports it)."""
        self.frames_bad += 1
        self.last_error = reason

    def note_dropped(self, total_dropped: int) -> None:
        """Record the adapter's keep-newest drop counter."""
        self.frames_dropped = int(total_dropped)

    def tick(self, now: float) -> list[Event]:
        """Idle timeout -> session summary."""
        return self.evidence.attached(self.session, self.session.tick(now) if self.session else [])

    def shutdown(self) -> list[Event]:
        """Stopping: the open session ends (an item in the chamber is judged or rejected once)."""
        events = self.session.end_session('shutdown') if self.session else []
        return self.evidence.attached(self.session, events)

    def command(self, payload: dict[str, Any]) -> list[Event]:
        """Inbound commands: only ``{"command": "end_session"}`` (ends the session) is handled."""
        if not isinstance(payload, dict) or self.session is None:
            return []
        if payload.get('command') == 'end_session':
            return self.evidence.attached(self.session, self.session.end_session('command'))
        return []

    def status(self) -> dict[str, Any]:
        """JSON-able detector status (published on TOPIC_DETECTOR_STATUS)."""
        fps = 0.0
        if len(self._stamps) >= 2 and self._stamps[-1] > self._stamps[0]:
            fps = (len(self._stamps) - 1) / (self._stamps[-1] - self._stamps[0])
        session = self.session
        return {
            'version': SCHEMA_VERSION,
            'state': self.state,
            'last_error': self.last_error,
            'model': self.segmenter.name,
            'device': self.segmenter.device,
            'half': self.segmenter.half,
            'refine': self.config.refine,
            'sam2': self.refiner.name if self.refiner else None,
            'frames_processed': self.frames_processed,
            'frames_dropped': self.frames_dropped,
            'frames_bad': self.frames_bad,
            'fps': round(fps, 2),
            'latency_ms': round(float(np.mean(self._durations)), 2) if self._durations else None,
            'last_timings_ms': {k: round(v, 2) for k, v in self._last_timings.items()},
            'item_state': session.state.value if session else 'blocked',
            'session_id': session.session_id if session else None,
            'items_total': session.items_total if session else 0,
            'items_failed': session.items_failed if session else 0,
            'verdicts': self.verdicts,
            'phantoms': session.phantoms if session else 0,
            'refine_errors': self.refine_errors,
            'calibration': self.presence.status(self.wall_clock()),
        }


def item_policy(cfg: DetectorConfig) -> ItemPolicy:
    return ItemPolicy(
        stable_frames=cfg.stable_frames, stable_iou=cfg.stable_iou, match_iou=cfg.match_iou,
        leave_frames=cfg.leave_frames, idle_timeout_s=cfg.idle_timeout_s,
        confirm_frames=cfg.confirm_frames, multi_frames=cfg.multi_frames,
        settle_timeout_s=cfg.settle_timeout_s, frame_gap_s=cfg.frame_gap_s,
        entry_side=cfg.entry_side)


def verdict_policy(cfg: DetectorConfig) -> VerdictPolicy:
    return VerdictPolicy(
        min_confidence=cfg.min_confidence, min_area_fraction=cfg.min_area_fraction,
        max_area_fraction=cfg.max_area_fraction, multi_object_conf=cfg.multi_object_conf,
        polygon_max_points=cfg.polygon_max_points)


def check_ranges(cfg: DetectorConfig) -> None:
    """Raise :class:`ConfigError` for values outside their meaningful range."""
    for name in ('conf', 'iou', 'stable_iou', 'match_iou', 'min_confidence', 'min_area_fraction',
                 'max_area_fraction', 'multi_object_conf'):
        if not 0.0 <= getattr(cfg, name) <= 1.0:
            raise ConfigError(f'{name}: {getattr(cfg, name)} is outside 0..1')
    for name in (
        'max_det', 'stable_frames', 'leave_frames', 'imgsz', 'sam2_imgsz', 'confirm_frames',
        'multi_frames',
    ):
        if getattr(cfg, name) < 1:
            raise ConfigError(f'{name}: must be at least 1, got {getattr(cfg, name)}')
    if cfg.polygon_max_points < 3:
        raise ConfigError(f'polygon_max_points: must be at least 3, got {cfg.polygon_max_points}')
    if cfg.min_area_fraction > cfg.max_area_fraction:
        raise ConfigError('min_area_fraction is larger than max_area_fraction')
    for name in ('idle_timeout_s', 'status_period_s', 'settle_timeout_s', 'frame_gap_s'):
        if getattr(cfg, name) <= 0:
            raise ConfigError(f'{name}: must be positive, got {getattr(cfg, name)}')


def check_frame(image: Any) -> None:
    """Raise :class:`FrameError` unless ``image`` is a non-empty HxWx3 uint8 array."""
    if not isinstance(image, np.ndarray):
        raise FrameError(f'frame must be a numpy array, got {type(image).__name__}')
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise FrameError(f'frame must be HxWx3 uint8 BGR, got shape {image.shape} {image.dtype}')
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise FrameError(f'frame has zero size {image.shape[1]}x{image.shape[0]}')
