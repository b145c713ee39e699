"""The full-study cost model (benchmarks/full_scale.py): known answers by hand."""

import sys
from pathlib import Path

import pandas as pd
import pytest

from zatlas.scaling import (
    KMeansSweep,
    compare,
    epoch_images,
    fit_fixed_and_rate,
    grown_cpu_s,
    job_cpu_s,
    kmeans_cpu_s,
    sampled_until,
    train_cpu_s,
    train_from_job,
    tsne_cpu_s,
    within,
)

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


def test_kmeans_fixed_subset_fits_do_not_grow_with_n():
    # no cost per point outside the subset fits: the sweep costs what it cost at 20,000
    # points at any N, 200,000 or 2,000,000
    def free(k):
        return 0.0

    for n in (20_000, 200_000, 2_000_000):
        assert kmeans_cpu_s(SWEEP, 10.0, 20_000, SWEEP, n, free) == pytest.approx(10.0, rel=1e-12)


def test_train_cost_from_a_per_step_time_at_the_target_size():
    # 0.64 CPU-s per step of 128 images at 96 px = 0.005 s per image: 24 epochs of
    # 162,770 images = 19,532.4 s; the same steps at 64 px say nothing about it
    assert train_cpu_s(162_770, 24, 0.64 / 128) == pytest.approx(19_532.4, rel=1e-12)


def test_fixed_and_per_point_cost_from_two_sizes():
    # 30 s at 5,000 points and 90 s at 20,000: 4 ms per point above 10 s
    fixed, rate = fit_fixed_and_rate([5_000, 20_000], [30.0, 90.0])
    assert fixed == pytest.approx(10.0, rel=1e-9) and rate == pytest.approx(0.004, rel=1e-9)
    # one size, or a negative fixed part: all of it per point
    assert fit_fixed_and_rate([20_000], [90.0]) == (0.0, pytest.approx(0.0045))
    assert fit_fixed_and_rate([5_000, 20_000], [10.0, 90.0]) == (0.0, pytest.approx(0.004))


def test_tsne_runs_from_the_fitted_z_cost_and_the_pca_ratio():
    measured = {(5_000, False): [30.0], (20_000, False): [88.0, 92.0], (5_000, True): [15.0]}
    # z: 10 + 0.004 n; PCA: half the z cost at 5,000 points
    runs = [(165_000, False), (80_000, False), (20_000, True)]
    assert tsne_cpu_s(measured, runs) == pytest.approx(670 + 330 + 45, rel=1e-9)


def test_tsne_with_a_per_point_rate_measured_at_larger_sizes():
    measured = {(5_000, False): [30.0], (20_000, False): [90.0], (5_000, True): [15.0]}
    # 2.5 ms per point (measured from 20,000 to 80,000 points) through the 20,000-point
    # job: 40 + 0.0025 n; PCA at 20,000: half of the 90 s z run
    runs = [(165_000, False), (20_000, True)]
    assert tsne_cpu_s(measured, runs, rate=0.0025) == pytest.approx(452.5 + 45, rel=1e-9)


def test_a_job_grows_by_its_stage_s_measured_growth_only():
    # job 6 s at 20,000 points; the stage's own code 1 s there and 9 s at 202,599:
    # 14 s, where x N would say 61 s
    assert grown_cpu_s(6.0, 1.0, 9.0) == pytest.approx(14.0, rel=1e-12)
    assert grown_cpu_s(6.0, 1.0, 0.8) == 6.0  # noise never shrinks the job


def test_compare_gives_the_ratio_and_the_verdict():
    assert compare(124.0, 100.0) == (pytest.approx(1.24), True)
    assert compare(60.0, 80.0) == (pytest.approx(0.75), True)
    assert compare(59.0, 80.0)[1] is False


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


