"""Estimators that say when they do not apply (issue 19, item 5): the modes of an axis and of
the radius, a boundary-aware mode, a FWHM read off the density.

Known answers, on seeds other than those the constants were chosen on (0-19 and 100-149):
a bimodal axis N(+-1, 0.5^2) has modes -1 and +1 and no single centre; a half-normal's mode
is 0 and its FWHM (from the boundary to half height) sqrt(2 ln 2) = 1.1774; a Laplace(b)
axis' FWHM is 2 ln 2 b = 1.3863 b; a Gaussian's 2 sqrt(2 ln 2) sd = 2.3548 sd.
"""

import json
import math

import numpy as np
import pandas as pd
import pytest

from zatlas.analysis import axes, modes, radius
from zatlas.analysis.headline import headline_table
from zatlas.analysis.histogram import exact_peak
from zatlas.analysis.scorecard import scorecard
from zatlas.report.summary import findings

GAUSS_FWHM = 2 * math.sqrt(2 * math.log(2))
HALF_NORMAL_HALF_WIDTH = math.sqrt(2 * math.log(2))
LAPLACE_FWHM = 2 * math.log(2)


def columns(n: int, seed: int) -> np.ndarray:
    """bimodal, Gaussian, Laplace, t(5), half-normal, exponential: one axis each."""
    rng = np.random.default_rng(seed)
    return np.stack(
        [
            rng.normal(0, 0.5, n) + rng.choice([-1.0, 1.0], n),
            rng.standard_normal(n),
            rng.laplace(0, 1, n),
            rng.standard_t(5, n),
            np.abs(rng.standard_normal(n)),
            rng.exponential(1.0, n),
        ],
        axis=1,
    ).astype(np.float32)


@pytest.mark.parametrize("n, seed", [(3000, 2001), (20_000, 2002)])
def test_a_bimodal_axis_has_two_modes_and_no_single_centre_or_width(n, seed):
    table, _, _ = axes.axis_table(columns(n, seed), 0.25)
    bimodal = table.loc[0]
    assert bimodal["n_modes"] == 2
    low, high = (float(v) for v in bimodal["modes"].split())
    tol = 0.15 if n == 3000 else 0.08  # about 4 sd of the modes' scatter over 50 seeds
    assert low == pytest.approx(-1, abs=tol) and high == pytest.approx(1, abs=tol)
    for key in ("center", "mode", "fwhm", "half_width", "center_binned", "fwhm_binned"):
        assert math.isnan(bimodal[key]), key
    assert "2 modes" in bimodal["note"]
    # every unimodal axis: one mode, and the single-peak numbers
    single = table.loc[1:]
    assert (single["n_modes"] == 1).all() and single["fwhm"].notna().all()
    assert (single["note"] == "").all()


def test_a_bimodal_axis_is_dominant_and_labelled_by_its_modes():
    table, _, _ = axes.axis_table(columns(20_000, 2003), 0.25)
    dom = axes.dominant_axes(table, center_threshold=1.0, width_factor=2.0)
    row = dom[dom["axis"] == 0].iloc[0]
    assert row["multimodal"] and not row["off_center"] and not row["broad"]
    assert axes.axis_label(row).startswith("2 modes: -1.0") or "2 modes: -0.9" in (
        axes.axis_label(row)
    )
    assert axes.axis_label(table.loc[1]).startswith("centre ")
    assert 0 in axes.top_axes(table, 6)


@pytest.mark.parametrize("seed", [2004, 2005])
def test_a_half_normal_mode_sits_on_its_boundary(seed):
    # the old estimator put it at 0.52: a KDE leaks past 0 and its maximum moves inside
    x = np.abs(np.random.default_rng(seed).standard_normal(202_599))
    peak = exact_peak(x)
    assert peak["boundary"] == "lower" and peak["n_modes"] == 1
    assert peak["mode"] == pytest.approx(0, abs=0.01)
    assert peak["center"] == peak["mode"]  # a peak on a boundary: the centre is the mode
    assert peak["fwhm"] == pytest.approx(HALF_NORMAL_HALF_WIDTH, rel=0.05)
    # and through the axes' streaming path at 20,000 points
    table, _, _ = axes.axis_table(columns(20_000, seed), 0.25)
    assert table.loc[4, "boundary"] == "lower" and abs(table.loc[4, "mode"]) < 0.15
    assert table.loc[5, "boundary"] == "lower" and abs(table.loc[5, "mode"]) < 0.05
    assert table.loc[1:3, "boundary"].eq("").all()  # smooth tails are no boundary


