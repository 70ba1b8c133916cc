"""sensor_msgs/Image <-> numpy conversion without rclpy or cv_bridge.

Works on any object shaped like ``sensor_msgs/msg/Image`` (rclpy messages and
the ``rosbags`` typestore dataclasses alike).  Message -> numpy is a zero-copy
view over ``msg.data``; numpy -> message copies once, into the buffer type the
message class wants (chosen by the caller's :class:`MessageFactory`).
"""
from __future__ import annotations

import array
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

#: encoding -> (dtype, channels)
ENCODINGS: dict[str, tuple[np.dtype, int]] = {
    'bgr8': (np.dtype(np.uint8), 3),
    'rgb8': (np.dtype(np.uint8), 3),
    'bgra8': (np.dtype(np.uint8), 4),
    'rgba8': (np.dtype(np.uint8), 4),
    'mono8': (np.dtype(np.uint8), 1),
    '8UC1': (np.dtype(np.uint8), 1),
    '8UC3': (np.dtype(np.uint8), 3),
    'mono16': (np.dtype(np.uint16), 1),
    '16UC1': (np.dtype(np.uint16), 1),
    '32FC1': (np.dtype(np.float32), 1),
}


#: 8-bit encodings -> (bytes per pixel, trailing shape) for the zero-copy fast path
_FAST_PATH: dict[str, tuple[int, tuple[int, ...]]] = {
    name: (channels, (channels,) if channels > 1 else ())
    for name, (dtype, channels) in ENCODINGS.items() if dtype.itemsize == 1}


class ImageConversionError(ValueError):
    """An image message or array that cannot be converted, with the reason."""


@dataclass(frozen=True)
class MessageFactory:
    """Builds ROS messages by type name, for rclpy or the rosbags typestore.

    ``resolve('sensor_msgs/msg/Image')`` returns the message class and
    ``byte_array(flat_uint8)`` turns a flat uint8 array into what that
    message implementation stores in ``uint8[]`` fields.
    """

    resolve: Callable[[str], type]
    byte_array: Callable[[np.ndarray], Any]

    def new(self, type_name: str, **fields: Any) -> Any:
        return self.resolve(type_name)(**fields)


def image_to_numpy(msg: Any) -> np.ndarray:
    """Return an ``(h, w[, c])`` array viewing ``msg.data`` (no copy).

    Raises :class:`ImageConversionError` for unknown encodings, zero sizes,
    a step too small for the width, or a buffer shorter than ``step * height``.
    """
    fast = _FAST_PATH.get(msg.encoding)
    if fast is not None:  # 8-bit, densely packed rows: one reshape (bench/bench_camera.py)
        row_bytes, shape_tail = fast
        height, width, buf = msg.height, msg.width, msg.data
        if isinstance(buf, (bytes, bytearray, memoryview, array.array)):  # rclpy: array.array
            buf = np.frombuffer(buf, dtype=np.uint8)
        if (height > 0 and width > 0 and msg.step == width * row_bytes
                and isinstance(buf, np.ndarray) and buf.dtype == np.uint8 and buf.ndim == 1
                and buf.size >= height * msg.step):
            return buf[:height * msg.step].reshape((height, width) + shape_tail)
    encoding = str(msg.encoding)
    if encoding not in ENCODINGS:
        raise ImageConversionError(f'unsupported image encoding {encoding!r}; '
                                   f'supported: {", ".join(sorted(ENCODINGS))}')
    dtype, channels = ENCODINGS[encoding]
    height, width, step = int(msg.height), int(msg.width), int(msg.step)
    if height <= 0 or width <= 0:
        raise ImageConversionError(f'image has zero size ({width}x{height})')
    row_bytes = width * channels * dtype.itemsize
    if step < row_bytes:
        raise ImageConversionError(f'step {step} is smaller than one row ({row_bytes} bytes)')
    buf = msg.data
    if not isinstance(buf, np.ndarray):
        buf = np.frombuffer(buf, dtype=np.uint8)
    elif buf.dtype != np.uint8:
        buf = buf.view(np.uint8)
    needed = step * (height - 1) + row_bytes
    if buf.size < needed:
        raise ImageConversionError(
            f'image data is truncated: {buf.size} bytes, need {needed} for {width}x{height}'
            f' {encoding}'
        )
    if dtype.itemsize > 1:
        dtype = dtype.newbyteorder('>' if msg.is_bigendian else '<')
    if channels == 1:
        shape, strides = (height, width), (step, dtype.itemsize)
    else:
        shape, strides = (height, width, channels), (
            step, channels * dtype.itemsize, dtype.itemsize)
    return np.ndarray(shape=shape, dtype=dtype, buffer=buf, strides=strides)


def image_fields(array: np.ndarray, encoding: str = 'bgr8') -> dict[str, Any]:
    """Fields of an Image message for ``array`` (data as a flat uint8 array)."""
    if encoding not in ENCODINGS:
        raise ImageConversionError(f'unsupported image encoding {encoding!r}')
    dtype, channels = ENCODINGS[encoding]
    if array.size == 0 or array.ndim not in (2, 3):
        raise ImageConversionError(f'cannot publish an array of shape {array.shape}')
    got_channels = 1 if array.ndim == 2 else array.shape[2]
    if got_channels != channels or array.dtype != dtype:
        raise ImageConversionError(
            f'array {array.dtype}x{got_channels} does not match encoding {encoding} '
            f'({dtype}x{channels})')
    array = np.ascontiguousarray(array)
    height, width = array.shape[:2]
    return {
        'height': int(height),
        'width': int(width),
        'encoding': encoding,
        'is_bigendian': 0,
        'step': int(width * channels * dtype.itemsize),
        'data': array.reshape(-1).view(np.uint8),
    }


def stamp_fields(stamp_ns: int) -> dict[str, int]:
    """``builtin_interfaces/Time`` fields for a nanosecond timestamp."""
    return {'sec': int(stamp_ns // 1_000_000_000), 'nanosec': int(stamp_ns % 1_000_000_000)}


def stamp_to_ns(stamp: Any) -> int:
    """Nanoseconds of a ``builtin_interfaces/Time``."""
    return int(stamp.sec) * 1_000_000_000 + int(stamp.nanosec)


def make_header(factory: MessageFactory, stamp_ns: int, frame_id: str) -> Any:
    """A ``std_msgs/Header`` built through ``factory``."""
    stamp = factory.new('builtin_interfaces/msg/Time', **stamp_fields(stamp_ns))
    return factory.new('std_msgs/msg/Header', stamp=stamp, frame_id=frame_id)


def numpy_to_image(factory: MessageFactory, array: np.ndarray, encoding: str,
                   stamp_ns: int, frame_id: str) -> Any:
    """A ``sensor_msgs/Image`` holding ``array`` (one copy into the message buffer)."""
    fields = image_fields(array, encoding)
    fields['data'] = factory.byte_array(fields['data'])
    return factory.new('sensor_msgs/msg/Image', header=make_header(factory, stamp_ns, frame_id),
                       **fields)
