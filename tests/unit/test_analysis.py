import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from zatlas.analysis import axes, kmeans, pca, radius, samples, tsne
from zatlas.analysis.histogram import density_table
from zatlas.analysis.vae_stats import ROWS, vae_statistics, vae_table
from zatlas.errors import ZatlasError


def gaussian(n=20_000, d=256, seed=0):
    return np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)


def test_standard_normal_radius_peak_near_16():
    r = radius.radii(gaussian())
    summary = radius.radius_summary(r, 256, 0.5, [[12, 24], [14, 19]])
    assert abs(summary["peak"] - 16) < 0.5
    assert summary["gaussian_expectation"] == 16
    assert summary["shells"][0]["fraction"] > 0.99


def test_radius_peaks_at_every_bin_width():
    r = radius.radii(gaussian(20_000, 256))
    s = radius.radius_summary(r, 256, 0.5, [[14, 19]], bin_widths=[0.5, 0.05])
    assert [p["bin_width"] for p in s["peaks"]] == [0.5, 0.05]
    for p in s["peaks"]:
        assert abs(p["peak"] - 16) < 0.5
    assert s["mean"] == pytest.approx(16, abs=0.1)
    # chi distribution with 256 degrees of freedom: std ~ 1/sqrt(2), so 14..19 holds ~all
    assert s["std"] == pytest.approx(np.sqrt(0.5), rel=0.05)
    assert s["shells"][0]["fraction"] > 0.99


def test_radius_peak_is_the_exact_mode_whatever_the_bin_width():
    # chi distribution with 256 degrees of freedom: mode sqrt(255) = 15.969, FWHM 2.355 / sqrt(2)
    r = radius.radii(gaussian(20_000, 256, seed=3))
    coarse = radius.radius_summary(r, 256, 0.5, [[14, 19]], bin_widths=[0.5])
    fine = radius.radius_summary(r, 256, 0.05, [[14, 19]], bin_widths=[0.05])
    assert coarse["peak"] == pytest.approx(np.sqrt(255), abs=0.05)
    assert coarse["fwhm"] == pytest.approx(1.665, rel=0.05)
    assert fine["peak"] == coarse["peak"] and fine["fwhm"] == coarse["fwhm"]
    assert "KDE" in coarse["peak_method"]


def test_axis_centres_and_widths_are_bin_free():
    sds = np.array([0.05, 0.1, 0.3, 1.0, 2.0, 4.0])
    z = gaussian(20_000, len(sds), seed=4) * sds.astype(np.float32)
    for bin_width in (0.25, 0.05):
        table, _, _ = axes.axis_table(z, bin_width)
        assert table.loc[3, "center"] == pytest.approx(0, abs=0.02)  # the N(0, 1) axis
        assert (table["center"].abs() / sds < 0.03).all()
        np.testing.assert_allclose(table["fwhm"], 2 * np.sqrt(2 * np.log(2)) * sds, rtol=0.05)
    # the figures' binned values stay: an sd 0.05 axis is one 0.25 bin wide there
    assert table.loc[0, "fwhm_binned"] > 0.1


def test_radius_tables_count_every_point():
    r = radius.radii(gaussian(5000, 32))
    table = radius.radius_densities(r, [0.5, 0.05])
    for width, group in table.groupby("bin_width"):
        assert group["count"].sum() == 5000
        assert np.allclose(np.diff(group["bin_left"]), width)
        assert group["density"].sum() * width == pytest.approx(1.0)


def test_planted_axes_are_found_with_centre_and_width():
    # the blog's example: among N(0, 1) axes, axis 52 centred at 5 and axis 221 at -1, both
    # 8 wide (FWHM)
    z = gaussian(40_000, 256, seed=1)
    sigma = 8 / (2 * np.sqrt(2 * np.log(2)))
    rng = np.random.default_rng(2)
    z[:, 52] = rng.normal(5, sigma, len(z))
    z[:, 221] = rng.normal(-1, sigma, len(z))
    table, edges, counts = axes.axis_table(z, 0.25)
    assert counts.sum(axis=1).tolist() == [len(z)] * 256
    for axis, centre in ((52, 5), (221, -1)):
        row = table.loc[axis]
        assert row["center"] == pytest.approx(centre, abs=0.1 * 8)
        assert row["fwhm"] == pytest.approx(8, rel=0.1)
        assert row["half_width"] == pytest.approx(4, rel=0.1)
        assert row["mean"] == pytest.approx(centre, abs=0.1)
        assert row["std"] == pytest.approx(sigma, rel=0.02)
    normal = table.drop([52, 221])
    assert normal["fwhm"].median() == pytest.approx(2.355, rel=0.1)
    assert normal["center"].abs().max() < 0.5
    dom = axes.dominant_axes(table, center_threshold=1.0, width_factor=2.0)
    assert set(dom["axis"]) == {52, 221} and dom["axis"].iloc[0] == 52
    assert axes.top_axes(table, 2) == [52, 221]
    long = axes.density_long(edges, counts)
    assert len(long) == counts.size and (long.groupby("axis")["count"].sum() == len(z)).all()
    assert long.groupby("axis")["density"].sum().mul(0.25).to_numpy() == pytest.approx(1.0)


