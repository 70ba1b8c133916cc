"""YOLO11-seg model from a LOCAL path only, device selection, warm-up.

Formats (one ``model_path``, Ultralytics' AutoBackend picks the runtime): ``.pt`` (PyTorch),
``.onnx`` (ONNX Runtime), a ``*_openvino_model/`` folder (OpenVINO) and ``.engine`` (TensorRT,
CUDA only); ``rvm-export`` writes them.  An export runs at the input size it was made for, so one
whose size differs from ``imgsz`` is refused, and its recorded task must be ``segment``.

Ultralytics treats any name that is not an existing file as something to
download; this module resolves and checks the path itself first and fails fast
with :class:`ModelLoadError`.  ``YOLO_OFFLINE=1`` and ``YOLO_AUTOINSTALL=False``
are forced before Ultralytics is imported, so no hub check, font download or
pip auto-update can run.  This is the only module (with ``sam2_refiner``) that
imports Ultralytics.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from rvm_detector.detection import Detection, FrameDetections
from rvm_detector.polygon import polygon_area

MODEL_DIR = Path(__file__).resolve().parent / 'models'
BUNDLED_MODEL = MODEL_DIR / 'rvm_yolo11n_seg.pt'
OPENVINO_SUFFIX = '_openvino_model'          # a folder: <name>.xml, <name>.bin, metadata.yaml
MODEL_SUFFIXES = ('.pt', '.onnx', '.engine', OPENVINO_SUFFIX)


class ModelLoadError(RuntimeError):
    """A model that cannot be used: missing or corrupt file, wrong task, unusable device."""


def offline_ultralytics() -> Any:
    """Import Ultralytics with every network feature switched off; returns the module."""
    os.environ['YOLO_OFFLINE'] = '1'
    os.environ.setdefault('YOLO_AUTOINSTALL', 'False')
    os.environ.setdefault('YOLO_VERBOSE', 'False')
    import ultralytics
    return ultralytics


def resolve_weights(path: str | os.PathLike, suffixes: tuple[str, ...] = MODEL_SUFFIXES,
                    default: Path | None = BUNDLED_MODEL, what: str = 'model') -> Path:
    """The absolute local path of a weights file, or :class:`ModelLoadError` saying why not."""
    text = str(path).strip()
    if not text:
        if default is None:
            raise ModelLoadError(f'no {what} weights path configured')
        candidate = default
    else:
        candidate = Path(os.path.expanduser(text))
    folder_model = OPENVINO_SUFFIX in suffixes and candidate.name.endswith(OPENVINO_SUFFIX)
    if candidate.suffix.lower() not in suffixes and not folder_model:
        files = [s for s in suffixes if s.startswith('.')]
        folders = (f' or a folder ending in {OPENVINO_SUFFIX}'
                   if OPENVINO_SUFFIX in suffixes else '')
        raise ModelLoadError(f'{what} weights {candidate} must be a local file ending in '
                             f'{", ".join(files)}{folders} (names are never downloaded)')
    if not candidate.exists():
        raise ModelLoadError(
            f'{what} weights file not found: {candidate.resolve()} '
            '(weights are never downloaded; copy the file there or set the path)'
        )
    if folder_model:
        return _check_openvino_folder(candidate, what)
    if not candidate.is_file():
        raise ModelLoadError(f'{what} weights path is not a file: {candidate.resolve()}')
    size = candidate.stat().st_size
    if size == 0:
        raise ModelLoadError(f'{what} weights file is empty: {candidate.resolve()}')
    if candidate.suffix.lower() == '.pt':
        with candidate.open('rb') as fh:
            magic = fh.read(2)
        if magic != b'PK':  # torch.save zip container
            raise ModelLoadError(f'{what} weights file {candidate.resolve()} is corrupt '
                                 f'(not a PyTorch checkpoint archive)')
    return candidate.resolve()


def _check_openvino_folder(folder: Path, what: str) -> Path:
    """An OpenVINO export folder holding one .xml with its .bin and the names in metadata.yaml."""
    folder = folder.resolve()
    if not folder.is_dir():
        raise ModelLoadError(f'{what} OpenVINO model {folder} must be a folder (rvm-export writes '
                             f'<name>{OPENVINO_SUFFIX}/)')
    xml = sorted(folder.glob('*.xml'))
    if len(xml) != 1 or not xml[0].with_suffix('.bin').is_file():
        raise ModelLoadError(f'{what} OpenVINO model {folder} needs one <name>.xml with its '
                             f'<name>.bin (found {", ".join(p.name for p in folder.iterdir())})')
    if not (folder / 'metadata.yaml').is_file():
        raise ModelLoadError(f'{what} OpenVINO model {folder} has no metadata.yaml, so its '
                             'class names and task are unknown; export it with rvm-export')
    return folder


def resolve_device(device: str) -> str:
    """'auto' | 'cpu' | 'cuda' | 'cuda:N' -> 'cpu' or 'cuda:N'; CUDA without CUDA is an error."""
    import torch

    text = (device or 'auto').strip().lower()
    if text == 'auto':
        return 'cuda:0' if torch.cuda.is_available() else 'cpu'
    if text == 'cpu':
        return 'cpu'
    if text == 'cuda' or text.startswith('cuda:') or text.isdigit():
        index_text = text.split(':', 1)[1] if ':' in text else (text if text.isdigit() else '0')
        if not index_text.isdigit():
            raise ModelLoadError(f'device {device!r}: expected auto, cpu or cuda:N')
        if not torch.cuda.is_available():
            raise ModelLoadError(
                f'device {device!r} asked for CUDA but CUDA is not available here '
                f'(torch {torch.__version__}, no usable GPU); use device auto or cpu'
            )
        index = int(index_text)
        if index >= torch.cuda.device_count():
            raise ModelLoadError(
                f'device {device!r}: only {torch.cuda.device_count()} CUDA device(s)')
        return f'cuda:{index}'
    raise ModelLoadError(f'device {device!r}: expected auto, cpu or cuda:N')


class YoloSegmenter:
    """A YOLO segmentation model loaded from a local file, with fixed predict arguments."""

    def __init__(
        self, weights: str = '', device: str = 'auto', half: bool = True, imgsz: int = 320,
        conf: float = 0.25, iou: float = 0.5, max_det: int = 10, classes: list[int] | None = None,
        cpu_threads: int = 0, agnostic_nms: bool = True,
    ) -> None:
        self.weights_arg = weights
        self.device_arg = device
        self.half_arg = half
        self.imgsz = int(imgsz)
        self.conf = float(conf)
        self.iou = float(iou)
        self.max_det = int(max_det)
        self.classes = [int(c) for c in classes or [] if int(c) >= 0] or None
        self.cpu_threads = int(cpu_threads)
        self.agnostic_nms = bool(agnostic_nms)
        self.model: Any = None
        self.path: Path | None = None
        self.device = 'cpu'
        self.half = False
        self.names: dict[int, str] = {}

    @property
    def name(self) -> str:
        return self.path.name if self.path else ''

    def load(self, warmup: bool = True) -> None:
        """Resolve path and device, load the model, maybe warm up; ModelLoadError on failure."""
        path = resolve_weights(self.weights_arg)
        device = resolve_device(self.device_arg)
        if path.suffix.lower() == '.engine' and not device.startswith('cuda'):
            raise ModelLoadError(f'TensorRT engine {path} needs a CUDA device, got {device}')
        offline_ultralytics()
        import torch
        from ultralytics import YOLO

        try:
            model = YOLO(str(path), task='segment')
        except Exception as exc:  # Ultralytics raises many types for a bad file
            raise ModelLoadError(f'cannot load model {path}: {type(exc).__name__}: {exc}') from exc
        if model.task != 'segment':
            raise ModelLoadError(
                f'model {path} is a {model.task!r} model; a segmentation model is needed')
        torch.set_num_threads(self.cpu_threads if self.cpu_threads > 0 else (os.cpu_count() or 1))
        self.model, self.path, self.device = model, path, device
        self.half = bool(self.half_arg and device.startswith('cuda'))
        try:  # for exported formats this builds the backend, so a corrupt file fails here
            self.names = {int(k): str(v) for k, v in dict(model.names).items()}
        except Exception as exc:
            raise ModelLoadError(f'cannot load model {path}: {type(exc).__name__}: {exc}') from exc
        exported = path.suffix.lower() != '.pt'
        if warmup or exported:  # an export's size and task are known once a frame has run
            self.warmup()
        if exported:
            self._check_export()
        threads = self.cpu_threads if self.cpu_threads > 0 else (os.cpu_count() or 1)
        if path.suffix.lower() == '.onnx' and tune_onnx_session(model, path, threads) and warmup:
            self.warmup()           # the new session's first run is slow too

    def _check_export(self) -> None:
        """ModelLoadError when an exported model's recorded task or input size do not fit."""
        backend = getattr(getattr(self.model, 'predictor', None), 'model', None)
        task = getattr(backend, 'task', 'segment')
        if task != 'segment':
            raise ModelLoadError(
                f'model {self.path} was exported from a {task!r} model; a segmentation model '
                'is needed')
        size = getattr(backend, 'imgsz', None)
        if size and not getattr(backend, 'dynamic', False) and list(size) != [self.imgsz] * 2:
            raise ModelLoadError(
                f'model {self.path} was exported for input size {list(size)}, but imgsz is '
                f'{self.imgsz}: set imgsz {size[0]} or export again with rvm-export --imgsz '
                f'{self.imgsz}')

    def predict_args(self) -> dict[str, Any]:
        return dict(imgsz=self.imgsz, conf=self.conf, iou=self.iou, max_det=self.max_det,
                    agnostic_nms=self.agnostic_nms,
                    classes=self.classes, device=self.device, quantize=16 if self.half else None,
                    verbose=False,
                    save=False, retina_masks=False)

    def warmup(self) -> None:
        """One prediction on a blank frame so the first real frame is not slow."""
        try:
            self.predict_raw(np.zeros((self.imgsz, self.imgsz, 3), dtype=np.uint8))
        except Exception as exc:
            raise ModelLoadError(f'model {self.path} failed its warm-up prediction: '
                                 f'{type(exc).__name__}: {exc}') from exc

    def predict_raw(self, image: np.ndarray) -> Any:
        """The bare Ultralytics ``Results`` for one BGR frame."""
        if self.model is None:
            raise ModelLoadError('model is not loaded; call load() first')
        results = self.model.predict(image, **self.predict_args())
        if not self.names:
            self.names = {int(k): str(v) for k, v in dict(results[0].names).items()}
        return results[0]

    def predict(self, image: np.ndarray) -> FrameDetections:
        """Detections (with outline polygons in frame px) and stage timings for one BGR frame."""
        result = self.predict_raw(image)
        start = time.perf_counter()
        detections = results_to_detections(result)
        own_ms = (time.perf_counter() - start) * 1000.0
        speed = result.speed or {}
        height, width = image.shape[:2]
        return FrameDetections(detections=detections, width=width, height=height, timings_ms={
            'preprocess': float(speed.get('preprocess') or 0.0),
            'inference': float(speed.get('inference') or 0.0),
            'postprocess': float(speed.get('postprocess') or 0.0) + own_ms,
        })


