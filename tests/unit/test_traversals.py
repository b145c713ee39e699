"""Traversals on planted data with a fake decoder whose answer is known by construction."""

import numpy as np
import pytest

from zatlas.analysis import traversals as tr
from zatlas.errors import ZatlasError


def fake_decode(z):
    """Grey 4x4 images whose brightness is 0.5 + 0.01 * z[0]: axis 0 changes every pixel by
    exactly 0.01 per unit, every other axis changes nothing."""
    z = np.asarray(z, dtype=np.float64)
    return np.broadcast_to((0.5 + 0.01 * z[:, 0])[:, None, None, None], (len(z), 4, 4, 3)).copy()


def test_step_grid_sets_the_coordinate_along_the_direction_and_keeps_the_rest():
    grid = tr.step_grid(np.array([[1.0, 2.0, 3.0]]), np.array([1.0, 0, 0]), np.array([-1, 0, 1]))
    np.testing.assert_allclose(grid[0], [[-1, 2, 3], [0, 2, 3], [1, 2, 3]])
    u = np.array([1.0, 1.0, 0.0]) / np.sqrt(2)
    grid = tr.step_grid(np.array([[2.0, 0.0, 5.0]]), u * 3, np.array([0.0, 2.0]))
    # the orthogonal part of (2, 0, 5) w.r.t. u is (1, -1, 5); t is the new coordinate on u
    np.testing.assert_allclose(grid[0, 0], [1, -1, 5], atol=1e-6)
    np.testing.assert_allclose(grid[0] @ u, [0.0, 2.0], atol=1e-6)


def test_percentile_range_is_the_first_and_99th_percentile_along_the_direction():
    z = np.zeros((101, 3))
    z[:, 1] = np.arange(101)[::-1]
    assert tr.percentile_range(z, tr.axis_direction(1, 3)) == pytest.approx((1.0, 99.0))
    assert tr.percentile_range(z, -tr.axis_direction(1, 3), 5, 95) == pytest.approx((-95, -5))


def test_principal_directions_find_a_planted_dominant_direction():
    rng = np.random.default_rng(0)
    planted = np.array([1.0, 1.0, 0.0, 0.0]) / np.sqrt(2)
    z = rng.normal(size=(4000, 4)) * 0.1 + rng.normal(size=(4000, 1)) * 3.0 * planted
    dirs = tr.principal_directions(z, 2)
    assert dirs.shape == (2, 4)
    np.testing.assert_allclose(dirs[0], planted, atol=0.01)  # sign fixed: largest loading > 0
    np.testing.assert_allclose(np.linalg.norm(dirs, axis=1), 1.0)
    assert abs(dirs[0] @ dirs[1]) < 1e-9


def test_traverse_ranks_directions_by_the_known_pixel_change_per_unit():
    rng = np.random.default_rng(1)
    z = rng.uniform(-10, 10, size=(500, 3))
    starts = z[:3]
    dirs = {
        "axis 1": ("axis", 1, tr.axis_direction(1, 3)),
        "axis 0": ("axis", 0, tr.axis_direction(0, 3)),
        "PC1": ("pc", 1, np.array([1.0, 1.0, 0.0]) / np.sqrt(2)),
    }
    table, images, steps = tr.traverse(fake_decode, z, starts, dirs, n_steps=5)
    assert table["direction"].tolist() == ["axis 0", "PC1", "axis 1"]
    per_unit = dict(zip(table["direction"], table["pixel_change_per_unit"], strict=True))
    assert per_unit["axis 0"] == pytest.approx(0.01, rel=1e-6)
    assert per_unit["PC1"] == pytest.approx(0.01 / np.sqrt(2), rel=1e-6)
    assert per_unit["axis 1"] == pytest.approx(0.0, abs=1e-12)
    assert images["axis 0"].shape == (3, 5, 4, 4, 3)
    lo, hi = np.percentile(z[:, 0], [1, 99])
    np.testing.assert_allclose(steps["axis 0"], np.linspace(lo, hi, 5))
    row = table.set_index("direction").loc["axis 0"]
    assert row["end_to_end_change"] == pytest.approx(0.01 * (hi - lo), rel=1e-6)
    assert row["n_starts"] == 3 and row["n_steps"] == 5


def test_step_changes_scale_uint8_images_to_unit_range():
    imgs = np.zeros((1, 3, 2, 2, 3), dtype=np.uint8)
    imgs[0, 1] = 51
    imgs[0, 2] = 255
    np.testing.assert_allclose(tr.step_changes(imgs), [[0.2, 0.8]])


def test_bad_axis_and_too_few_steps_fail_clearly():
    with pytest.raises(ZatlasError, match="below z_dim"):
        tr.axis_direction(8, 8)
    with pytest.raises(ZatlasError, match="at least 2 steps"):
        tr.step_values(0.0, 1.0, 1)