def test_memory_mapped_analyses_never_copy_the_whole_array(tmp_path):
    import tracemalloc

    n, d = 200_000, 32
    rng = np.random.default_rng(0)
    for name in ("z", "mu", "logvar"):
        np.save(tmp_path / f"{name}.npy", rng.standard_normal((n, d), dtype=np.float32))
    z, mu, logvar = (np.load(tmp_path / f"{k}.npy", mmap_mode="r") for k in ("z", "mu", "logvar"))
    size = n * d * 4
    runs = {
        "radius": lambda: radius.radii(z),
        "axes": lambda: axes.axis_table(z, 0.25),
        "pca": lambda: pca.fit_pca(z, 2),
        "vae_stats": lambda: vae_statistics(z, mu, logvar),
    }
    for name, run in runs.items():
        tracemalloc.start()
        run()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < size, f"{name}: peak allocation {peak / size:.2f} x the array"


def test_pca_puts_dominant_direction_first():
    z = gaussian(3000, 20)
    direction = np.zeros(20)
    direction[[3, 7]] = 1 / np.sqrt(2)
    z += np.outer(np.random.default_rng(5).normal(0, 10, 3000), direction).astype(np.float32)
    table, scores = pca.fit_pca(z, 5, seed=0)
    assert len(table) == 20 and table["cumulative"].iloc[-1] == pytest.approx(1.0)
    # variance 100 + 1 along the direction against 1 in each of the 19 others
    assert table["ratio"].iloc[0] == pytest.approx(101 / 120, rel=0.05)
    assert table["cumulative"].is_monotonic_increasing and table["ratio"].is_monotonic_decreasing
    assert scores.shape == (3000, 5)
    # PC1 scores are the data's coordinate along the planted direction (up to sign)
    along = (z - z.mean(0)) @ direction
    assert abs(np.corrcoef(scores[:, 0], along)[0, 1]) > 0.99
    from sklearn.decomposition import PCA

    ref = PCA(5).fit(z)
    np.testing.assert_allclose(table["ratio"][:5], ref.explained_variance_ratio_, rtol=1e-4)
    np.testing.assert_allclose(np.abs(scores), np.abs(ref.transform(z)), atol=1e-3)
    counts = pca.zoom_counts({"PC1/PC2": scores[:, :2]}, [None, 1.0])
    assert counts["n_inside"].tolist()[0] == 3000 and counts["n_inside"].tolist()[1] < 3000


def blobs(n_per=200, k=5, dim=10, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 20, (k, dim))
    return np.concatenate([c + rng.normal(0, 0.5, (n_per, dim)) for c in centres])


def test_kmeans_elbow_on_separated_blobs():
    x = blobs()
    sweep = kmeans.inertia_sweep(x, range(2, 13), [0, 1])
    stats = kmeans.summarize_sweep(sweep)
    assert len(sweep) == 22 and {"k", "seed", "inertia", "n_iter", "seconds"} <= set(sweep)
    assert (stats["min"] <= stats["mean"]).all() and (stats["mean"] <= stats["max"]).all()
    assert kmeans.kneedle_elbow(stats["k"].to_numpy(), stats["min"].to_numpy()) == 5


def test_kmeans_subset_fit_reports_full_data_inertia():
    x = blobs(n_per=1000, k=6, dim=16, seed=3).astype(np.float32)
    # 600 of the 6,000 points place the centres; the inertia is that of all points
    centres, inertia, _ = kmeans.fit_kmeans(x, 6, seed=0, fit_points=600, refine_iter=3)
    brute = ((x[:, None, :] - centres[None]) ** 2).sum(-1).min(1).sum()
    assert inertia == pytest.approx(brute, rel=1e-4)
    # the true clusters: variance 0.25 per dimension
    assert inertia / (len(x) * 16) == pytest.approx(0.25, rel=0.05)
    sweep = kmeans.inertia_sweep(x, [2, 4, 6, 8, 10], [0, 1, 2], fit_points=600)
    stats = kmeans.summarize_sweep(sweep)
    assert kmeans.kneedle_elbow(stats["k"].to_numpy(), stats["mean"].to_numpy()) == 6


