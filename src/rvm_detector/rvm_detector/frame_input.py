"""sensor_msgs/Image -> BGR frame for the detector (no cv_bridge), with clear errors."""
from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from rvm_common.image_conv import ImageConversionError, image_to_numpy, stamp_to_ns

_TO_BGR = {
    'bgr8': None, '8UC3': None,
    'rgb8': cv2.COLOR_RGB2BGR,
    'bgra8': cv2.COLOR_BGRA2BGR,
    'rgba8': cv2.COLOR_RGBA2BGR,
    'mono8': cv2.COLOR_GRAY2BGR, '8UC1': cv2.COLOR_GRAY2BGR,
}


def image_msg_to_bgr(msg: Any) -> tuple[np.ndarray, int, str]:
    """(BGR uint8 frame, stamp ns, frame_id) of an Image message.

    Raises :class:`ImageConversionError` for unsupported encodings (16-bit, float),
    zero sizes and truncated buffers.
    """
    encoding = str(msg.encoding)
    if encoding not in _TO_BGR:
        raise ImageConversionError(f'detector needs an 8-bit colour or mono image, got encoding '
                                   f'{encoding!r} (supported: {", ".join(sorted(_TO_BGR))})')
    array = image_to_numpy(msg)
    code = _TO_BGR[encoding]
    frame = np.ascontiguousarray(array) if code is None else cv2.cvtColor(array, code)
    return frame, stamp_to_ns(msg.header.stamp), str(msg.header.frame_id)


def compressed_msg_to_bgr(msg: Any) -> tuple[np.ndarray, int, str]:
    """(BGR uint8 frame, stamp ns, frame_id) of a sensor_msgs/CompressedImage (JPEG or PNG).

    Lets the detector take a bag's ``image_raw/compressed`` directly (no republish node).
    Raises :class:`ImageConversionError` when the data does not decode.
    """
    data = np.frombuffer(bytes(msg.data), dtype=np.uint8)
    frame = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if frame is None:
        raise ImageConversionError(
            f'compressed image ({msg.format or "no format"}, {data.size} bytes) '
            'does not decode as JPEG or PNG'
        )
    return frame, stamp_to_ns(msg.header.stamp), str(msg.header.frame_id)