def tune_onnx_session(model: Any, path: Path, threads: int) -> bool:
    """Give a CPU ONNX Runtime session ``threads`` intra-op threads that do not spin-wait.

    Ultralytics' default session keeps its idle threads spinning.  Beside the camera, bridge and
    health threads of the same process on a 2-core CPU that made the ONNX model slower than torch
    (docs/model.md, Export for speed).  Returns False (session left as it is) when the model has no
    CPU-only ONNX Runtime session where this Ultralytics version keeps it.
    """
    backend = getattr(getattr(model, 'predictor', None), 'model', None)
    holder = getattr(backend, 'backend', backend)   # Ultralytics >= 8.4: one level down
    session = getattr(holder, 'session', None)
    if session is None or not hasattr(session, 'get_providers') or \
            session.get_providers() != ['CPUExecutionProvider']:
        return False
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = int(threads)
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.add_session_config_entry('session.intra_op.allow_spinning', '0')
    holder.session = ort.InferenceSession(str(path), options, providers=['CPUExecutionProvider'])
    return True


def results_to_detections(result: Any) -> list[Detection]:
    """Ultralytics ``Results`` -> :class:`Detection` list (polygons from ``masks.xy``)."""
    boxes = result.boxes
    if boxes is None or len(boxes) == 0:
        return []
    xyxy = boxes.xyxy.cpu().numpy().astype(float)
    confs = boxes.conf.cpu().numpy().astype(float)
    classes = boxes.cls.cpu().numpy().astype(int)
    polygons = result.masks.xy if result.masks is not None else [None] * len(xyxy)
    names = result.names or {}
    out = []
    for box, conf, cls, poly in zip(xyxy, confs, classes, polygons):
        poly = np.asarray(poly, dtype=np.float32) if poly is not None and len(poly) >= 3 else None
        out.append(Detection(class_id=int(cls), class_name=str(names.get(int(cls), cls)),
                             confidence=float(conf), bbox=tuple(float(v) for v in box),
                             polygon=poly, area_px=polygon_area(poly)))
    return out
