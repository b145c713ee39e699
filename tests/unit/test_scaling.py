"""The full-study cost model (benchmarks/full_scale.py): known answers by hand."""

import sys
from pathlib import Path

import pandas as pd
import pytest

from zatlas.scaling import KMeansSweep, kmeans_cpu_s, train_cpu_s, within

REPO = Path(__file__).resolve().parents[2]


def per_point(k):
    return 1e-6 * k  # CPU s of one Lloyd step per point at k clusters


SWEEP = KMeansSweep(ks=(2, 4), n_seeds=1, fit_points=20_000, refine_iter=3)


def test_train_cost_is_images_times_epochs_times_the_rate_at_the_target_size():
    assert train_cpu_s(162_770, 24, 1 / 200) == pytest.approx(19_532.4, rel=1e-12)


def test_kmeans_subset_sizes_and_passes_over_all_points():
    assert SWEEP.subset(200_000, 4) == 20_000
    assert SWEEP.full_passes(200_000, 4) == 4  # 3 refinement steps + the inertia pass
    assert SWEEP.subset(20_000, 4) == 20_000
    assert SWEEP.full_passes(20_000, 4) == 1  # the fit saw every point: inertia only
    assert SWEEP.subset(200_000, 3000) == 30_000  # at least 10 points per cluster


def test_kmeans_cost_grows_only_by_the_passes_over_all_points():
    # measured 10 s at 20,000 points, whose one inertia pass per fit costs
    # 20,000 x 1e-6 x (2 + 4) = 0.12 s: the subset fits cost 9.88 s at any N >= 20,000;
    # at 200,000 points: 4 passes x 200,000 x 1e-6 x (2 + 4) = 4.8 s more
    assert kmeans_cpu_s(SWEEP, 10.0, 20_000, SWEEP, 200_000, per_point) == pytest.approx(14.68)
    assert kmeans_cpu_s(SWEEP, 10.0, 20_000, SWEEP, 400_000, per_point) == pytest.approx(19.48)
    # linear scaling (the old estimate) would have said 100 s and 200 s


def test_kmeans_measured_below_the_subset_size_scales_the_fits_to_the_subset():
    # at 10,000 points: 0.06 s of inertia passes, 9.94 s of fits on 10,000 points, which
    # see 20,000 at full size: 19.88 s + 4.8 s of passes
    got = kmeans_cpu_s(SWEEP, 10.0, 10_000, SWEEP, 200_000, per_point)
    assert got == pytest.approx(24.68)


def test_kmeans_more_seeds_and_k_at_full_size():
    full = KMeansSweep(ks=(2, 4, 6), n_seeds=2, fit_points=20_000, refine_iter=3)
    # fits: 9.88 x (2 x 20,000 x 12) / (20,000 x 6) = 39.52; passes: 2 x 4 x 200,000 x 12e-6
    got = kmeans_cpu_s(SWEEP, 10.0, 20_000, full, 200_000, per_point)
    assert got == pytest.approx(39.52 + 19.2)


def test_within_is_relative_to_the_reference():
    assert within(124.0, 100.0) and within(76.0, 100.0)
    assert not within(126.0, 100.0) and not within(74.0, 100.0)


def test_full_scale_train_row_uses_the_probe_rates_per_model_kind():
    sys.path.insert(0, str(REPO / "benchmarks"))
    import full_scale

    full = full_scale.full_config()  # ae, vae_tiny, vae; 24 epochs; CelebA's splits
    cfg = full_scale.full_config_defaults(
        {"run": "r", "data": {"dataset": "synthetic", "n_images": 20_000, "image_size": 64}}
    )
    jobs = pd.DataFrame(
        [
            {"rule": "train", "job": "ae", "wall_s": 1, "cpu_s": 100.0, "rss_mb": 1},
            {"rule": "train", "job": "vae_tiny", "wall_s": 1, "cpu_s": 120.0, "rss_mb": 1},
            {"rule": "samples", "job": "ae", "wall_s": 1, "cpu_s": 10.0, "rss_mb": 1},
        ]
    )
    probes = {"train": {"ae": (0.005, 0.002), "vae": (0.006, 0.002)}}
    table = full_scale.extrapolate(jobs, cfg, full, probes)
    got = float(table.loc[table["rule"] == "train", "full_cpu_s"].iloc[0])
    # 3 x 10 s start-up + 24 epochs x (162,770 x (0.005 + 2 x 0.006) + 19,867 x 3 x 0.002)
    assert got == pytest.approx(30 + 24 * 162_770 * 0.017 + 24 * 19_867 * 0.006, rel=1e-12)