@pytest.mark.parametrize("seed", [2006, 2007])
def test_fwhm_is_read_off_the_density_whatever_its_shape(seed):
    # Laplace(b = 1): 2 ln 2 = 1.386 (the old Gaussian-corrected KDE width gave 1.81)
    rng = np.random.default_rng(seed)
    laplace = exact_peak(rng.laplace(0, 1, 202_599))
    assert laplace["fwhm"] == pytest.approx(LAPLACE_FWHM, rel=0.04)
    assert laplace["mode"] == pytest.approx(0, abs=0.02)
    gauss = exact_peak(rng.normal(3, 2, 202_599))
    assert gauss["fwhm"] == pytest.approx(GAUSS_FWHM * 2, rel=0.03)
    assert gauss["center"] == pytest.approx(3, abs=0.03)
    # exponential: from the boundary to half height, ln 2
    expo = exact_peak(rng.exponential(1.0, 202_599))
    assert expo["fwhm"] == pytest.approx(math.log(2), rel=0.05) and expo["boundary"] == "lower"


@pytest.mark.parametrize("n, seeds", [(3000, range(3000, 3030)), (202_599, range(3100, 3104))])
def test_unimodal_axes_are_never_called_multimodal(n, seeds):
    # the measured rate is 0 of 500 seeds at 3,000 and 20,000 points and 0 of 100 at
    # 202,599 for each shape (README): here a quick re-check on fresh seeds
    for seed in seeds:
        table, _, _ = axes.axis_table(columns(n, seed)[:, 1:], 0.25)
        assert (table["n_modes"] == 1).all(), (seed, table["n_modes"].tolist())


def test_a_shallow_second_mode_needs_the_points_to_show():
    # N(+-0.6, 0.5^2) halves: a dip of 9% between the modes, found at 202,599 points and
    # left as noise at 3,000 (where a 27% dip is found about half the time)
    rng = np.random.default_rng(2010)
    x = rng.normal(0, 0.5, 202_599) + rng.choice([-0.6, 0.6], 202_599)
    big = exact_peak(x)
    assert big["n_modes"] == 2 and big["modes"] == pytest.approx([-0.6, 0.6], abs=0.15)
    assert exact_peak(x[:3000])["n_modes"] == 1


def test_a_few_points_far_out_are_no_mode_but_a_real_cluster_is():
    # 0.1% of the points bunched 7 sd out pass the prominence test but carry too little
    # mass to make the centre and width of the main peak meaningless; 5% there do
    rng = np.random.default_rng(2013)
    x = rng.standard_normal(202_599)
    few, many = x.copy(), x.copy()
    few[:200] = rng.normal(7, 0.05, 200)
    many[:10_000] = rng.normal(7, 0.05, 10_000)
    lone = exact_peak(few)
    assert lone["n_modes"] == 1 and lone["fwhm"] == pytest.approx(GAUSS_FWHM, rel=0.03)
    cluster = exact_peak(many)
    assert cluster["n_modes"] == 2 and cluster["modes"] == pytest.approx([0, 7], abs=0.05)


def test_radius_with_two_shells_reports_its_modes_and_no_peak():
    # half the points at radius about 8, half at about 24 (256 dimensions)
    rng = np.random.default_rng(2011)
    z = rng.standard_normal((8000, 256)) * np.repeat([0.5, 1.5], 4000)[:, None]
    s = radius.radius_summary(radius.radii(z), 256, 0.5, [[0, 40]], [0.5])
    assert s["n_modes"] == 2 and s["peak"] is None and s["fwhm"] is None
    assert s["modes"] == pytest.approx([0.5 * math.sqrt(255), 1.5 * math.sqrt(255)], abs=0.3)
    assert "no single" in s["peak_note"]
    json.dumps(s, allow_nan=False)  # strict JSON: null, never NaN


