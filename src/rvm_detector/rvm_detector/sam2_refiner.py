"""SAM2 mask refinement: all YOLO boxes of a frame in one prompt call (one image embedding).

Uses the Ultralytics ``SAM2Predictor`` with a LOCAL checkpoint; the SAM2 / SAM2.1
architecture size is chosen from the file name (``sam2_t.pt``, ``sam2.1_b.pt`` ...),
exactly as Ultralytics' ``build_sam`` does.  Tests pass a ready network
(``network=build_sam2_t()``: random weights, nothing downloaded).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from rvm_detector.detection import Detection
from rvm_detector.model_loader import (
    ModelLoadError, offline_ultralytics, resolve_device, resolve_weights)
from rvm_detector.polygon import mask_to_polygon

SAM2_NAMES = ('sam2_t.pt', 'sam2_s.pt', 'sam2_b.pt', 'sam2_l.pt',
              'sam2.1_t.pt', 'sam2.1_s.pt', 'sam2.1_b.pt', 'sam2.1_l.pt')


class Sam2Refiner:
    """Replaces YOLO masks by SAM2 masks prompted with the YOLO boxes."""

    def __init__(
        self, weights: str = '', device: str = 'auto', imgsz: int = 1024, half: bool = True,
        network: Any = None,
    ) -> None:
        self.weights_arg = weights
        self.device_arg = device
        self.imgsz = int(imgsz)
        self.half_arg = half
        self.network = network
        self.predictor: Any = None
        self.encoder_calls = 0      # image embeddings computed (one per refined frame)
        self.decoder_calls = 0      # prompt calls (one per refined frame, all boxes together)
        self.name = ''

    def load(self) -> None:
        """Build the predictor; :class:`ModelLoadError` on a missing/unknown/corrupt checkpoint."""
        device = resolve_device(self.device_arg)
        offline_ultralytics()
        from ultralytics.models.sam.predict import SAM2Predictor

        network = self.network
        if network is None:
            path = resolve_weights(self.weights_arg, ('.pt',), default=None, what='SAM2')
            if not path.name.endswith(SAM2_NAMES):
                raise ModelLoadError(f'SAM2 weights {path}: the file name must end in one of '
                                     f'{", ".join(SAM2_NAMES)} (it selects the architecture)')
            from ultralytics.models.sam.build import build_sam
            try:
                network = build_sam(str(path))
            except Exception as exc:
                raise ModelLoadError(
                    f'cannot load SAM2 weights {path}: {type(exc).__name__}: {exc}') from exc
            self.name = path.name
        else:
            self.name = 'sam2 (in-memory network)'
        half = bool(self.half_arg and device.startswith('cuda'))
        predictor = SAM2Predictor(overrides=dict(imgsz=self.imgsz, conf=0.0, device=device,
                                                 quantize=16 if half else None,
                                                 verbose=False, save=False))
        predictor.setup_model(model=network, verbose=False)
        encode = network.forward_image

        def counted_forward_image(im):
            self.encoder_calls += 1
            return encode(im)

        network.forward_image = counted_forward_image
        self.predictor = predictor

    def refine(self, image: np.ndarray, detections: list[Detection]) -> None:
        """Set ``mask``/``polygon``/``area_px``/``refined`` of every detection (in place).

        One ``set_image`` (one embedding) and one prompt call with all boxes.  A box
        whose SAM2 mask comes back empty keeps its YOLO outline.
        """
        if not detections:
            return
        if self.predictor is None:
            raise ModelLoadError('SAM2 refiner is not loaded; call load() first')
        predictor = self.predictor
        predictor.set_image(image)
        try:
            boxes = [list(d.bbox) for d in detections]
            result = predictor(bboxes=boxes)[0]
            self.decoder_calls += 1
        finally:
            predictor.reset_image()
        if result.masks is None:
            return
        masks = result.masks.data.cpu().numpy().astype(bool)
        # Ultralytics keeps the prompt index in the class column of the returned boxes.
        order = result.boxes.cls.cpu().numpy().astype(int)
        for mask, index in zip(masks, order):
            if not 0 <= index < len(detections) or not mask.any():
                continue
            det = detections[index]
            det.mask = mask
            det.polygon = mask_to_polygon(mask)
            det.area_px = float(mask.sum())
            det.refined = True
