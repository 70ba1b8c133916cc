import numpy as np
import pytest

from rvm_common.image_conv import ImageConversionError, numpy_to_image
from rvm_common.typestore import rosbags_factory
from rvm_detector.frame_input import image_msg_to_bgr


def _msg(array, encoding):
    return numpy_to_image(rosbags_factory(), array, encoding, 1_500_000_000_000_000_007, 'cam')


def test_bgr_rgb_and_mono_become_bgr():
    bgr = np.zeros((4, 6, 3), np.uint8)
    bgr[..., 0] = 200  # blue
    frame, stamp, frame_id = image_msg_to_bgr(_msg(bgr, 'bgr8'))
    assert np.array_equal(frame, bgr) and stamp == 1_500_000_000_000_000_007 and frame_id == 'cam'
    frame, _, _ = image_msg_to_bgr(_msg(bgr[..., ::-1].copy(), 'rgb8'))
    assert np.array_equal(frame, bgr)
    frame, _, _ = image_msg_to_bgr(_msg(np.full((4, 6), 9, np.uint8), 'mono8'))
    assert frame.shape == (4, 6, 3) and (frame == 9).all()


def test_bad_images_are_clear_errors():
    with pytest.raises(ImageConversionError, match='8-bit colour or mono'):
        image_msg_to_bgr(_msg(np.zeros((4, 6), np.uint16), 'mono16'))
    truncated = _msg(np.zeros((4, 6, 3), np.uint8), 'bgr8')
    truncated.data = truncated.data[:10]
    with pytest.raises(ImageConversionError, match='truncated'):
        image_msg_to_bgr(truncated)
    zero = _msg(np.zeros((4, 6, 3), np.uint8), 'bgr8')
    zero.height = 0
    with pytest.raises(ImageConversionError, match='zero size'):
        image_msg_to_bgr(zero)
    odd = _msg(np.zeros((4, 6, 3), np.uint8), 'bgr8')
    odd.encoding = 'yuv422'
    with pytest.raises(ImageConversionError, match='yuv422'):
        image_msg_to_bgr(odd)