def test_stages_report_and_scorecard_say_when_no_single_peak_applies(tmp_path):
    from zatlas.stages import axes as axes_stage
    from zatlas.stages import radius as radius_stage

    rng = np.random.default_rng(2012)
    z = rng.standard_normal((6000, 16)) * np.repeat([0.5, 1.5], 3000)[:, None]  # two shells
    z[:, 7] = rng.normal(0, 0.5, 6000) + rng.choice([-2.0, 2.0], 6000)  # a bimodal axis
    z = z.astype(np.float32)
    np.save(tmp_path / "z.npy", z)
    out = tmp_path / "results/r/analysis/ae"
    (out / "axes").mkdir(parents=True)
    (out / "radius").mkdir(parents=True)
    a = {k: out / "axes" / k for k in ("table.csv", "density.csv", "dominant.csv")}
    axes_stage.run(
        tmp_path / "z.npy",
        a["table.csv"],
        a["density.csv"],
        a["dominant.csv"],
        out / "axes/summary.json",
        out / "axes/all_axes.png",
        out / "axes/dominant_axes.png",
        "ae",
        0.25,
        1.0,
        2.0,
        12,
        "relative",
    )
    radius_stage.run(
        tmp_path / "z.npy",
        out / "radius/density.csv",
        out / "radius/summary.json",
        out / "radius/radius.png",
        "ae",
        [0.5],
        [[0, 10]],
    )
    table = pd.read_csv(a["table.csv"])
    assert table.loc[7, "n_modes"] == 2 and math.isnan(table.loc[7, "center"])
    assert json.loads((out / "axes/summary.json").read_text())["n_multimodal"] >= 1
    assert (out / "axes/dominant_axes.png").stat().st_size > 0
    assert (out / "radius/radius.png").stat().st_size > 0
    # what the compare stage hands the headline table from these files
    parts = {
        "dominant": pd.read_csv(out / "axes/dominant.csv"),
        "axes": json.loads((out / "axes/summary.json").read_text()),
        "radius": json.loads((out / "radius/summary.json").read_text()),
    }
    config = {"models": {"ae": {"type": "ae"}}, "architecture": {"z_dim": 16}}
    headline = headline_table(config["models"], 16, {"ae": parts})
    row = headline.iloc[0]
    assert "7 (2 modes: " in row["dominant_axes"]
    assert pd.isna(row["radius_peak"]) and len(row["radius_modes"].split()) == 2
    assert row["n_multimodal_axes"] >= 1
    text = findings(headline)[0]
    assert "several modes" in text and "no single peak" in text
    assert "7" in text.split("dominant ax")[1]
    card = scorecard({"ae": row.to_dict()}, {**config, "data": {"dataset": "synthetic"}})
    radius_row = card["table"].set_index("quantity").loc["radius peak"]
    assert math.isnan(radius_row["ours"]) and "no single" in radius_row["note"]


def test_kde_reflection_keeps_the_mass_inside_the_boundary():
    counts = np.zeros(200)
    counts[:20] = 100.0  # a block against the left edge of the grid
    width = 0.01
    plain = modes.kde(counts, width, 0.05)
    reflected = modes.kde(counts, width, 0.05, reflect=(True, False))
    # without: a Gaussian of sd h leaks h / sqrt(2 pi) of a block 0.2 wide past its edge
    assert plain.sum() * width == pytest.approx(1 - 0.05 / math.sqrt(2 * math.pi) / 0.2, abs=0.005)
    assert reflected.sum() * width == pytest.approx(1.0, abs=1e-9)
    assert reflected[0] == pytest.approx(1 / (20 * width), rel=0.02)


def test_an_axis_without_spread_has_its_value_as_mode_and_width_zero():
    z = np.random.default_rng(2014).standard_normal((1000, 2)).astype(np.float32)
    z[:, 1] = 2.0
    row = axes.axis_table(z, 0.25)[0].loc[1]
    assert row["n_modes"] == 1 and row["mode"] == row["center"] == 2.0 and row["fwhm"] == 0
    assert exact_peak(np.full(50, 3.5))["mode"] == 3.5
