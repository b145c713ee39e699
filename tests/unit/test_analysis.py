import numpy as np
import pandas as pd
import pytest

from zatlas.analysis import axes, kmeans, pca, radius, samples, tsne
from zatlas.analysis.histogram import density_table
from zatlas.analysis.vae_stats import vae_statistics


def gaussian(n=20_000, d=256, seed=0):
    return np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)


def test_standard_normal_radius_peak_near_16():
    r = radius.radii(gaussian())
    summary = radius.radius_summary(r, 256, 0.5, [[12, 24], [14, 19]])
    assert abs(summary["peak"] - 16) < 0.5
    assert summary["gaussian_expectation"] == 16
    assert summary["shells"][0]["fraction"] > 0.99


def test_radius_tables_count_every_point():
    r = radius.radii(gaussian(5000, 32))
    table = radius.radius_densities(r, [0.5, 0.05])
    for width, group in table.groupby("bin_width"):
        assert group["count"].sum() == 5000
        assert np.allclose(np.diff(group["bin_left"]), width)
        assert group["density"].sum() * width == pytest.approx(1.0)


def test_planted_axes_are_found_with_centre_and_width():
    z = gaussian(40_000, 64, seed=1)
    sigma = 8 / (2 * np.sqrt(2 * np.log(2)))  # FWHM 8
    rng = np.random.default_rng(2)
    z[:, 52] = rng.normal(5, sigma, len(z))
    z[:, 21] = rng.normal(-1, sigma, len(z))
    table, _, counts = axes.axis_table(z, 0.25)
    assert counts.sum(axis=1).tolist() == [len(z)] * 64
    for axis, centre in ((52, 5), (21, -1)):
        row = table.loc[axis]
        assert row["center"] == pytest.approx(centre, abs=0.1 * 8)
        assert row["fwhm"] == pytest.approx(8, rel=0.1)
    normal = table.drop([52, 21])
    assert normal["fwhm"].median() == pytest.approx(2.355, rel=0.1)
    dom = axes.dominant_axes(table, center_threshold=1.0, width_factor=2.0)
    assert set(dom["axis"]) == {52, 21} and dom["axis"].iloc[0] == 52
    assert axes.top_axes(table, 2) == [52, 21]


def test_pca_puts_dominant_direction_first():
    z = gaussian(3000, 20)
    direction = np.zeros(20)
    direction[[3, 7]] = 1 / np.sqrt(2)
    z += np.outer(np.random.default_rng(5).normal(0, 10, 3000), direction).astype(np.float32)
    table, scores = pca.fit_pca(z, 5, seed=0)
    assert table["ratio"].iloc[0] > 0.5
    assert table["cumulative"].is_monotonic_increasing
    assert scores.shape == (3000, 5)
    counts = pca.zoom_counts({"PC1/PC2": scores[:, :2]}, [None, 1.0])
    assert counts["n_inside"].tolist()[0] == 3000 and counts["n_inside"].tolist()[1] < 3000


def test_kmeans_elbow_on_separated_blobs():
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 20, (5, 10))
    x = np.concatenate([c + rng.normal(0, 0.5, (200, 10)) for c in centres])
    sweep = kmeans.inertia_sweep(x, range(2, 13), [0, 1])
    stats = kmeans.summarize_sweep(sweep)
    assert len(sweep) == 22
    assert (stats["min"] <= stats["mean"]).all() and (stats["mean"] <= stats["max"]).all()
    assert kmeans.kneedle_elbow(stats["k"].to_numpy(), stats["min"].to_numpy()) == 5


def test_vae_statistics_match_hand_computed_values():
    mu = np.array([[3.0, 4.0], [0.0, 1.0]], np.float32)
    logvar = np.array([[-4.0, 0.0], [6.0, 1.0]], np.float32)
    z = mu + np.array([[0.0, 0.1], [0.02, 0.0]], np.float32)
    s = vae_statistics(z, mu, logvar)
    assert (
        s["logvar_min"] == -4 and s["logvar_max"] == 6 and s["logvar_mean"] == pytest.approx(0.75)
    )
    assert s["logvar_count_in_-3_5"] == 2
    assert s["abs_z_minus_mu_max"] == pytest.approx(0.1)
    assert s["abs_z_minus_mu_count_above_0.05"] == 1
    r_z = np.hypot([3.0, 0.02], [4.1, 1.0])
    assert s["radius_mu_mean"] == pytest.approx(3.0)
    assert s["radius_z_max"] == pytest.approx(r_z[0], rel=1e-6)
    assert s["radius_abs_diff_max"] == pytest.approx(r_z[0] - 5, rel=1e-5)
    assert s["radius_rel_diff_max"] == pytest.approx((r_z[0] - 5) / 5, rel=1e-5)


def test_tsne_separates_far_blobs():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0, 1, (150, 30)), rng.normal(30, 1, (150, 30))])
    emb, kl = tsne.run_tsne(x, perplexity=20, early_exaggeration=12, n_iter=400, seed=0)
    assert emb.shape == (300, 2) and np.isfinite(kl)
    labels = np.repeat([0, 1], 150)
    from sklearn.neighbors import NearestNeighbors

    nbrs = NearestNeighbors(n_neighbors=6).fit(emb).kneighbors(return_distance=False)[:, 1:]
    assert (labels[nbrs] == labels[:, None]).mean() > 0.99
    assert tsne.knn_recall(x, emb, k=5) > 0.2


def test_subset_is_seeded_sorted_and_capped():
    a, b = tsne.subset(100, 10, 3), tsne.subset(100, 10, 3)
    np.testing.assert_array_equal(a, b)
    assert (np.diff(a) > 0).all() and len(a) == 10
    assert len(tsne.subset(5, 10, 3)) == 5


def test_random_points_far_from_data_have_large_ratio():
    data = gaussian(2000, 16)
    near = samples.nearest_data_ratio(data, gaussian(200, 16, seed=9))
    far = samples.nearest_data_ratio(
        data,
        samples.draw_latents(
            {"kind": "uniform", "low": -10, "high": 10}, 200, 16, np.random.default_rng(0)
        ),
    )
    assert np.median(near) < 1.5 < 3 < np.median(far)


def test_density_table_handles_constant_values():
    t = density_table(np.ones(10), 0.5)
    assert t["count"].sum() == 10 and isinstance(t, pd.DataFrame)