def test_full_scale_wall_time_trains_the_models_in_waves_as_the_workflow_schedules_them():
    # without a GPU a training job gets half the cores (up to 8 threads) and as many train
    # side by side as the cores hold: 3 models on 2 cores are two waves on one thread each
    sys.path.insert(0, str(REPO / "benchmarks"))
    import full_scale

    table = pd.DataFrame(
        [
            {"rule": "prepare", "full_cpu_s": 400.0, "full_max_job_cpu_s": 400.0},
            {"rule": "train", "full_cpu_s": 3 * 7200.0, "full_max_job_cpu_s": 7200.0},
            {"rule": "encode", "full_cpu_s": 3 * 600.0, "full_max_job_cpu_s": 600.0},
            {"rule": "tsne", "full_cpu_s": 900.0, "full_max_job_cpu_s": 100.0},
            {"rule": "radius", "full_cpu_s": 300.0, "full_max_job_cpu_s": 100.0},
        ]
    )
    two = full_scale.wall_on(table, 2, 3)
    assert two["train"] == pytest.approx(2 * 7200)  # not 3 x 7200 / 2
    assert two["encode"] == pytest.approx(2 * 600)
    assert two["prepare"] == pytest.approx(200)
    assert two["analyses"] == pytest.approx((900 + 300) / 2)
    assert two["total"] == pytest.approx(14400 + 1200 + 200 + 600)
    # 16 cores: 8 threads per model, 2 side by side, again two waves
    assert full_scale.wall_on(table, 16, 3)["train"] == pytest.approx(2 * 7200 / 8)
    # 2 models on 2 cores: one wave
    two_models = table.assign(full_cpu_s=[400.0, 2 * 7200.0, 2 * 600.0, 900.0, 300.0])
    assert full_scale.wall_on(two_models, 2, 2)["train"] == pytest.approx(7200)
    # 4 cores: 2 threads each, 2 side by side
    assert full_scale.wall_on(table, 4, 3)["train"] == pytest.approx(2 * 7200 / 2)


def test_the_lloyd_probe_times_a_step_as_the_stage_takes_it(monkeypatch):
    # the stage sums |x|^2 once per sweep and passes it to every Lloyd step; a probe
    # step without it also timed that pass, and k-means came out twice its cost
    sys.path.insert(0, str(REPO / "benchmarks"))
    import full_scale

    from zatlas.analysis import kmeans

    given = []
    monkeypatch.setattr(
        kmeans, "lloyd_step", lambda x, centres, x_sq_total=None: given.append(x_sq_total)
    )
    got = full_scale.probe_lloyd([2, 4], d=3, n=50)
    assert set(got) == {2, 4} and all(v >= 0 for v in got.values())
    assert given and all(g is not None for g in given)


def test_full_scale_runs_a_stage_under_every_rule_name_it_has():
    # `--until encode` alone leaves the VAEs unencoded: their rule is encode_vae
    sys.path.insert(0, str(REPO / "benchmarks"))
    import full_scale

    got = full_scale.until_rules(["encode", "radius", "encode"])
    assert got == ["encode", "encode_vae", "radius"]


def test_full_scale_compares_each_part_at_the_n_its_reference_was_measured_at():
    sys.path.insert(0, str(REPO / "benchmarks"))
    import full_scale

    full = full_scale.full_config()  # k = 2..80 step 2, 3 seeds, 20,000-point fits; 3 models
    cfg = full_scale.full_config_defaults(
        {"run": "r", "data": {"dataset": "synthetic", "n_images": 20_000, "image_size": 96}}
    )
    jobs = pd.DataFrame(
        [
            {"rule": "kmeans", "job": m, "wall_s": 1, "cpu_s": 50.0, "rss_mb": 1}
            for m in ("ae", "vae_tiny")
        ]
    )
    probes = {"lloyd": {2: 1e-6, 80: 1e-6}}
    reference = pd.DataFrame(
        [
            {
                "part": "kmeans",
                "rules": "kmeans",
                "cpu_s": 400,
                "two_cores": "",
                "n_images": "162770",
            },
            {"part": "total", "rules": "", "cpu_s": 300, "two_cores": "", "n_images": ""},
        ]
    )
    table = full_scale.extrapolate(jobs, cfg, full, probes)
    got = full_scale.against_reference(table, jobs, cfg, full, probes, reference)
    # per model: 50 s less the rehearsal's inertia passes (3 seeds x 40 k x 20,000 x 1 us
    # = 2.4 s) plus 3 refinement steps and the inertia pass over 162,770 points (3 x 40 x 4
    # x 162,770 x 1 us = 78.1296 s); 3 models
    kmeans = got[got["part"] == "kmeans"].iloc[0]
    assert kmeans["estimate_cpu_s"] == pytest.approx(3 * (50 - 2.4 + 78.1296), rel=1e-9)
    assert kmeans["ratio"] == pytest.approx(3 * 125.7296 / 400, rel=1e-9)
    assert bool(kmeans["within_25"])
    # the total is the full study's: the passes over all 202,599 points
    total = got[got["part"] == "total"].iloc[0]
    assert total["estimate_cpu_s"] == pytest.approx(3 * (50 - 2.4 + 0.48 * 202_599 * 1e-3))
    assert total["ratio"] == pytest.approx(3 * (47.6 + 97.24752) / 300, rel=1e-9)
    assert not bool(total["within_25"])


