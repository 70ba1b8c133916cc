"""The mask maker: GrabCut from a box and plain-background masks on generated photos."""

import numpy as np
import pytest

from real_fixtures import draw_photo
from rvm_training.box_masks import (
    box_mask, grabcut_mask, make_mask, mask_iou, mask_to_polygon, plain_background_mask)


def _box(mask, pad=3):
    ys, xs = np.nonzero(mask)
    return xs.min() - pad, ys.min() - pad, xs.max() + pad, ys.max() + pad


@pytest.mark.parametrize('seed', range(4))
def test_grabcut_from_a_box_recovers_the_item(seed):
    image, [(_, truth)] = draw_photo(np.random.default_rng(seed), n_items=1)
    mask = grabcut_mask(image, _box(truth))
    assert mask_iou(mask, truth) > 0.85
    # the box alone is a much worse mask for an ellipse: the maker adds something
    assert mask_iou(mask, truth) > mask_iou(box_mask(image.shape, _box(truth)), truth) + 0.1


@pytest.mark.parametrize('seed', range(4))
def test_plain_background_mask_finds_a_single_item(seed):
    image, [(_, truth)] = draw_photo(np.random.default_rng(100 + seed), n_items=1)
    assert mask_iou(plain_background_mask(image), truth) > 0.85
    mask, method = make_mask(image)
    assert method == 'threshold' and mask_iou(mask, truth) > 0.85


def test_a_failed_mask_falls_back_to_the_box():
    image = np.full((120, 160, 3), 128, np.uint8)  # nothing to find in the box
    mask, method = make_mask(image, (40, 30, 100, 90))
    assert method == 'box'
    assert mask.sum() == box_mask(image.shape, (40, 30, 100, 90)).sum()


def test_unknown_method_is_an_error():
    with pytest.raises(ValueError, match='unknown mask method'):
        make_mask(np.zeros((10, 10, 3), np.uint8), (1, 1, 5, 5), 'magic')


def test_iou_and_polygon_helpers():
    a = np.zeros((20, 20), bool)
    a[5:15, 5:15] = True
    b = np.zeros((20, 20), bool)
    b[10:20, 5:15] = True
    assert mask_iou(a, a) == 1.0
    assert mask_iou(a, b) == pytest.approx(50 / 150)
    assert mask_iou(np.zeros_like(a), np.zeros_like(a)) == 1.0
    polygon = mask_to_polygon(a)
    assert polygon.shape[1] == 2 and len(polygon) >= 4
    assert mask_to_polygon(np.zeros_like(a)) is None
