"""The rclpy-side MessageFactory pieces that can run without ROS."""
import array

import numpy as np
import pytest

from rvm_common.ros_messages import rclpy_byte_array, resolve_ros_type


def test_byte_array_is_an_array_of_unsigned_bytes_with_the_pixels():
    frame = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    out = rclpy_byte_array(frame.reshape(-1))
    assert isinstance(out, array.array) and out.typecode == 'B'
    assert bytes(out) == frame.tobytes()
    strided = frame[:, ::2]          # not contiguous: still copied correctly
    assert bytes(rclpy_byte_array(strided.reshape(-1))) == strided.tobytes()


def test_resolve_uses_the_generated_python_module(monkeypatch, tmp_path):
    pkg = tmp_path / 'fake_msgs'
    (pkg / 'msg').mkdir(parents=True)
    (pkg / '__init__.py').write_text('')
    (pkg / 'msg' / '__init__.py').write_text('class Thing:\n    pass\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    assert resolve_ros_type('fake_msgs/msg/Thing').__name__ == 'Thing'
    with pytest.raises(ValueError, match='pkg/msg/Type'):
        resolve_ros_type('Thing')
    with pytest.raises(ImportError):
        resolve_ros_type('no_such_msgs/msg/Thing')
