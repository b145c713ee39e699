"""Known answers for the null-model analyses: structure, dimensions, sampling, attributes."""

import json

import numpy as np
import pandas as pd
import pytest

from zatlas.analysis import active_units as au
from zatlas.analysis import attributes as attr
from zatlas.analysis import density, nulls
from zatlas.analysis import intrinsic_dim as idim
from zatlas.analysis import neighbours as st
from zatlas.analysis import verdicts as vd


def plane_in(dim: int, n: int, seed: int) -> np.ndarray:
    """Uniform points on a random 2-D plane through a random offset in `dim` dimensions."""
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.standard_normal((dim, 2)))[0]
    return (rng.uniform(-1, 1, (n, 2)) @ basis.T + rng.standard_normal(dim)).astype(np.float32)


def curve_in(dim: int, n: int, seed: int) -> np.ndarray:
    """Points at random positions along a smooth closed 1-D curve in `dim` dimensions."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, 2 * np.pi, n)
    k = np.arange(1, 6)
    waves = np.concatenate([np.sin(np.outer(t, k)), np.cos(np.outer(t, k))], axis=1)
    return (waves @ rng.standard_normal((10, dim))).astype(np.float32)


# -- intrinsic dimension --------------------------------------------------------------------


def test_twonn_and_mle_find_a_plane_in_50_dimensions():
    x = plane_in(50, 2000, seed=0)
    est = idim.estimates(x, [5, 10, 20])
    assert est["twonn"] == pytest.approx(2.0, abs=0.2)
    for k in (5, 10, 20):
        assert est[f"mle_k{k}"] == pytest.approx(2.0, abs=0.2)
    assert idim.twonn(x) == pytest.approx(est["twonn"])


def test_twonn_of_a_10d_gaussian_is_near_10():
    x = np.random.default_rng(1).standard_normal((2000, 10))
    assert idim.twonn(x) == pytest.approx(10, rel=0.15)


def test_dimension_table_sets_data_beside_null_and_z_dim():
    t = idim.dimension_table({"twonn": 4.0}, {"twonn": 8.0}, 32, 100)
    row = t.iloc[0]
    assert row["ratio_to_null"] == 0.5 and row["ratio_to_z_dim"] == 4 / 32


def test_too_few_points_for_k_is_an_error():
    with pytest.raises(ValueError, match="too few"):
        idim.estimates(np.zeros((5, 3)), [10])


# -- matched-Gaussian null ------------------------------------------------------------------


def test_matched_gaussian_has_the_data_mean_and_covariance():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4000, 3)) @ np.array([[2.0, 0, 0], [1.0, 1.0, 0], [0, 0, 0.1]]) + 5
    g = nulls.matched_gaussian(x, seed=3)
    assert g.shape == x.shape
    np.testing.assert_allclose(g.mean(axis=0), x.mean(axis=0), atol=0.1)
    np.testing.assert_allclose(np.cov(g, rowvar=False), np.cov(x, rowvar=False), atol=0.15)


def test_gaussian_sample_handles_a_singular_covariance():
    cov = np.diag([1.0, 0.0, 4.0])
    g = nulls.gaussian_sample(np.zeros(3), cov, 500, np.random.default_rng(0))
    assert np.isfinite(g).all() and np.allclose(g[:, 1], 0, atol=1e-6)


# -- active units ---------------------------------------------------------------------------


def test_active_units_of_half_constant_latents_are_half():
    rng = np.random.default_rng(10)
    means = rng.standard_normal((500, 16)).astype(np.float32)
    means[:, ::2] = 3.0  # 8 dead units, constant over the data
    n, table = au.active_units(means, threshold=0.01)
    assert n == 8 and table["active"].tolist() == [False, True] * 8


def test_unit_variances_are_blockwise_exact():
    x = np.random.default_rng(11).normal(100, 2, (1000, 4))
    np.testing.assert_allclose(au.unit_variances(x, block=64), x.var(axis=0), rtol=1e-9)


# -- sampling strategies and the on-manifold score ------------------------------------------


def test_on_manifold_score_ranks_training_like_samples_above_a_far_box():
    rng = np.random.default_rng(12)
    train = rng.standard_normal((2000, 16)) * 0.5 + 3
    scorer = density.ManifoldScorer(train)
    like = rng.standard_normal((300, 16)) * 0.5 + 3
    far = rng.uniform(-10, 10, (300, 16))
    s_like, s_far = scorer(like), scorer(far)
    assert np.median(s_like) == pytest.approx(1.0, abs=0.3)
    assert np.median(s_far) > 3 * np.median(s_like)
    assert (s_like < np.median(s_far)).mean() > 0.99
    row = density.score_summary("like", like, s_like, scorer.within)
    assert row["on_manifold_fraction"] > 0.8
    assert density.score_summary("far", far, s_far, scorer.within)["on_manifold_fraction"] == 0


def test_every_strategy_draws_the_right_shape_and_fitted_ones_match_the_data():
    rng = np.random.default_rng(13)
    z = rng.standard_normal((600, 8)) * [1, 2, 3, 4, 1, 1, 1, 1] + 5
    found = density.strategies(z, [2, 10], gmm_components=4, seed=0)
    assert list(found) == [
        "normal",
        "uniform_2",
        "uniform_10",
        "gaussian_diag",
        "gaussian_full",
        "gmm",
    ]
    for name, s in found.items():
        pts = s.draw(400, np.random.default_rng(1))
        assert pts.shape == (400, 8) and np.isfinite(pts).all(), name
    assert np.abs(found["uniform_2"].draw(400, rng)).max() <= 2
    for name in ("gaussian_diag", "gaussian_full", "gmm"):
        pts = found[name].draw(4000, np.random.default_rng(2))
        np.testing.assert_allclose(pts.mean(axis=0), z.mean(axis=0), atol=0.3)
        np.testing.assert_allclose(pts.std(axis=0), z.std(axis=0), rtol=0.15)


def test_cycle_errors_vanish_for_an_exact_encoder_decoder_pair():
    from zatlas.decoding_checks import cycle_errors

    w = np.random.default_rng(14).standard_normal((4, 2 * 2 * 3)) * 0.3

    def decoder(z, training=False):
        return (1 / (1 + np.exp(-(np.asarray(z) @ w)))).reshape(-1, 2, 2, 3)

    def encoder(x, training=False):
        p = np.clip(np.asarray(x).reshape(len(x), -1), 1e-3, 1 - 1e-3)
        return np.log(p / (1 - p)) @ np.linalg.pinv(w)

    z = np.random.default_rng(15).standard_normal((20, 4)).astype(np.float32)
    out = cycle_errors(encoder, decoder, z)
    assert out["images"].shape == (20, 2, 2, 3) and out["images"].dtype == np.uint8
    assert out["pixel_mse"].max() < 1e-4 and np.median(out["latent_drift"]) < 0.05


# -- attributes -----------------------------------------------------------------------------


def test_nmi_of_clusters_equal_to_an_attribute_is_one():
    rng = np.random.default_rng(16)
    male = rng.choice([-1, 1], 400)
    noise = rng.choice([-1, 1], 400)
    table = attr.attribute_nmi((male > 0).astype(int), pd.DataFrame({"Male": male, "X": noise}))
    by = table.set_index("attribute")
    assert by.loc["Male", "nmi"] == pytest.approx(1.0) and by.loc["Male", "ami"] == 1.0
    assert by.loc["X", "nmi"] < 0.05
    assert table["attribute"].iloc[0] == "Male"


def test_kmeans_clusters_recover_an_attribute_that_splits_the_cloud():
    rng = np.random.default_rng(17)
    label = rng.choice([-1, 1], 300)
    z = rng.standard_normal((300, 5)) * 0.3
    z[:, 0] += 4 * label
    nmi = attr.attribute_nmi(attr.kmeans_labels(z, 2, seed=0), pd.DataFrame({"Smiling": label}))
    assert nmi["nmi"].iloc[0] == pytest.approx(1.0)


# -- KL sweep stage -------------------------------------------------------------------------


def test_kl_sweep_works_with_one_vae(tmp_path):
    from zatlas.stages.kl_sweep import run as kl_sweep

    rng = np.random.default_rng(18)
    models = {"ae": {"type": "ae"}, "vae": {"type": "vae", "kl_factor": 0.001}}
    for name in models:
        np.save(tmp_path / f"{name}_z.npy", rng.standard_normal((50, 4)).astype(np.float32))
        pd.DataFrame({"epoch": [1, 2], "reco_loss": [9.0, 7.0], "kl_loss": [0.0, 1.5]}).to_csv(
            tmp_path / f"{name}_h.csv", index=False
        )
        (tmp_path / f"{name}_d.json").write_text(json.dumps({"active_units": 3, "twonn_data": 2.5}))
    np.save(tmp_path / "vae_lv.npy", np.full((50, 4), -2.0, np.float32))
    kl_sweep(
        z=[tmp_path / f"{m}_z.npy" for m in models],
        logvar=[tmp_path / "vae_lv.npy"],
        histories=[tmp_path / f"{m}_h.csv" for m in models],
        dimensions=[tmp_path / f"{m}_d.json" for m in models],
        table=tmp_path / "kl.csv",
        figure=tmp_path / "kl.png",
        models=models,
        vaes=["vae"],
        z_dim=4,
    )
    t = pd.read_csv(tmp_path / "kl.csv").set_index("model")
    assert list(t.index) == ["ae", "vae"]
    assert np.isnan(t.loc["ae", "kl_factor"]) and t.loc["vae", "kl_factor"] == 0.001
    assert t.loc["vae", "logvar_mean"] == -2.0 and np.isnan(t.loc["ae", "logvar_mean"])
    assert t.loc["vae", "reco_loss"] == 7.0 and t.loc["vae", "active_units"] == 3
    assert t.loc["ae", "radius_p5"] <= t.loc["ae", "radius_median"] <= t.loc["ae", "radius_p95"]


# -- calibrated verdicts: a hierarchy of nulls ----------------------------------------------


def t_cloud(n: int, dim: int, dof: int, seed: int) -> np.ndarray:
    """Multivariate t: elliptical, heavy-tailed radii, one mode, no filaments or clusters."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, dim)) / np.sqrt(rng.chisquare(dof, (n, 1)) / dof)


