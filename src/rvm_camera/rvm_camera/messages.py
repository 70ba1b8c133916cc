"""Camera messages built through a MessageFactory: Image, CompressedImage (JPEG), CameraInfo.

The same functions build rclpy messages on the robot and ``rosbags``
dataclasses in tests and in the bag recorder.  Calibration files use the
standard ROS ``camera_info`` YAML (camera_calibration / camera_info_manager).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from rvm_common.image_conv import MessageFactory, make_header, numpy_to_image
from rvm_common.yaml_file import read_yaml


class CalibrationError(ValueError):
    """A calibration YAML that is missing, unreadable or malformed."""


@dataclass(frozen=True)
class CameraCalibration:
    """Intrinsics of a camera_info YAML: size, model, D, K (3x3), R (3x3), P (3x4), row-major."""

    width: int
    height: int
    camera_name: str
    distortion_model: str
    d: tuple[float, ...]
    k: tuple[float, ...]
    r: tuple[float, ...]
    p: tuple[float, ...]


def _matrix(data: dict[str, Any], key: str, size: int | None, path: Path) -> tuple[float, ...]:
    node = data.get(key)
    values = node.get('data') if isinstance(node, dict) else node
    if not isinstance(values, list) or not all(isinstance(v, (int, float)) for v in values):
        raise CalibrationError(f'{path}: {key} must be a matrix with a numeric data list')
    if size is not None and len(values) != size:
        raise CalibrationError(f'{path}: {key} has {len(values)} values, expected {size}')
    return tuple(float(v) for v in values)


def load_calibration(path: str | Path) -> CameraCalibration:
    """Read a ROS camera_info calibration YAML; :class:`CalibrationError` when invalid."""
    path = Path(path)
    data = read_yaml(path, 'calibration file', CalibrationError)
    if not isinstance(data, dict):
        raise CalibrationError(f'calibration file {path} is not a mapping')
    for key in ('image_width', 'image_height', 'camera_matrix'):
        if key not in data:
            raise CalibrationError(f'{path}: missing {key}')
    width, height = data['image_width'], data['image_height']
    if not (isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0):
        raise CalibrationError(f'{path}: image_width/image_height must be positive integers')
    k = _matrix(data, 'camera_matrix', 9, path)
    d = _matrix(data, 'distortion_coefficients', None, path) if 'distortion_coefficients' in data \
        else ()
    r = _matrix(data, 'rectification_matrix', 9, path) if 'rectification_matrix' in data \
        else (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)
    if 'projection_matrix' in data:
        p = _matrix(data, 'projection_matrix', 12, path)
    else:  # monocular default: P = [K | 0]
        p = (k[0], k[1], k[2], 0.0, k[3], k[4], k[5], 0.0, k[6], k[7], k[8], 0.0)
    return CameraCalibration(width=width, height=height,
                             camera_name=str(data.get('camera_name', '')),
                             distortion_model=str(data.get('distortion_model', 'plumb_bob')),
                             d=d, k=k, r=r, p=p)


def float64_array(values: Sequence[float]) -> np.ndarray:
    """Default float-array field value (rosbags wants numpy; rclpy adapters pass ``list``)."""
    return np.asarray(values, dtype=np.float64)


def image_message(factory: MessageFactory, image: np.ndarray, stamp_ns: int, frame_id: str) -> Any:
    """A bgr8 sensor_msgs/Image of ``image`` (one copy into the message buffer)."""
    return numpy_to_image(factory, image, 'bgr8', stamp_ns, frame_id)


def encode_jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    """JPEG bytes (flat uint8 array) of a BGR image; ValueError when encoding fails."""
    import cv2

    quality = int(min(100, max(1, quality)))
    ok, buf = cv2.imencode('.jpg', image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError(f'JPEG encoding failed for an image of shape {image.shape}')
    return buf.reshape(-1)


def compressed_message(factory: MessageFactory, image: np.ndarray, stamp_ns: int, frame_id: str,
                       quality: int = 90) -> Any:
    """A sensor_msgs/CompressedImage in image_transport's format ``bgr8; jpeg compressed bgr8``."""
    data = factory.byte_array(encode_jpeg(image, quality))
    return factory.new('sensor_msgs/msg/CompressedImage',
                       header=make_header(factory, stamp_ns, frame_id),
                       format='bgr8; jpeg compressed bgr8', data=data)


def camera_info_message(factory: MessageFactory, calibration: CameraCalibration, stamp_ns: int,
                        frame_id: str,
                        float_array: Callable[[Sequence[float]], Any] = float64_array) -> Any:
    """A sensor_msgs/CameraInfo of ``calibration`` (binning 0, full-frame ROI)."""
    roi = factory.new('sensor_msgs/msg/RegionOfInterest', x_offset=0, y_offset=0, height=0,
                      width=0, do_rectify=False)
    return factory.new('sensor_msgs/msg/CameraInfo',
                       header=make_header(factory, stamp_ns, frame_id),
                       height=calibration.height, width=calibration.width,
                       distortion_model=calibration.distortion_model,
                       d=float_array(calibration.d), k=float_array(calibration.k),
                       r=float_array(calibration.r), p=float_array(calibration.p),
                       binning_x=0, binning_y=0, roi=roi)