def test_training_from_a_job_at_the_target_size():
    # 100 CPU-s for one epoch of 16,000 + 2,000 images (a validation image costing 0.4 of
    # a training one: 16,800 equivalents), 10 of them start-up; 24 epochs of 162,770 +
    # 19,867 images are 4,097,203.2 equivalents
    full = epoch_images(162_770, 19_867, 24, 0.4)
    assert full == pytest.approx(4_097_203.2, rel=1e-12)
    got = train_from_job(100.0, 10.0, epoch_images(16_000, 2_000, 1, 0.4), full)
    assert got == pytest.approx(10 + 90 * 4_097_203.2 / 16_800, rel=1e-12)


def test_full_scale_checks_training_with_the_rehearsal_s_own_epoch():
    sys.path.insert(0, str(REPO / "benchmarks"))
    import full_scale

    full = full_scale.full_config()
    cfg = full_scale.full_config_defaults(
        {
            "run": "r",
            "data": {"dataset": "synthetic", "n_images": 20_000, "image_size": 96},
            "training": {"epochs": 1},
        }
    )
    jobs = pd.DataFrame(
        [
            {"rule": "train", "job": "ae", "wall_s": 1, "cpu_s": 100.0, "rss_mb": 1},
            {"rule": "train", "job": "vae_tiny", "wall_s": 1, "cpu_s": 120.0, "rss_mb": 1},
            {"rule": "samples", "job": "ae", "wall_s": 1, "cpu_s": 10.0, "rss_mb": 1},
        ]
    )
    probes = {"train": {"ae": (0.005, 0.002, 0.001), "vae": (0.006, 0.002, 0.001)}}
    got = full_scale.train_from_rehearsal(jobs, cfg, full, probes)
    # AE: 10 + 90 x 24 x (162,770 + 0.4 x 19,867) / (16,000 + 0.4 x 2,000); each VAE:
    # 10 + 110 x 24 x (162,770 + 19,867 / 3) / (16,000 + 2,000 / 3)
    ae = 10 + 90 * 24 * 170_716.8 / 16_800
    vae = 10 + 110 * 24 * (162_770 + 19_867 / 3) / (16_000 + 2_000 / 3)
    assert got == pytest.approx(ae + 2 * vae, rel=1e-12)


def test_the_docs_table_shows_the_benchmark_s_reference_numbers():
    # docs/performance.md and benchmarks/full_scale.py read the same full-size numbers:
    # the table's "2 CPU cores, measured" cell and the rule-by-rule table's reference
    sys.path.insert(0, str(REPO / "benchmarks"))
    import full_scale

    doc = (REPO / "docs" / "performance.md").read_text().splitlines()
    reference = full_scale.read_reference()
    assert set(reference["part"]) >= {"train", "kmeans", "tsne", "total"}
    for ref in reference.itertuples():
        label = "**total**" if ref.part == "total" else f"`{ref.part}`"
        rows = [line for line in doc if line.startswith(f"| {label}")]
        assert len(rows) == 2, (ref.part, rows)  # the needs table and the rule-by-rule one
        needs = [c.strip() for c in rows[0].split("|")]
        assert needs[4] == ref.two_cores
        versus = [c.strip() for c in rows[1].split("|")]
        assert versus[3] == full_scale.hours(float(ref.cpu_s))


