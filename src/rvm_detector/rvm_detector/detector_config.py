"""DetectorConfig: every parameter of the detector node (defaults live here only)."""
from __future__ import annotations

from dataclasses import dataclass

from rvm_common.params import param


@dataclass(frozen=True)
class DetectorConfig:
    """Parameters of the detector core and its ROS adapter."""

    rvm_id: str = param('', 'Machine id put in every event envelope', read_only=True)
    model_path: str = param('', "YOLO11-seg weights, a LOCAL .pt/.onnx/.engine file or "
                                "*_openvino_model folder ('' = bundled rvm_yolo11n_seg.pt); never "
                                "downloaded", read_only=True)
    device: str = param('auto', 'Inference device: auto, cpu or cuda:N (CUDA asked without CUDA = '
                                'startup error)', read_only=True)
    half: bool = param(True, 'Half precision on CUDA (ignored on CPU)', read_only=True)
    imgsz: int = param(320, 'YOLO inference size in px', read_only=True)
    conf: float = param(0.25, 'YOLO confidence threshold per detection')
    iou: float = param(0.5, 'YOLO NMS IoU threshold')
    max_det: int = param(10, 'Maximum detections per frame')
    agnostic_nms: bool = param(
        True,
        'Class-agnostic NMS: one box per object even when two classes '
        'compete (else a duplicate would count as a second object)',
    )
    classes: list = param([-1], 'Model class ids to keep ([-1] = all classes)', read_only=True)
    warmup: bool = param(True, 'Run one prediction on a blank frame at start-up', read_only=True)
    cpu_threads: int = param(
        0, 'CPU threads of torch or ONNX Runtime (0 = all cores; Ultralytics would leave one '
           'idle)', read_only=True)
    refine: str = param('off', 'SAM2 mask refinement: off, sam2 (every frame with detections) or '
                               'item (only the frame that makes an item verdict)',
                        choices=('off', 'sam2', 'item'), read_only=True)
    sam2_weights: str = param('', 'SAM2/SAM2.1 checkpoint, a LOCAL file named like sam2.1_t.pt '
                                  '(needed when refine is not off)', read_only=True)
    sam2_imgsz: int = param(1024, 'SAM2 input size in px (square)', read_only=True)
    class_map_file: str = param('', "Class map YAML ('' = bundled config/class_map.yaml)",
                                read_only=True)
    calibration_file: str = param(
        '', "Empty-chamber calibration YAML from `rvm-edge calibrate` (reference image, ROI, "
            "entry/exit zones): presence from the image, phantoms ignored, drift reported; '' = "
            'detection-only presence with a loud warning', read_only=True)
    stable_frames: int = param(5, 'Frames an item must stay still before its verdict')
    stable_iou: float = param(0.85, 'Box IoU between consecutive frames that counts as still')
    match_iou: float = param(0.3, 'Box IoU that links a detection to an existing track')
    leave_frames: int = param(
        5,
        'Empty frames after which the chamber is empty (the episode ends, the '
        'chamber is armed for the next item)',
    )
    confirm_frames: int = param(
        2, 'Frames in a row an object must be seen before it opens an episode')
    multi_frames: int = param(
        3,
        'Frames in a row with two or more distinct objects that reject the '
        'episode as multiple_objects',
    )
    settle_timeout_s: float = param(10.0, 'Seconds (camera time) an item may take to come to rest '
                                          'before it is rejected as not_settled')
    frame_gap_s: float = param(
        1.0,
        'Frame interval counted at most per frame by the settle clock (a '
        'camera gap freezes the chamber)',
    )
    entry_side: str = param(
        'left',
        'Frame edge of the entry flap when there is no calibration (the zones '
        'are then the outer quarters of the frame); a calibration file names '
        'its own',
        choices=('left', 'right', 'top', 'bottom'))
    min_confidence: float = param(0.5, 'Aggregated confidence below which an item is rejected')
    min_area_fraction: float = param(0.005, 'Smallest accepted mask area, fraction of the frame')
    max_area_fraction: float = param(0.6, 'Largest accepted mask area, fraction of the frame')
    multi_object_conf: float = param(0.4, 'Confidence from which a second object rejects the item')
    polygon_max_points: int = param(64, 'Most points of the verdict mask polygon')
    evidence: bool = param(
        True, 'Attach a small JPEG crop of the item with its mask outline to every verdict')
    evidence_max_px: int = param(160, 'Long side of the verdict crop in px, at most',
                                 minimum=24, maximum=640)
    evidence_max_bytes: int = param(
        3000, 'JPEG bytes of the verdict crop, at most (the verdict stays under the server '
              'message limit)', minimum=500, maximum=5000)
    evidence_dir: str = param(
        '', "Folder keeping the full frame and the crop of the last verdicts for audit ('' = "
            "ROS node: ~/.rvm_edge/evidence, rvm-edge run: evidence/ beside the outbox; 'off' = "
            'none)', read_only=True)
    evidence_max_mb: float = param(
        200.0, 'Size bound of evidence_dir in megabytes (the oldest verdicts go first)',
        read_only=True, minimum=0.0)
    idle_timeout_s: float = param(30.0, 'Seconds without any object that end the session')
    image_qos_reliability: str = param('best_effort', 'Image subscription reliability',
                                       choices=('best_effort', 'reliable'), read_only=True)
    image_qos_depth: int = param(1, 'Image subscription queue depth', read_only=True)
    image_input: str = param(
        'raw',
        'ROS node only: raw = sensor_msgs/Image on image_raw; compressed = '
        'sensor_msgs/CompressedImage on image_raw/compressed (e.g. ros2 bag play '
        'of the bundled bag)',
        choices=('raw', 'compressed'), read_only=True)
    status_period_s: float = param(1.0, 'Adapter: detector status publish period')
    publish_debug_images: bool = param(
        True,
        'ROS node only: run the debug-image worker, which draws the '
        'annotated image and the label mask off the inference thread '
        '(false: neither is drawn nor published)',
        read_only=True)
    publish_annotated: bool = param(
        True, 'Publish the annotated image (rviz; needs publish_debug_images)')
    publish_label_mask: bool = param(
        True, 'Publish the mono8 label mask (needs publish_debug_images)')