def test_kmeans_lloyd_step_known_answer():
    x = np.array([[0, 0], [0, 2], [10, 0], [10, 2], [11, 1]], np.float32)
    centres = np.array([[0, 1], [10, 1], [50, 50]], np.float32)
    assert kmeans.inertia_of(x, centres) == pytest.approx(5.0)
    moved, before = kmeans.lloyd_step(x, centres)
    assert before == pytest.approx(5.0)
    # cluster 1 moves to the mean of its three points; empty cluster 2 keeps its centre
    np.testing.assert_allclose(moved, [[0, 1], [31 / 3, 1], [50, 50]], rtol=1e-6)
    assert kmeans.inertia_of(x, moved) == pytest.approx(2 + 2 * (1 / 9 + 1) + 4 / 9, rel=1e-5)


def test_kneedle_finds_the_knee_of_a_known_curve():
    k = np.arange(2, 41, 2)
    y = np.where(k <= 10, 100 - 9 * (k - 2), 28 - 0.5 * (k - 10))  # bends at k = 10
    assert kmeans.kneedle_elbow(k, y) == 10


def test_vae_statistics_match_hand_computed_values():
    mu = np.array([[3.0, 4.0], [0.0, 1.0]], np.float32)
    logvar = np.array([[-4.0, 0.0], [6.0, 1.0]], np.float32)
    z = mu + np.array([[0.0, 0.1], [0.02, 0.0]], np.float32)
    s = vae_statistics(z, mu, logvar)
    assert (
        s["logvar_min"] == -4 and s["logvar_max"] == 6 and s["logvar_mean"] == pytest.approx(0.75)
    )
    assert s["logvar_count_in_-3_5"] == 2 and s["logvar_fraction_in_-3_5"] == 0.5
    assert s["abs_z_minus_mu_max"] == pytest.approx(0.1)
    assert s["abs_z_minus_mu_count_above_0.05"] == 1
    assert s["abs_z_minus_mu_fraction_above_0.05"] == 0.25
    r_z = np.hypot([3.0, 0.02], [4.1, 1.0])
    assert s["radius_mu_mean"] == pytest.approx(3.0)
    assert s["radius_mu_min"] == pytest.approx(1.0) and s["radius_mu_max"] == pytest.approx(5.0)
    assert s["radius_z_max"] == pytest.approx(r_z[0], rel=1e-6)
    assert s["radius_z_min"] == pytest.approx(r_z[1], rel=1e-6)
    assert s["radius_abs_diff_max"] == pytest.approx(r_z[0] - 5, rel=1e-5)
    assert s["radius_abs_diff_mean"] == pytest.approx((r_z[0] - 5 + r_z[1] - 1) / 2, rel=1e-5)
    assert s["radius_rel_diff_max"] == pytest.approx((r_z[0] - 5) / 5, rel=1e-5)
    # blockwise over rows gives the same numbers
    assert vae_statistics(z, mu, logvar, block=1) == pytest.approx(s)
    table = vae_table(s)
    assert table["metric"].tolist() == [key for key, _ in ROWS]
    assert table.set_index("metric").loc["logvar_count_in_-3_5", "value"] == 2


def test_tsne_separates_far_blobs():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0, 1, (150, 30)), rng.normal(30, 1, (150, 30))])
    emb, kl = tsne.run_tsne(x, perplexity=20, early_exaggeration=12, n_iter=400, seed=0)
    assert emb.shape == (300, 2) and np.isfinite(kl)
    labels = np.repeat([0, 1], 150)
    from sklearn.neighbors import NearestNeighbors

    nbrs = NearestNeighbors(n_neighbors=6).fit(emb).kneighbors(return_distance=False)[:, 1:]
    assert (labels[nbrs] == labels[:, None]).mean() > 0.99
    recall = tsne.knn_recall(x, emb, k=5)
    assert recall > 0.2
    # a random 2-D layout keeps almost no neighbourhood
    assert tsne.knn_recall(x, rng.normal(size=(300, 2)), k=5) < 0.1
    assert tsne.knn_recall(x, emb, k=5, n_queries=100, seed=1) == pytest.approx(recall, abs=0.1)


def test_knn_recall_of_an_isometry_is_one():
    x = np.random.default_rng(0).normal(size=(500, 2))
    assert tsne.knn_recall(x, 3 * x[:, ::-1] + 1, k=10, n_queries=50) == 1.0


