"""Known answers for the structure verdicts: a hierarchy of nulls, clumping at small scale,
holes measured by what they are, robustness to far outliers."""

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from zatlas.analysis import clumping, holes, nulls
from zatlas.analysis import verdicts as vd


def t_cloud(n: int, dim: int, dof: int, seed: int) -> np.ndarray:
    """Multivariate t: elliptical, heavy-tailed radii, one mode, no filaments or clusters."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, dim)) / np.sqrt(rng.chisquare(dof, (n, 1)) / dof)


def clustered_cloud(n: int, dim: int, seed: int, size: int | None = None, sd=0.3) -> np.ndarray:
    """Clusters (sd `sd`, centres N(0, 3^2)) in 4 coordinates, N(0, 1) elsewhere: 10
    clusters, or clusters of `size` points each."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim))
    if size is None:
        centres = rng.normal(0, 3, (10, 4))[rng.integers(0, 10, n)]
    else:
        centres = np.repeat(rng.normal(0, 3, (-(-n // size), 4)), size, axis=0)[:n]
    x[:, :4] = centres + rng.normal(0, sd, (n, 4))
    return x


def curve_in(dim: int, n: int, seed: int) -> np.ndarray:
    """Points at random positions along a smooth closed 1-D curve in `dim` dimensions."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, 2 * np.pi, n)
    k = np.arange(1, 6)
    waves = np.concatenate([np.sin(np.outer(t, k)), np.cos(np.outer(t, k))], axis=1)
    return waves @ rng.standard_normal((10, dim))


def holed_plane(n: int, seed: int, centre=1.5, radius=0.5) -> np.ndarray:
    """N(0, I) in 2-D without the disk of `radius` around (centre, 0)."""
    rng = np.random.default_rng(seed)
    out = np.empty((0, 2))
    while len(out) < n:
        p = rng.standard_normal((2 * n, 2))
        out = np.concatenate([out, p[np.hypot(p[:, 0] - centre, p[:, 1]) > radius]])
    return out[:n]


def judged(x, planes=((1, 2),), zooms=(None,), seed=0):
    table, _, _ = vd.judge_latents(x, vd.VerdictSettings(), planes, zooms, "relative", 20000, seed)
    return table, vd.summary(table)


def fired(table, statistic) -> pd.Series:
    return table.loc[table["statistic"] == statistic, "fired"].astype(bool)


# -- the nulls ------------------------------------------------------------------------------


def test_elliptical_null_radii_follow_the_datas_law_like_an_independent_draw():
    shape = np.array([[4.0, 1.0, 0, 0], [1.0, 2.0, 0, 0], [0, 0, 1.0, 0], [0, 0, 0, 0.5]])
    root = np.linalg.cholesky(shape)
    x = t_cloud(6000, 4, 6, seed=40) @ root.T + 3
    fresh = t_cloud(6000, 4, 6, seed=41) @ root.T + 3  # the same law, drawn anew
    y = nulls.elliptical_null(x, np.random.default_rng(0))
    inverse = np.linalg.inv(root)

    def frame(p):  # the true whitened frame, not the null's own estimate
        return (p - 3) @ inverse.T

    radii = {k: np.linalg.norm(frame(v), axis=1) for k, v in {"y": y, "fresh": fresh}.items()}
    assert stats.ks_2samp(radii["y"], radii["fresh"]).pvalue > 0.01
    # directions uniform: any fixed direction sees the law of the fresh draw
    for u in (np.eye(4)[0], np.full(4, 0.5)):
        assert stats.ks_2samp(frame(y) @ u, frame(fresh) @ u).pvalue > 0.01
    # the check has power: Gaussian radii of the same covariance (t(6): 1.5 x shape) differ
    gauss = np.random.default_rng(42).standard_normal((6000, 4)) @ root.T * np.sqrt(1.5)
    assert stats.ks_2samp(np.linalg.norm(gauss @ inverse.T, axis=1), radii["fresh"]).pvalue < 1e-6
    # clusters are gone: far fewer close pairs in the cluster coordinates
    c = clustered_cloud(4000, 8, seed=20)
    e = nulls.elliptical_null(c, np.random.default_rng(1))
    first = [clumping.rank_distances(p[:, :4], np.arange(500), [1])[:, 0] for p in (c, e)]
    assert np.median(first[1]) > 3 * np.median(first[0])


def test_smoothed_null_keeps_the_spread_and_blurs_below_the_bandwidth():
    rng = np.random.default_rng(43)
    y = rng.standard_normal((200_000, 3)) * [1.0, 2.0, 0.5]
    null = clumping.smoothed_null(y.astype(np.float32), 0.3, rng)
    # variance kept only where the whitened variance is 1: (v + h^2) / (1 + h^2)
    np.testing.assert_allclose(null.var(axis=0), (np.array([1, 4, 0.25]) + 0.09) / 1.09, rtol=0.02)
    pts = np.zeros((1000, 3), np.float32)  # one point repeated: the kernel itself
    blurred = clumping.smoothed_null(pts, 0.3, rng)
    np.testing.assert_allclose(blurred.std(axis=0), 0.3 / np.sqrt(1.09), rtol=0.08)


def test_tyler_shape_of_heavy_tails_is_the_true_shape():
    shape = np.array([[4.0, 1.0, 0.0], [1.0, 2.0, 0.0], [0.0, 0.0, 0.5]])
    y = t_cloud(20_000, 3, 3, seed=22) @ np.linalg.cholesky(shape).T  # t(3): no 4th moment
    est = nulls.tyler_shape(y)
    np.testing.assert_allclose(est / np.trace(est) * np.trace(shape), shape, atol=0.12)


# -- the hierarchy --------------------------------------------------------------------------


def test_gaussian_cloud_passes_every_verdict():
    table, s = judged(np.random.default_rng(23).standard_normal((3000, 64)))
    tests = table[table["statistic"] != "overall"]
    assert not tests["fired"].astype(bool).any()
    assert (tests["n_tests"] == 3 + 7 + 1).all()
    assert set(tests["statistic"]) == {
        "radii_not_gaussian", "not_gaussian_nn", "not_elliptical", "clumping", "holes",
    }  # fmt: skip
    assert s["verdict"].startswith("not clumped at small scale") and s["clumping_rank"] is None


def test_heavy_tails_are_not_gaussian_but_elliptical_and_not_clumped():
    table, s = judged(t_cloud(3000, 64, 5, seed=24))
    assert fired(table, "radii_not_gaussian").all()
    assert not fired(table, "not_elliptical").any() and not fired(table, "clumping").any()
    assert s["shape_finding"].startswith("not Gaussian, but elliptical")


@pytest.mark.parametrize("kind", ["box", "crossed"])
def test_shapes_without_clumps_are_a_shape_finding_not_filaments(kind):
    # the false filaments: a uniform box and crossed broad Gaussians
    rng = np.random.default_rng(44)
    x = rng.standard_normal((5000, 32))
    if kind == "box":
        x[:, :5] = rng.uniform(-3, 3, (5000, 5))
    else:
        sd = np.where((rng.random(5000) < 0.5)[:, None], [3, 3, 1, 1], [1, 1, 3, 3])
        x[:, :4] = rng.standard_normal((5000, 4)) * sd
    table, s = judged(x)
    assert not fired(table, "clumping").any()
    clump = table[table["statistic"] == "clumping"]
    assert clump["effect_size"].between(0.93, 1.05).all()
    if kind == "crossed":  # the box's 5 flat sides in 32 dimensions show only at times
        assert s["shape_finding"] == vd.LABELS["not_elliptical"][0]
    assert s["verdict"].startswith("not clumped") and vd.CLUMPED not in s["verdict"]


def test_clusters_of_ten_points_are_clumped_below_the_tenth_neighbour():
    x = clustered_cloud(20_000, 32, seed=45, size=10, sd=0.05)
    table, s = judged(x)
    clump = table[table["statistic"] == "clumping"].set_index("rank")
    assert clump.loc[[1, 2], "fired"].all() and clump.loc[1, "effect_size"] < 0.6
    assert not clump.loc[[16, 32, 64], "fired"].any()  # beyond the clusters' size
    assert s["clumping_rank"] == 1 and s["verdict"].startswith(vd.CLUMPED)
    assert s["clumping_distance"] == pytest.approx(clump.loc[1, "data_value"])
    # the report's summary shows the rank that sets the scale, once per model
    from zatlas.report.summary import headline_verdicts

    both = pd.concat([table.assign(model="a"), table.assign(model="b")], ignore_index=True)
    shown = headline_verdicts(both)
    rows = shown[shown["statistic"] == "clumping"]
    assert rows["model"].tolist() == ["a", "b"] and (rows["rank"] == 1).all()


def test_tight_clusters_and_a_curve_in_256_dimensions_are_clumped():
    for x in (clustered_cloud(3000, 64, seed=25), curve_in(256, 3000, seed=6)):
        table, s = judged(x)
        assert fired(table, "clumping").all() and s["clumping_rank"] == 1
        assert s["clumping_min_ratio"] < 0.7


def test_far_outliers_change_neither_the_axes_nor_the_clumping_nor_the_window():
    x = clustered_cloud(5000, 64, seed=46)
    noisy = x.copy()
    rows = np.random.default_rng(47).choice(5000, 10, replace=False)  # 0.2%
    noisy[rows] *= 30
    a, b = clumping.RobustAxes(x), clumping.RobustAxes(noisy)
    assert b.n_trimmed >= 10
    # the top-4 subspaces agree (cosines of the principal angles near 1)
    cosines = np.linalg.svd(a.vectors[:, :4].T @ b.vectors[:, :4], compute_uv=False)
    assert cosines.min() > 0.99
    ratio = {k: judged(v)[1]["clumping_min_ratio"] for k, v in {"x": x, "n": noisy}.items()}
    assert ratio["n"] == pytest.approx(ratio["x"], abs=0.03)
    plane = {
        k: v.scores(z, 2) for (k, v), z in zip({"x": a, "n": b}.items(), (x, noisy), strict=True)
    }
    assert holes.full_half(plane["n"], 0.99) == pytest.approx(
        holes.full_half(plane["x"], 0.99), rel=0.05
    )


# -- holes ----------------------------------------------------------------------------------


def test_a_hole_scores_no_less_at_200000_points_than_at_5000():
    found = {}
    for n in (5000, 200_000):
        t = holes.hole_table({"p": holed_plane(n, seed=48)}, [None], 40, 0.5, 3, 25, 200, 0.99, 0)
        found[n] = t.iloc[0]
        assert found[n]["p_monte_carlo"] == pytest.approx(1 / 201)
        # its area in sd^2 is about the hole's (pi 0.5^2 = 0.79), whatever the size
        assert 0.35 < found[n]["hole_area"] < 1.0
    assert found[200_000]["hole_expected"] > 10 * found[5000]["hole_expected"] > 250
    clean = np.random.default_rng(49).standard_normal((200_000, 2))
    t = holes.hole_table({"p": clean}, [None], 40, 0.5, 3, 25, 200, 0.99, 0)
    assert t["hole_expected"].iloc[0] < 25


def test_a_hole_on_a_grid_vertex_is_found_by_the_shifted_grid():
    xy = np.random.default_rng(50).uniform(-1, 1, (200_000, 2))
    xy = xy[(np.abs(xy) >= 0.03).any(axis=1)]  # a 0.06-wide square hole on the vertex at 0
    null = holes.PlaneNull(xy, 0.5, 1.0)
    out = holes.hole_test(xy, null, 1.0, 40, 3, 25, 200, np.random.default_rng(0))
    # the unshifted grid's four cells around 0 are each only a third empty
    assert out["hole_expected"] > 100 and out["p_monte_carlo"] == pytest.approx(1 / 201)


def test_flat_disk_has_no_holes_but_an_annulus_has():
    rng = np.random.default_rng(26)

    def disk(n, hole):
        r, a = np.sqrt(rng.uniform(hole**2, 36, n)), rng.uniform(0, 2 * np.pi, n)
        return np.c_[r * np.cos(a), r * np.sin(a)]

    t = holes.hole_table({"disk": disk(20_000, 0), "ring": disk(20_000, 2)}, [None], 40, 0.5,
                         3, 25, 200, 0.99, 0).set_index("plane")  # fmt: skip
    assert t.loc["disk", "hole_expected"] < 25 and t.loc["disk", "p_monte_carlo"] > 0.05
    assert t.loc["ring", "hole_expected"] > 1000


def test_enclosed_drops_empty_regions_that_touch_the_edge():
    from zatlas.analysis import voids

    empty = np.zeros((6, 6), dtype=bool)
    empty[0, :] = True  # the window's top row
    empty[2:4, 2:4] = True  # a 2 x 2 hole inside
    empty[4, 5] = True  # on the right edge
    found = voids.enclosed(empty)
    assert found.sum() == 4 and found[2:4, 2:4].all()
    empty[1, 1] = True  # diagonal contact with the edge region counts as touching
    assert voids.enclosed(empty).sum() == 0


def test_the_replicate_shortcut_counts_like_labelling_every_replicate():
    expect = np.full((10, 10), 3.0)
    expect[[0, -1], :] = expect[:, [0, -1]] = 30.0  # a rim that is never empty
    expect[4, 4] = 0.5  # a cell below the minimum: empty often, never counted
    weight = np.where(expect >= 2, expect, 0.0)
    count, sample = holes.null_exceedances(expect, weight, 5.0, 4000, np.random.default_rng(1))
    empty = np.random.default_rng(2).random((4000, 10, 10)) < np.exp(-expect)
    brute = int((holes.largest_holes(empty, weight) >= 5.0).sum())
    assert brute > 100 and abs(count - brute) < 4 * np.sqrt(brute)
    assert len(sample) == holes.QUICK_REPLICATES


def test_a_planted_hole_passes_the_corrected_level_with_the_default_replicates():
    # m = 3 + 7 ranks + 2 windows = 12 tests: a Monte Carlo p-value can pass alpha / 12 only
    # with more than 12 / alpha replicates
    x = np.random.default_rng(51).standard_normal((5000, 16))
    x[:, :2] = holed_plane(5000, seed=52, centre=0.0) * [3.0, 2.5]
    table, s = judged(x, zooms=(None, 5))
    h = table[table["statistic"] == "holes"].iloc[0]
    assert h["n_tests"] == 12 and h["fired"] and h["p_value"] < h["alpha"]
    assert (
        s["n_holes_beyond_null"] == 1 and s["holes_finding"] == "holes in 1 of 2 PC-plane windows"
    )


# -- the stage ------------------------------------------------------------------------------


def test_structure_stage_writes_the_verdicts_and_uses_a_random_tsne_subset(tmp_path, monkeypatch):
    from zatlas.analysis import tsne as tsne_an
    from zatlas.stages import structure

    z = np.random.default_rng(31).standard_normal((400, 16)).astype(np.float32)
    z[:, 0] = np.arange(400)  # row i remembers its index
    np.save(tmp_path / "z.npy", z)
    seen = []

    def fake_tsne(x, perplexity, *args):
        seen.append((np.asarray(x).copy(), perplexity))
        return np.zeros((len(x), 2), np.float32), 1.0

    monkeypatch.setattr(tsne_an, "run_tsne", fake_tsne)
    d = vd.VerdictSettings()
    out = {k: tmp_path / f"{k}.csv" for k in ("nn", "holes", "verdicts")}
    structure.run(
        tmp_path / "z.npy", out["nn"], out["holes"], out["verdicts"], tmp_path / "summary.json",
        tmp_path / "figure.png", tmp_path / "tsne.png", model="m", max_points=400,
        test_points=100, alpha=0.01, nn_dims=5, nn_k=10, min_nn_effect=d.min_nn_effect,
        min_radius_ks=d.min_radius_ks, clump_ranks=[1, 4], clump_bandwidth=0.3,
        min_clump_effect=0.1, grid=20, bandwidth=0.5, min_expected=3.0, min_hole_expected=25,
        window_quantile=0.99, null_replicates=10, tsne_points=100, tsne_perplexity=7.5,
        planes=[[1, 2]], zooms=[None], tsne_iter=250, tsne_schedule="opentsne", seed=3,
        scale="relative",
    )  # fmt: skip
    (data, perplexity), (null, _) = seen
    rows = data[:, 0].astype(int)
    assert perplexity == 7.5 and len(rows) == 100 == len(null)
    assert rows.max() > 200  # not the 100 lowest indices
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["tsne_perplexity"] == 7.5 and summary["n_tests"] == 3 + 2 + 1
    assert pd.read_csv(out["nn"])["rank"].tolist() == [1, 4]
    verdicts = pd.read_csv(out["verdicts"])
    assert verdicts["verdict"].iloc[-1] == summary["verdict"] and (verdicts["model"] == "m").all()
