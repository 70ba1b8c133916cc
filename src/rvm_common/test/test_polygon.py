"""The one polygon simplifier: budget, corners, tolerance, closed outlines, clear errors."""
import math

import numpy as np
import pytest

from rvm_common.polygon import simplify_indices, simplify_polygon


def square_outline(side=50):
    return (
        [[0, 0]]
        + [[x, 0] for x in range(1, side)]
        + [[side, 0]]
        + [[side, y] for y in range(1, side)]
        + [[side, side]]
        + [[x, side] for x in range(side - 1, 0, -1)]
        + [[0, side]]
        + [[0, y] for y in range(side - 1, 0, -1)]
    )


def circle(n, r=100.0, cx=320.0, cy=240.0):
    t = np.linspace(0, 2 * math.pi, n, endpoint=False)
    return np.stack([cx + r * np.cos(t), cy + r * np.sin(t)], axis=1)


def shoelace(p):
    x, y = np.asarray(p, float).T
    return 0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))


@pytest.mark.parametrize('max_points', [3, 8, 32])
def test_corners_survive_and_straight_runs_go(max_points):
    square = square_outline()
    kept = [square[i] for i in simplify_indices(square, max_points)]
    assert len(kept) <= max_points
    if max_points >= 4:        # a square is its four corners, whatever the budget above that
        assert sorted(map(tuple, kept)) == [(0, 0), (0, 50), (50, 0), (50, 50)]


@pytest.mark.parametrize('seed', range(5))
@pytest.mark.parametrize('max_points', [3, 7, 16, 64])
def test_any_outline_keeps_its_order_and_the_budget(seed, max_points):
    rng = np.random.default_rng(seed)
    noisy = circle(int(rng.integers(70, 900))) + rng.normal(0, 3, (1, 2))
    idx = simplify_indices(noisy, max_points)
    assert 3 <= len(idx) <= max_points
    assert list(idx) == sorted(set(idx.tolist())) and idx[0] == 0 and idx[-1] < len(noisy)


def test_a_dense_circle_keeps_its_area_within_one_percent():
    outline = circle(2000)
    simple = simplify_polygon(outline, 32)
    assert simple.dtype == np.float32 and simple.shape == (32, 2)
    assert abs(shoelace(simple) - shoelace(outline)) / shoelace(outline) < 0.01
    big = simplify_polygon(circle(50_000, r=1000.0), 64)   # huge outlines need no pre-decimation
    assert big.shape == (64, 2)


def test_tolerance_drops_vertices_that_add_nothing():
    outline = circle(400)
    loose = simplify_indices(outline, 200, tolerance=2.0)
    exact = simplify_indices(outline, 200, tolerance=0.0)
    assert 3 <= len(loose) < len(exact) <= 200


def test_small_and_degenerate_polygons():
    square = np.array([[0, 0], [10, 0], [10, 10], [0, 10]], np.float32)
    assert np.array_equal(simplify_polygon(square, 64), square)
    assert simplify_polygon(None) is None and simplify_polygon(square[:2]) is None
    assert len(simplify_indices([[1, 1]] * 40, 8)) == 3                 # all one point
    assert len(simplify_indices([[i, 2 * i] for i in range(40)], 8)) == 3   # a straight line


@pytest.mark.parametrize('points, budget, message', [
    (square_outline(), 2, 'budget of at least 3'),
    ([[0, 0], [1, float('nan')], [2, 2], [3, 3]], 3, 'finite'),
    ([[0, 0, 0]] * 5, 3, r'\(x, y\) pairs'),
])
def test_bad_input_is_a_clear_error(points, budget, message):
    with pytest.raises(ValueError, match=message):
        simplify_indices(points, budget)
    with pytest.raises((ValueError, TypeError)):
        simplify_indices([['a', 'b']] * 5, 3)
