"""A :class:`MessageFactory` for the ROS 2 Python message classes (used by every adapter).

Resolves ``'pkg/msg/Type'`` with importlib (the generated ``pkg.msg`` modules), so this
module imports no ROS package itself and stays importable where ROS is absent.
"""
from __future__ import annotations

import array
import importlib
from functools import lru_cache

import numpy as np

from rvm_common.image_conv import MessageFactory


def rclpy_byte_array(flat: np.ndarray) -> array.array:
    """``uint8[]`` value for rclpy messages: one copy into ``array.array('B')``.

    rclpy stores uint8 sequences as ``array.array``; handing it one directly skips
    rclpy's per-element type check of lists/bytes (tens of ms for a 640x480 frame).
    """
    buf = array.array('B')
    buf.frombytes(memoryview(np.ascontiguousarray(flat, dtype=np.uint8)).cast('B'))
    return buf


@lru_cache(maxsize=None)
def resolve_ros_type(type_name: str) -> type:
    """``'sensor_msgs/msg/Image'`` -> ``sensor_msgs.msg.Image`` (ImportError names the package)."""
    try:
        package, kind, name = type_name.split('/')
    except ValueError:
        raise ValueError(f'message type must look like pkg/msg/Type, got {type_name!r}') from None
    module = importlib.import_module(f'{package}.{kind}')
    return getattr(module, name)


def ros_message_factory() -> MessageFactory:
    """The factory the rclpy adapters build their messages with."""
    return MessageFactory(resolve=resolve_ros_type, byte_array=rclpy_byte_array)