def test_a_job_s_cpu_time_is_carried_from_the_benchmark_s_last_sample_to_its_end():
    # samples every 0.5 s up to 15 s, then at 45, 75, ...: a 44-s job was last sampled at
    # 15 s, a 241.7-s one at 225 s, a 10-s one at its end
    assert sampled_until(10.0) == 10.0
    assert sampled_until(44.0) == 15.0
    assert sampled_until(45.0) == 45.0
    assert sampled_until(241.7) == 225.0
    assert job_cpu_s(8.0, 44.0) == pytest.approx(8.0 * 44.0 / 15.0, rel=1e-12)
    assert job_cpu_s(118.3, 241.7) == pytest.approx(118.3 * 241.7 / 225.0, rel=1e-12)
    assert job_cpu_s(5.0, 10.0) == 5.0


def test_full_scale_encode_and_small_analyses_grow_by_measured_work_only():
    sys.path.insert(0, str(REPO / "benchmarks"))
    import full_scale

    full = full_scale.full_config()  # 202,599 faces, ae + 2 VAEs
    cfg = full_scale.full_config_defaults(
        {"run": "r", "data": {"dataset": "synthetic", "n_images": 20_000, "image_size": 96}}
    )
    jobs = pd.DataFrame(
        [
            {"rule": rule, "job": m, "wall_s": 1, "cpu_s": cpu, "rss_mb": 1}
            for rule, m, cpu in [
                ("encode", "ae", 20.0),
                ("encode", "vae_tiny", 30.0),
                ("radius", "ae", 6.0),
                ("radius", "vae_tiny", 6.0),
                ("vae_stats", "vae_tiny", 4.0),
            ]
        ]
    )
    probes = {
        "train": {"ae": (0.005, 0.002, 0.001), "vae": (0.006, 0.002, 0.002)},
        "analyses": {"radius": (1.0, 9.0), "vae_stats": (0.5, 2.5)},
    }
    table = full_scale.extrapolate(jobs, cfg, full, probes).set_index("rule")["full_cpu_s"]
    # encode: each job + the 182,599 images still to encode at the probe's rate
    assert table["encode"] == pytest.approx(20 + 182.599 + 2 * (30 + 365.198), rel=1e-12)
    # radius: 6 s + 8 s of growth, 3 models; vae_stats: 4 s + 2 s, the 2 VAEs
    assert table["radius"] == pytest.approx(42.0, rel=1e-12)
    assert table["vae_stats"] == pytest.approx(12.0, rel=1e-12)


def test_full_scale_kmeans_takes_the_one_thread_sweep_over_the_job():
    sys.path.insert(0, str(REPO / "benchmarks"))
    import full_scale

    full = full_scale.full_config()
    cfg = full_scale.full_config_defaults(
        {"run": "r", "data": {"dataset": "synthetic", "n_images": 20_000, "image_size": 96}}
    )
    jobs = pd.DataFrame([{"rule": "kmeans", "job": "ae", "wall_s": 1, "cpu_s": 500.0, "rss_mb": 1}])
    probes = {"lloyd": {2: 1e-6, 80: 1e-6}, "kmeans": 50.0}
    table = full_scale.extrapolate(jobs, cfg, full, probes).set_index("rule")["full_cpu_s"]
    # 50 s less 2.4 s of inertia passes at 20,000 points, plus 0.48 ms x 202,599 points
    # of passes at full size; 3 models (the job's 500 s, spinning threads, is not used)
    assert table["kmeans"] == pytest.approx(3 * (47.6 + 0.48e-3 * 202_599), rel=1e-9)
