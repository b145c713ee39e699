"""Known answers for the null-model analyses: structure, dimensions, sampling, attributes."""

import json

import numpy as np
import pandas as pd
import pytest

from zatlas.analysis import active_units as au
from zatlas.analysis import attributes as attr
from zatlas.analysis import density, nulls
from zatlas.analysis import intrinsic_dim as idim


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
