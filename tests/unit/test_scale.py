"""Zoom windows and dominant-axis thresholds in the data's own scale (issue 16, item 5)."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from zatlas.analysis import axes, pca, scale
from zatlas.errors import ZatlasError

SIGMA = 30.0  # latents spanning about +-100, as in the full-size rehearsal
PLANTED = [3, 17, 40, 41, 77, 100, 128, 150, 199, 200, 230, 255]


@pytest.fixture(scope="module")
def wide_latents():
    """40,000 x 256 latents with spread 30 per axis; 12 axes centred 2.5 spreads off 0, and
    every axis a little off centre (0.1 spread, a few units), as trained latents are."""
    rng = np.random.default_rng(16)
    z = rng.normal(0.0, SIGMA, (40_000, 256)).astype(np.float32)
    z += rng.normal(0.0, 0.1 * SIGMA, 256).astype(np.float32)
    signs = np.where(np.arange(len(PLANTED)) % 2, -1.0, 1.0)
    z[:, PLANTED] += (2.5 * SIGMA * signs).astype(np.float32)
    return z


def test_dominant_axes_relative_to_the_spread_find_the_planted_axes(wide_latents):
    table, _, _ = axes.axis_table(wide_latents, 0.25)
    # the default rule: |centre| > 1 median spread (30 here), the blog's 1 on its own scale
    dom = axes.dominant_axes(table, center_threshold=1.0, width_factor=2.0)
    assert sorted(dom["axis"]) == PLANTED
    assert dom["off_center"].all() and not dom["broad"].any()
    # the blog's absolute rule still selectable: on this scale it flags most axes, as in
    # the rehearsal (115 and 123 of 256)
    literal = axes.dominant_axes(table, 1.0, 2.0, scale="absolute")
    assert len(literal) > 128


def test_relative_threshold_on_a_table_counts_only_far_centres():
    # centres scattered by 0.2 spreads (a noisy mode estimate) around 0, 12 at 2.5 spreads
    rng = np.random.default_rng(3)
    centre = rng.normal(0, 0.2 * SIGMA, 256)
    centre[PLANTED] = 2.5 * SIGMA
    std = rng.uniform(0.9, 1.1, 256) * SIGMA
    table = pd.DataFrame(
        {"axis": np.arange(256), "center": centre, "std": std, "fwhm": 2.3548 * std}
    )
    assert sorted(axes.dominant_axes(table, 1.0, 2.0)["axis"]) == PLANTED
    # 2 spreads is still below 2.5: same axes; 3 spreads is above every centre: none
    assert sorted(axes.dominant_axes(table, 2.0, 2.0)["axis"]) == PLANTED
    assert axes.dominant_axes(table, 3.0, 2.0).empty


def test_zoom_windows_relative_to_the_spread_are_not_empty(wide_latents):
    z = wide_latents
    table, _, _ = axes.axis_table(z, 0.25)
    unit = scale.factor("relative", table["std"])
    assert unit == pytest.approx(SIGMA, rel=0.01)
    _, scores = pca.fit_pca(z, 2)
    zooms = [None, 5, 1, 0.5]
    planes = {"PC1/PC2": scores, "axis 0/axis 1": z[:, [0, 1]]}
    counts = pca.zoom_counts(planes, zooms, unit).set_index(["plane", "zoom"])
    # two independent N(0, sigma) axes: a square of side s * sigma holds erf(s / 2 sqrt 2)^2
    for zoom in (5, 1, 0.5):
        expected = math.erf(zoom / (2 * math.sqrt(2))) ** 2
        row = counts.loc[("axis 0/axis 1", zoom)]
        assert row["fraction"] == pytest.approx(expected, abs=0.01)
        assert row["side"] == pytest.approx(zoom * unit)
    # every PC-plane window holds thousands of points (zoom 0.5: about 3%)
    assert (counts.loc["PC1/PC2"]["n_inside"] > 1000).all()
    # the blog's absolute side 1 holds (1 / (30 sqrt(2 pi)))^2 = 0.035% of them
    literal = pca.zoom_counts(planes, zooms).set_index(["plane", "zoom"])
    assert literal.loc[("axis 0/axis 1", 1), "fraction"] < 1e-3


def test_relative_mode_reproduces_the_blog_on_its_own_scale():
    z = np.random.default_rng(0).standard_normal((5000, 64))
    stds = z.std(axis=0)
    np.testing.assert_allclose(scale.axis_stds(z, block=999), stds, rtol=1e-9)
    sides = scale.lengths([None, 5, 1, 0.5], "relative", stds)
    assert sides[0] is None and sides[1:] == pytest.approx([5, 1, 0.5], rel=0.03)
    assert scale.lengths([None, 5], "absolute", stds * 100) == [None, 5.0]
    info = scale.describe("relative", stds * 30)
    assert info["scale"] == "relative" and info["unit"] == pytest.approx(30, rel=0.03)
    assert scale.describe("absolute", stds * 30)["unit"] == 1.0


def test_undefined_spread_or_mode_says_what_to_do():
    with pytest.raises(ZatlasError, match="analysis.scale: absolute"):
        scale.factor("relative", np.zeros(8))
    with pytest.raises(ZatlasError, match="relative, absolute"):
        scale.factor("blog", np.ones(8))


def test_axes_and_pca_stages_write_the_mode_and_the_windows(wide_latents, tmp_path):
    import json

    from zatlas.stages import axes as axes_stage
    from zatlas.stages import pca as pca_stage

    z = tmp_path / "z.npy"
    np.save(z, wide_latents[:5000])
    out = {k: tmp_path / f"axes_{k}" for k in ("table", "density", "dominant", "summary")}
    axes_stage.run(
        z=str(z),
        table=str(out["table"]) + ".csv",
        density=str(out["density"]) + ".csv",
        dominant=str(out["dominant"]) + ".csv",
        summary=str(out["summary"]) + ".json",
        figure_all=str(tmp_path / "all.png"),
        figure_dominant=str(tmp_path / "dom.png"),
        model="ae",
        bin_width=0.25,
        center_threshold=1.0,
        width_factor=2.0,
        max_plotted=2,
        scale="relative",
    )
    s = json.loads(Path(str(out["summary"]) + ".json").read_text())
    assert s["scale"] == "relative" and s["unit"] == pytest.approx(SIGMA, rel=0.02)
    assert s["center_limit"] == pytest.approx(s["unit"]) and s["n_dominant"] == 12
    assert s["bin_width_used"] == pytest.approx(0.25 * s["unit"])
    pca_stage.run(
        z=str(z),
        axes_table=str(out["table"]) + ".csv",
        variance=str(tmp_path / "variance.csv"),
        variance_figure=str(tmp_path / "variance.png"),
        zoom_table=str(tmp_path / "zoom.csv"),
        summary=str(tmp_path / "pca.json"),
        planes_figure=str(tmp_path / "pc.png"),
        axis_planes_figure=str(tmp_path / "ax.png"),
        model="ae",
        planes=[[1, 2]],
        zooms=[None, 1],
        max_points=1000,
        seed=0,
        axis_planes=None,
        scale="absolute",
    )
    p = json.loads((tmp_path / "pca.json").read_text())
    assert p["scale"] == "absolute" and p["sides"] == [None, 1.0]
    assert p["median_axis_std"] == pytest.approx(SIGMA, rel=0.02)
    zoom = pd.read_csv(tmp_path / "zoom.csv")
    assert zoom.loc[zoom["zoom"] == "1", "side"].tolist() == [1.0, 1.0]