def test_tsne_learning_rate_is_sklearns_auto():
    # scikit-learn: max(N / early_exaggeration / 4, 50), with a gradient 4x openTSNE's
    assert tsne.sklearn_learning_rate(1000, 12) == 200
    assert tsne.sklearn_learning_rate(120_000, 12) == pytest.approx(10_000)


def test_tsne_schedules_resolve_their_learning_rates_and_momenta():
    # sklearn: max(N / 12 / 4, 50) in scikit-learn's units, x 4 in openTSNE's, both phases
    s = tsne.resolve_schedule("sklearn", 120_000, 12)
    assert (s.exaggerated_learning_rate, s.learning_rate) == (10_000, 10_000)
    assert (s.exaggerated_momentum, s.momentum) == (0.5, 0.8)
    assert tsne.resolve_schedule("sklearn", 1000, 12).learning_rate == 200  # the floor of 50
    # openTSNE's "auto": N / exaggeration, and the exaggeration is 1 after the first phase
    o = tsne.resolve_schedule("opentsne", 120_000, 12)
    assert (o.exaggerated_learning_rate, o.learning_rate) == (10_000, 120_000)
    assert (o.exaggerated_momentum, o.momentum) == (0.8, 0.8)
    assert tsne.resolve_schedule("opentsne", 1000, 4).exaggerated_learning_rate == 250
    with pytest.raises(ZatlasError, match="sklearn"):
        tsne.resolve_schedule("auto", 1000, 12)


def clustered(n=800, d=20, seed=1):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 3, (10, d))
    return (centres[rng.integers(0, 10, n)] + rng.normal(size=(n, d))).astype(np.float32)


def test_opentsne_schedule_reaches_lower_kl_than_sklearns_in_as_many_iterations():
    x = clustered()
    kl = {
        name: [k for _, _, k in tsne.optimise(x, 30, 12, [300, 400], 0, 1, name)]
        for name in tsne.SCHEDULES
    }
    # 50 plain iterations after the exaggeration: about 0.70 against 0.81 (seeds 1-3)
    assert kl["opentsne"][0] < kl["sklearn"][0] - 0.06
    assert kl["opentsne"][1] < kl["sklearn"][1]
    assert kl["sklearn"][1] < kl["sklearn"][0]  # still descending: not yet converged


def test_tsne_stops_match_runs_of_that_length():
    x = clustered(300, 10)
    (i1, e1, k1), (i2, e2, k2) = tsne.optimise(x, 20, 12, [300, 260], 0, 1, "sklearn")
    assert (i1, i2) == (260, 300)
    emb, kl = tsne.run_tsne(x, 20, 12, 260, 0, schedule="sklearn")
    np.testing.assert_array_equal(e1, emb)
    assert k1 == kl and k2 != kl
    with pytest.raises(ValueError, match="250"):
        list(tsne.optimise(x, 20, 12, [100, 300], 0))


# exact neighbours below 1,000 points; Annoy above, approximate (seed-dependent) in 64-d
@pytest.mark.parametrize(("n", "d"), [(400, 12), (1500, 64)])
def test_tsne_map_is_opentsnes_own_bit_for_bit(n, d, monkeypatch):
    from openTSNE import TSNE

    # openTSNE imports pynndescent only to ask whether it is there, then takes Annoy for
    # Euclidean data anyway: without this, a fresh checkout compiled pynndescent's numba
    # code here (about 16 CPU-s; 36 s of a suite's wall time)
    monkeypatch.setitem(sys.modules, "pynndescent", None)
    x = gaussian(n, d)  # no clusters: Annoy's neighbours depend on its seed
    theirs = TSNE(perplexity=25, initialization="pca", random_state=3, n_jobs=1).prepare_initial(x)
    theirs.optimize(n_iter=30, exaggeration=12, learning_rate=n / 12, momentum=0.8, inplace=True)
    [(_, ours, kl)] = tsne.optimise(x, 25, 12, 30, 3, 1, "opentsne")
    np.testing.assert_array_equal(ours, np.array(theirs, dtype=np.float32))
    assert kl == float(theirs.kl_divergence)