def clustered_cloud(n: int, dim: int, seed: int) -> np.ndarray:
    """10 tight clusters (sd 0.3, centres N(0, 3^2)) in 4 coordinates, N(0, 1) elsewhere."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim))
    x[:, :4] = rng.normal(0, 3, (10, 4))[rng.integers(0, 10, n)] + rng.normal(0, 0.3, (n, 4))
    return x


def disk_plane(n: int, seed: int, hole: float = 0.0) -> np.ndarray:
    """Uniform points in a disk of radius 6 (without the centre disk of radius `hole`)."""
    rng = np.random.default_rng(seed)
    r = np.sqrt(rng.uniform(hole**2, 36, n))
    a = rng.uniform(0, 2 * np.pi, n)
    return np.c_[r * np.cos(a), r * np.sin(a)]


def judged(x, planes=None, zooms=(None,), seed=0) -> pd.DataFrame:
    planes = {} if planes is None else planes
    return vd.structure_verdicts(x, planes, list(zooms), vd.VerdictSettings(), seed)[0]


def test_elliptical_null_keeps_radii_and_covariance_but_not_directions():
    from zatlas.analysis import nulls

    x = clustered_cloud(4000, 8, seed=20)
    y = nulls.elliptical_null(x, np.random.default_rng(0))
    r_x, _ = nulls.mahalanobis_radii(x)
    w = nulls.Whitening(x).whiten(y)
    np.testing.assert_allclose(np.sort(np.linalg.norm(w, axis=1)), np.sort(r_x), rtol=1e-6)
    np.testing.assert_allclose(np.cov(y, rowvar=False), np.cov(x, rowvar=False), atol=0.4)
    # the clusters are gone: far fewer close pairs in the cluster coordinates
    d_x, d_y = st.knn_distances(x[:, :4], 1), st.knn_distances(y[:, :4], 1)
    assert np.median(d_y) > 3 * np.median(d_x)


def test_gaussian_radius_law_has_the_exact_mean_and_median():
    from zatlas.analysis import nulls

    n, p = 3000, 64
    r, rank = nulls.mahalanobis_radii(np.random.default_rng(21).standard_normal((n, p)))
    assert rank == p
    # sum of squared radii with the sample's own covariance is exactly (n - 1) p
    assert (r**2).sum() == pytest.approx((n - 1) * p, rel=1e-9)
    assert nulls.gaussian_radius_cdf(np.median(r**2), n, p) == pytest.approx(0.5, abs=0.03)
    # not chi-square: with estimated mean and covariance, d^2 <= (n - 1)^2 / n exactly
    small, _ = nulls.mahalanobis_radii(np.random.default_rng(22).standard_normal((100, p)))
    assert (small**2).max() <= 99**2 / 100
    assert nulls.gaussian_radius_cdf(99**2 / 100, 100, p) == 1.0


def test_tyler_shape_of_heavy_tails_is_the_true_shape():
    from zatlas.analysis import nulls

    shape = np.array([[4.0, 1.0, 0.0], [1.0, 2.0, 0.0], [0.0, 0.0, 0.5]])
    y = t_cloud(20_000, 3, 3, seed=22) @ np.linalg.cholesky(shape).T  # t(3): no 4th moment
    est = nulls.tyler_shape(y)
    np.testing.assert_allclose(est / np.trace(est) * np.trace(shape), shape, atol=0.12)


def test_gaussian_cloud_passes_every_verdict():
    x = np.random.default_rng(23).standard_normal((3000, 64))
    table = judged(x, {"PC1/PC2": x[:, :2]})
    assert (table["verdict"] == vd.CONSISTENT).all()
    assert (table["n_tests"] == 4).all() and set(table["statistic"]) == {
        "radii_not_gaussian",
        "not_gaussian_nn",
        "clumping",
        "holes",
    }


def test_heavy_tails_are_not_gaussian_but_not_clumped():
    # the false filament: a t(5) cloud was "more clustered than the null"
    table = judged(t_cloud(3000, 64, 5, seed=24)).set_index("statistic")
    assert table.loc["radii_not_gaussian", "verdict"] == "radii not Gaussian"
    assert table.loc["not_gaussian_nn", "verdict"].startswith("NN distances shorter")
    assert table.loc["clumping", "verdict"] == vd.CONSISTENT
    assert table.loc["clumping", "effect_size"] == pytest.approx(1.0, abs=0.035)


def test_tight_clusters_are_clumping_beyond_the_elliptical_null():
    table = judged(clustered_cloud(3000, 64, seed=25)).set_index("statistic")
    assert table.loc["clumping", "verdict"].startswith("structure beyond the radial profile")
    assert table.loc["clumping", "effect_size"] < 0.7
    assert table.loc["radii_not_gaussian", "verdict"] == vd.CONSISTENT


def test_points_on_a_curve_in_256_dimensions_are_a_filament():
    table = judged(curve_in(256, 2000, seed=6)).set_index("statistic")
    assert table.loc["clumping", "verdict"].startswith("structure beyond the radial profile")
    assert table.loc["clumping", "effect_size"] < 0.5


def test_flat_disk_has_no_holes_but_an_annulus_has():
    from zatlas.analysis import voids

    # the false void: the corners of the window around a disk are not holes
    disk, ring = disk_plane(20_000, seed=26), disk_plane(20_000, seed=27, hole=2.0)
    rng = np.random.default_rng(0)
    flat = voids.void_test(disk, 6.0, 40, 0.5, 3.0, 600, rng)
    assert flat["voids_data"] == 0 and flat["p_monte_carlo"] == 1.0
    holed = voids.void_test(ring, 6.0, 40, 0.5, 3.0, 600, rng)
    assert holed["voids_data"] > 40 and holed["voids_null_max"] < 15
    assert holed["p_monte_carlo"] == pytest.approx(1 / 601)


def test_enclosed_drops_empty_regions_that_touch_the_edge():
    from zatlas.analysis import voids

    empty = np.zeros((6, 6), dtype=bool)
    empty[0, :] = True  # the window's top row
    empty[2:4, 2:4] = True  # a 2 x 2 hole inside
    empty[4, 5] = True  # on the right edge
    found = voids.enclosed(empty)
    assert found.sum() == 4 and found[2:4, 2:4].all()
    # diagonal contact with the edge region counts as touching (8-neighbourhood)
    empty[1, 1] = True
    assert voids.enclosed(empty).sum() == 0


def test_monte_carlo_replicates_suffice_for_the_corrected_alpha():
    s = vd.VerdictSettings(alpha=0.01, null_replicates=50)
    for m in (1, 6, 15):
        b = s.replicates(m)
        assert 1 / (1 + b) < s.alpha / m
    ring = disk_plane(5000, seed=28, hole=2.0)
    x = np.random.default_rng(29).standard_normal((5000, 16))
    table = judged(x, {"ring": ring, "disk": disk_plane(5000, seed=30)}, zooms=(None, 6.0))
    holes = table[table["statistic"] == "holes"]
    assert (table["n_tests"] == 7).all() and len(holes) == 4
    assert holes["test"].str.contains(f"{s.replicates(7)} replicates").all()
    verdict = holes.set_index("detail")["verdict"]
    assert verdict["ring zoom full"] == "holes inside the support of ring"
    # zoomed in to the hole, the ring's window holds too few points to expect any there
    assert (holes[holes["detail"].str.startswith("disk")]["verdict"] == vd.CONSISTENT).all()


def test_structure_stage_tsne_uses_a_random_subset_and_the_configured_perplexity(
    tmp_path, monkeypatch
):
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
    names = ("nn", "voids", "verdicts", "summary", "figure", "tsne")
    out = {k: tmp_path / f"{k}.{'png' if k in ('figure', 'tsne') else 'csv'}" for k in names}
    defaults = vd.VerdictSettings()
    structure.run(
        tmp_path / "z.npy",
        out["nn"],
        out["voids"],
        out["verdicts"],
        tmp_path / "summary.json",
        out["figure"],
        out["tsne"],
        model="m",
        max_points=400,
        test_points=100,
        alpha=0.01,
        nn_dims=5,
        nn_k=10,
        min_nn_effect=defaults.min_nn_effect,
        min_radius_ks=defaults.min_radius_ks,
        grid=20,
        bandwidth=0.5,
        min_expected=3.0,
        min_void_share=0.02,
        null_replicates=10,
        tsne_points=100,
        tsne_perplexity=7.5,
        planes=[[1, 2]],
        zooms=[None],
        tsne_iter=250,
        scale="relative",
        tsne_schedule="opentsne",
        seed=3,
    )
    (data, perplexity), (null, _) = seen
    rows = data[:, 0].astype(int)
    assert perplexity == 7.5 and len(rows) == 100 == len(null)
    assert rows.max() > 200  # not the 100 lowest indices
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["tsne_perplexity"] == 7.5 and summary["n_tests"] == 4
