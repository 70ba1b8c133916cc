import cv2
import numpy as np

from rvm_common.polygon import simplify_polygon
from rvm_detector.polygon import fill_polygon, mask_to_polygon, polygon_area


def _circle_mask(h=240, w=320, r=80):
    mask = np.zeros((h, w), np.uint8)
    cv2.circle(mask, (w // 2, h // 2), r, 1, -1)
    return mask.astype(bool)


def test_mask_outline_is_simplified_to_the_point_budget():
    mask = _circle_mask()
    outline = mask_to_polygon(mask)
    assert len(outline) > 64
    simple = simplify_polygon(outline, 64)
    assert 3 <= len(simple) <= 64
    # the simplified outline still covers the object (area within 3 %)
    assert abs(polygon_area(simple) - mask.sum()) / mask.sum() < 0.03


def test_small_polygons_are_kept_and_budget_respected_for_any_size():
    square = np.array([[0, 0], [10, 0], [10, 10], [0, 10]], np.float32)
    assert np.array_equal(simplify_polygon(square, 64), square)
    jagged = np.array([[i, (i % 2) * 5] for i in range(400)] + [[399, 50], [0, 50]], np.float32)
    assert len(simplify_polygon(jagged, 8)) <= 8


def test_empty_mask_and_degenerate_polygons():
    assert mask_to_polygon(np.zeros((10, 10), bool)) is None
    assert simplify_polygon(None) is None
    assert polygon_area(np.zeros((2, 2), np.float32)) == 0.0


def test_fill_polygon_rasterises_with_value():
    mask = np.zeros((20, 20), np.uint8)
    fill_polygon(mask, np.array([[2, 2], [10, 2], [10, 10], [2, 10]], np.float32), 3)
    assert mask[5, 5] == 3 and mask[15, 15] == 0