def test_tsne_does_not_import_pynndescent():
    # openTSNE's own affinity path imports it (2.5 CPU-s) only to see whether it is there
    code = (
        "import sys, numpy as np; from zatlas.analysis import tsne; "
        "x = np.random.default_rng(0).normal(size=(1100, 8)).astype(np.float32); "
        "list(tsne.optimise(x, 10, 12, 5, 0)); print('pynndescent' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


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


def test_tsne_recall_of_a_pca_variant_is_measured_against_z(tmp_path):
    import json

    from sklearn.neighbors import NearestNeighbors

    from zatlas.stages import tsne as tsne_stage

    z = np.random.default_rng(5).standard_normal((300, 16)).astype(np.float32)
    np.save(tmp_path / "z.npy", z)
    settings = {"n_points": 300, "pca_components": 2, "perplexity": 20.0}
    settings |= {"early_exaggeration": 12.0, "n_iter": 300, "schedule": "opentsne"}
    out = {k: tmp_path / f"{k}.{e}" for k, e in (("embedding", "csv"), ("summary", "json"))}
    tsne_stage.run(
        tmp_path / "z.npy",
        None,
        out["embedding"],
        out["summary"],
        tmp_path / "f.png",
        model="m",
        variant="pca2",
        variant_settings=settings,
        color_by=None,
        seed=0,
        recall_queries=1000,
    )
    emb = pd.read_csv(out["embedding"])
    recall = json.loads(out["summary"].read_text())["knn_recall_10"]

    def neighbours(points):
        found = NearestNeighbors(n_neighbors=11).fit(points).kneighbors(return_distance=False)
        return found[:, :10]

    hi, lo = neighbours(z[emb["index"]]), neighbours(emb[["x", "y"]].to_numpy())
    expected = np.mean([len(np.intersect1d(a, b)) for a, b in zip(hi, lo, strict=True)]) / 10
    # 2 of 16 isotropic dimensions keep few of z's neighbours, however well t-SNE keeps
    # the neighbours of its 2-D input
    assert recall == pytest.approx(expected, abs=0.02) and recall < 0.3


def test_pca_reduce_recovers_planted_directions_and_projects_new_rows():
    rng = np.random.default_rng(21)
    basis = np.linalg.qr(rng.normal(size=(12, 12)))[0]
    coef = rng.normal(size=(3000, 12)) * np.array([5.0, 2.0] + [0.1] * 10)
    x = coef @ basis.T + 7.0
    scores = pca.reduce(x, 2)
    assert scores.shape == (3000, 2)
    for j, expected in enumerate([5.0, 2.0]):
        assert scores[:, j].std() == pytest.approx(expected, rel=0.05)
        # the j-th score is the j-th planted coefficient up to sign
        assert abs(np.corrcoef(scores[:, j], coef[:, j])[0, 1]) > 0.995
    assert pca.reduce(x, None) is x
    mean, _, vectors = pca.principal_axes(x[:1000])
    held_out = pca.project(x[1000:], mean, vectors[:, :1])
    assert abs(np.corrcoef(held_out[:, 0], coef[1000:, 0])[0, 1]) > 0.99


def test_labels_of_assigns_each_point_to_its_nearest_centre():
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]], np.float32)
    x = np.array([[1, 1], [9, 1], [1, 8], [6, 0], [0, 4.9]], np.float32)
    assert kmeans.labels_of(x, centres, chunk=2).tolist() == [0, 1, 2, 1, 0]


def test_small_tsne_is_the_same_map_on_any_number_of_threads(tmp_path):
    """openTSNE's Barnes-Hut result depends on its thread count; below 10,000 points the
    stage runs it on one thread, so a laptop, a cluster node and any --cores agree."""
    import json

    from zatlas.analysis.tsne import tsne_threads
    from zatlas.stages import tsne as tsne_stage

    assert [tsne_threads(n, 4) for n in (150, 9_999, 10_000, 165_000)] == [1, 1, 4, 4]
    z = np.random.default_rng(8).standard_normal((1200, 32)).astype(np.float32)
    np.save(tmp_path / "z.npy", z)
    settings = {"n_points": 1200, "pca_components": 10, "perplexity": 15.0}
    settings |= {"early_exaggeration": 12.0, "n_iter": 300, "schedule": "opentsne"}
    maps = []
    for threads in (1, 2):
        emb, summary = tmp_path / f"e{threads}.csv", tmp_path / f"s{threads}.json"
        tsne_stage.run(
            tmp_path / "z.npy", None, emb, summary, tmp_path / f"f{threads}.png", model="m",
            variant="z", variant_settings=settings, color_by=None, seed=3,
            recall_queries=50, threads=threads,
        )  # fmt: skip
        maps.append(pd.read_csv(emb))
        assert json.loads(summary.read_text())["threads"] == 1  # what openTSNE ran on
    pd.testing.assert_frame_equal(maps[0], maps[1], check_exact=True)
