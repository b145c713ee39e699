"""Smoke run of the whole DAG on a tiny synthetic config, then checks on the numbers written."""

import json
import math
import os
import re

import numpy as np
import pandas as pd
import pytest
import yaml

from tests.conftest import TINY, snakemake


def test_images_and_latents_have_the_contracted_shapes(smoke_run):
    images = np.load(smoke_run / "data/images.npy", mmap_mode="r")
    assert images.shape == (240, 32, 32, 3) and images.dtype == np.uint8
    for model in ("ae", "vae_tiny"):
        z = np.load(smoke_run / f"latents/{model}/z.npy", mmap_mode="r")
        assert z.shape == (240, 32) and z.dtype == np.float32 and np.isfinite(z).all()
    mu = np.load(smoke_run / "latents/vae_tiny/mu.npy")
    z = np.load(smoke_run / "latents/vae_tiny/z.npy")
    logvar = np.load(smoke_run / "latents/vae_tiny/logvar.npy")
    # z = mu + exp(logvar / 2) * eps with |eps| <= eps_clip (5 by default), eps not all 0
    eps = (z - mu) / np.exp(logvar / 2)
    assert np.abs(eps).max() <= 5 + 1e-3
    assert 0.5 < eps.std() < 1.5
    assert not (smoke_run / "latents/ae/mu.npy").exists()


def test_training_history_has_every_epoch_and_loss(smoke_run):
    for model in ("ae", "vae_tiny"):
        h = pd.read_csv(smoke_run / f"models/{model}/history.csv")
        assert h["epoch"].tolist() == [1, 2]
        for col in ("loss", "reco_loss", "kl_loss", "val_loss", "val_reco_loss", "val_kl_loss"):
            assert np.isfinite(h[col]).all(), col
        # blog scale: BCE summed over 32x32x3 pixels is of order 3072 * ~0.5
        assert 300 < h["reco_loss"].iloc[-1] < 3072
        assert not (smoke_run / f"models/{model}/backup").exists()
    assert (pd.read_csv(smoke_run / "models/ae/history.csv")["kl_loss"] == 0).all()


def test_radius_tables_sum_to_n(smoke_run):
    for model in ("ae", "vae_tiny"):
        t = pd.read_csv(smoke_run / f"analysis/{model}/radius/density.csv")
        assert sorted(t["bin_width"].unique()) == [0.05, 0.5]
        assert (t.groupby("bin_width")["count"].sum() == 240).all()
        s = json.loads((smoke_run / f"analysis/{model}/radius/summary.json").read_text())
        assert s["gaussian_expectation"] == math.sqrt(32)
        # one peak inside the data, or no single peak and its modes listed
        modes = [s["peak"]] if s["n_modes"] == 1 else s["modes"]
        assert len(modes) == s["n_modes"] and all(s["min"] <= m <= s["max"] for m in modes)


def test_axes_pca_tsne_tables(smoke_run):
    table = pd.read_csv(smoke_run / "analysis/ae/axes/table.csv")
    assert len(table) == 32
    single = table["n_modes"] == 1  # a FWHM where one peak, none where several modes
    assert (table.loc[single, "fwhm"] > 0).all() and table.loc[~single, "fwhm"].isna().all()
    var = pd.read_csv(smoke_run / "analysis/ae/pca/variance.csv")
    assert var["cumulative"].iloc[-1] <= 1 + 1e-6 and var["ratio"].is_monotonic_decreasing
    zoom = pd.read_csv(smoke_run / "analysis/ae/pca/zoom_counts.csv")
    assert (zoom[zoom["zoom"] == "full"]["n_inside"] == 240).all()
    # relative lengths by default: the stages say so, with the unit and the sides it gave
    axes = json.loads((smoke_run / "analysis/ae/axes/summary.json").read_text())
    pca = json.loads((smoke_run / "analysis/ae/pca/summary.json").read_text())
    assert axes["scale"] == pca["scale"] == "relative" and axes["unit"] == pca["unit"] > 0
    assert axes["unit"] == pytest.approx(table["std"].median())
    assert pca["sides"] == [None, pytest.approx(2 * pca["unit"])]
    # the 100000-point request is capped at N = 240
    emb = pd.read_csv(smoke_run / "analysis/vae_tiny/tsne/z-n240-p10-ee12.csv")
    assert len(emb) == 240 and emb["index"].is_unique and np.isfinite(emb[["x", "y"]]).all().all()
    assert len(pd.read_csv(smoke_run / "analysis/ae/tsne/pca2-n150-p10-ee12.csv")) == 150


def test_kmeans_inertia_is_non_increasing(smoke_run):
    s = json.loads((smoke_run / "analysis/ae/kmeans/summary.json").read_text())
    means = [row["mean"] for row in s["per_k"]]
    assert [row["k"] for row in s["per_k"]] == [2, 4, 6, 8, 10, 12]
    assert all(b <= a * 1.02 for a, b in zip(means, means[1:], strict=False))
    assert 2 <= s["elbow_k"] <= 12


def test_vae_statistics_exist_and_are_finite(smoke_run):
    s = json.loads((smoke_run / "analysis/vae_tiny/vae_stats/stats.json").read_text())
    numbers = {k: v for k, v in s.items() if k != "model"}
    assert numbers and all(math.isfinite(v) for v in numbers.values())
    assert s["logvar_min"] <= s["logvar_mean"] <= s["logvar_max"]
    assert not (smoke_run / "analysis/ae/vae_stats").exists()


def test_samples_and_comparison(smoke_run):
    t = pd.read_csv(smoke_run / "analysis/ae/samples/summary.csv")
    assert t["distribution"].tolist() == ["normal", "uniform_2", "uniform_10"]
    ratio = t.set_index("distribution")["nearest_data_ratio_median"]
    assert ratio["uniform_10"] > ratio["uniform_2"]
    comp = pd.read_csv(smoke_run / "compare/compare.csv")
    assert comp["model"].tolist() == ["ae", "vae_tiny"]
    assert np.isnan(comp.set_index("model").loc["ae", "logvar_mean"])
    assert np.isfinite(comp.set_index("model").loc["vae_tiny", "logvar_mean"])


def test_report_shows_every_figure_and_table(smoke_run):
    html = (smoke_run / "report/index.html").read_text()
    figures = sorted(smoke_run.glob("**/*.png"))
    assert len(figures) >= 2 * 12
    assert html.count("<img ") == len(figures)
    for fig in figures:
        assert fig.stat().st_size > 1000
        # each figure is embedded and links to its full-size file, relative to the page
        rel = os.path.relpath(fig, smoke_run / "report")
        assert f"href='{rel}'" in html, rel
    sections = ("Summary", "Reproduction scorecard", "Training", "t-SNE", "Provenance")
    for section in sections + ("Number density vs radius",):
        assert section in html
    assert "kl_factor" in html  # the resolved config is printed
    # every job's benchmark file is in the runtime table: all but the report's own (written
    # after the page), plus acquire's, which lives beside the data under resources/
    n_bench = len(list((smoke_run / "benchmarks").glob("**/*.tsv")))
    assert int(re.search(r"per job \((\d+) jobs\)", html).group(1)) == n_bench


def _jobs_of(proc, rule: str) -> int:
    found = re.search(rf"^{rule}\s+(\d+)$", proc.stdout + proc.stderr, re.M)
    return int(found.group(1)) if found else 0


def test_other_cores_or_one_more_model_retrain_no_finished_model(smoke_run, tmp_path):
    # a train job is told, for its ETA only, how many models train side by side (from
    # --cores) and which models the run has: neither may make Snakemake retrain a model
    work = smoke_run.parent.parent
    same = snakemake(work, work / "tiny.yaml", "-n", "--cores", "1")
    assert same.returncode == 0, same.stderr[-3000:]
    assert _jobs_of(same, "train") == 0, same.stdout + same.stderr
    grown = {**TINY, "models": {**TINY["models"], "vae_big": {"type": "vae", "kl_factor": 5.0}}}
    (tmp_path / "grown.yaml").write_text(yaml.safe_dump(grown))
    more = snakemake(work, tmp_path / "grown.yaml", "-n", "--cores", "2")
    assert more.returncode == 0, more.stderr[-3000:]
    assert _jobs_of(more, "train") == 1, more.stdout + more.stderr
    assert "model=vae_big" in more.stdout + more.stderr


def test_bad_config_stops_at_parse_time_naming_the_key(tmp_path):
    bad = {**TINY, "architecture": {"z_dim": -3}}
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(bad))
    proc = snakemake(tmp_path, tmp_path / "bad.yaml", "-n")
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "architecture.z_dim" in out and "Traceback" not in out
    assert not (tmp_path / "results").exists()


def test_analysis_numbers_beside_every_figure(smoke_run):
    a = smoke_run / "analysis"
    for model in ("ae", "vae_tiny"):
        s = json.loads((a / f"{model}/radius/summary.json").read_text())
        assert [p["bin_width"] for p in s["peaks"]] == [0.5, 0.05]
        assert all(s["min"] <= p["peak"] <= s["max"] for p in s["peaks"])
        dens = pd.read_csv(a / f"{model}/axes/density.csv")
        assert sorted(dens["axis"].unique()) == list(range(32))
        assert (dens.groupby("axis")["count"].sum() == 240).all()
        var = pd.read_csv(a / f"{model}/pca/variance.csv")
        assert len(var) == 32 and math.isclose(var["cumulative"].iloc[-1], 1, rel_tol=1e-6)
        # the planes of original axes are the two most dominant axes of the axes table
        table = pd.read_csv(a / f"{model}/axes/table.csv")
        # (an axis with several modes ranks by its mean and a Gaussian FWHM for its sd)
        centre = table["center"].fillna(table["mean"]).abs()
        score = np.maximum(centre, table["fwhm"].fillna(2.3548 * table["std"]))
        top = table["axis"].to_numpy()[np.argsort(-score.to_numpy(), kind="stable")[:2]]
        zoom = pd.read_csv(a / f"{model}/pca/zoom_counts.csv")
        assert f"axis {top[0]}/axis {top[1]}" in set(zoom["plane"])
        for variant, dim in (("z-n240-p10-ee12", 32), ("pca2-n150-p10-ee12", 2)):
            t = json.loads((a / f"{model}/tsne/{variant}.json").read_text())
            assert t["input_dim"] == dim and 0 < t["knn_recall_10"] <= 1
            assert t["schedule"] == "opentsne"
        km = json.loads((a / f"{model}/kmeans/summary.json").read_text())
        assert km["n_fits"] == 12 and km["n_points"] == 240
        assert len(pd.read_csv(a / f"{model}/kmeans/sweep.csv")) == 12
    vs = pd.read_csv(a / "vae_tiny/vae_stats/stats.csv")
    assert vs["metric"].iloc[0] == "n_points" and vs["value"].iloc[0] == 240
    assert "radius from mu: mean" in set(vs["quantity"])
    comp = pd.read_csv(smoke_run / "compare/compare.csv").set_index("model")
    assert (comp["inertia_ratio_last_first"] < 1).all()
    assert comp.loc["vae_tiny", "abs_z_minus_mu_fraction_above_0.05"] <= 1


def test_structure_dimensions_sampling_attributes_and_kl_sweep(smoke_run):
    a = smoke_run / "analysis"
    from zatlas.analysis.verdicts import LABELS

    judged = {"consistent with the null", *(v for pair in LABELS.values() for v in pair)}
    for model in ("ae", "vae_tiny"):
        v = pd.read_csv(a / f"{model}/structure/verdicts.csv")
        assert (v["model"] == model).all() and v["statistic"].iloc[-1] == "overall"
        assert v["p_value"].between(0, 1).all()
        tests = v.iloc[:-1]
        named = tests["verdict"].str.startswith("holes inside the support of PC")
        assert (tests.loc[~named, "verdict"].isin(judged)).all()
        # a verdict other than "consistent" always rests on a significant test
        assert tests.loc[tests["verdict"] != "consistent with the null", "significant"].all()
        # 3 tests on the whole cloud, 7 clumping ranks and 2 planes x 2 zooms, all corrected
        assert (v["statistic"] == "holes").sum() == 4 and (v["n_tests"] == 14).all()
        assert (v["statistic"] == "clumping").sum() == 7
        holes = pd.read_csv(a / f"{model}/structure/voids.csv")
        assert holes.loc[holes["zoom"] == "full", "n_inside"].between(228, 240).all()
        tested = holes["hole_expected"] >= 25
        assert (holes.loc[tested, "replicates"] >= 2 * 14 / v["alpha"].iloc[0]).all()
        s = json.loads((a / f"{model}/structure/summary.json").read_text())
        assert s["verdict"] == v["verdict"].iloc[-1] and s["n_points"] == 240
        assert s["verdict"].split(";")[0] == s["clumping_finding"]
        assert s["tsne_perplexity"] == 12  # the configured one

        dims = pd.read_csv(a / f"{model}/intrinsic_dim/dimensions.csv")
        assert dims["estimator"].tolist() == ["twonn", "mle_k5", "mle_k10", "mle_k20"]
        assert (dims["data"] > 0).all() and (dims["null"] > 0).all()
        assert (dims["z_dim"] == 32).all()
        units = pd.read_csv(a / f"{model}/intrinsic_dim/active_units.csv")
        d = json.loads((a / f"{model}/intrinsic_dim/summary.json").read_text())
        assert len(units) == 32 and d["active_units"] == units["active"].sum()

        sc = pd.read_csv(a / f"{model}/sampling/scores.csv").set_index("strategy")
        assert list(sc.index) == [
            "normal",
            "uniform_2",
            "uniform_10",
            "gaussian_diag",
            "gaussian_full",
            "gmm",
            "held_out",
        ]
        assert sc.loc["held_out", "n"] == 48  # the validation and test images
        assert sc.loc["uniform_10", "score_median"] > sc.loc["held_out", "score_median"]
        assert sc["on_manifold_fraction"].between(0, 1).all() and (sc["cycle_mse_mean"] >= 0).all()

        nmi = pd.read_csv(a / f"{model}/attributes/nmi.csv")
        assert len(nmi) == 40 and nmi["nmi"].between(0, 1).all()
        assert nmi["nmi"].is_monotonic_decreasing
        assert json.loads((a / f"{model}/attributes/summary.json").read_text())["k"] == 40

    kl = pd.read_csv(smoke_run / "kl_sweep/kl_sweep.csv").set_index("model")
    assert list(kl.index) == ["ae", "vae_tiny"] and kl.loc["vae_tiny", "kl_factor"] == 1e-5
    hist = pd.read_csv(smoke_run / "models/vae_tiny/history.csv")
    assert math.isclose(kl.loc["vae_tiny", "reco_loss"], hist["val_reco_loss"].iloc[-1])
    d = json.loads((a / "vae_tiny/intrinsic_dim/summary.json").read_text())
    assert kl.loc["vae_tiny", "active_units"] == d["active_units"]
    assert np.isnan(kl.loc["ae", "logvar_mean"]) and np.isfinite(kl.loc["vae_tiny", "logvar_mean"])


def test_traversals_and_interpolations_tables(smoke_run):
    for model in ("ae", "vae_tiny"):
        folder = smoke_run / f"analysis/{model}/traversals"
        change = pd.read_csv(folder / "change.csv")
        # the 2 most dominant axes and 2 leading PCs (the defaults), largest change first
        assert sorted(change["kind"]) == ["axis", "axis", "pc", "pc"]
        assert change["pixel_change_per_unit"].is_monotonic_decreasing
        assert (change["pixel_change_per_unit"] >= 0).all() and (
            change["t_high"] > change["t_low"]
        ).all()
        for name in ("axis-rank1", "axis-rank2", "pc1", "pc2"):
            assert (folder / f"{name}.png").stat().st_size > 1000
        folder = smoke_run / f"analysis/{model}/interpolations"
        paths = pd.read_csv(folder / "paths.csv").set_index("path")
        assert paths.loc["straight", "pairs"] == 4
        scores = pd.read_csv(folder / "scores.csv")
        # both ends of every path are real codes: score 0 there
        ends = scores[scores["fraction"].isin([0.0, 1.0])]
        assert len(ends) == 2 * paths["pairs"].sum() and (ends["score"] < 1e-6).all()
        pairs = pd.read_csv(folder / "pairs.csv")
        straight = pairs[pairs["path"] == "straight"].set_index("pair")["length"]
        graph = pairs[pairs["path"] == "graph"].set_index("pair")["length"]
        # no path between two points is shorter than the straight line
        assert (graph >= straight[graph.index] - 1e-4).all()


def test_umap_runs_on_the_tsne_subsets(smoke_run):
    for model in ("ae", "vae_tiny"):
        s = json.loads((smoke_run / f"analysis/{model}/umap/summary.json").read_text())
        assert [v["variant"] for v in s["variants"]] == ["z-n150", "z-n240", "pca2-n150"]
        assert all(0 < v["knn_recall_10"] <= 1 for v in s["variants"])
        emb = pd.read_csv(smoke_run / f"analysis/{model}/umap/embeddings.csv")
        assert emb.groupby("variant").size().to_dict() == {
            "z-n150": 150,
            "z-n240": 240,
            "pca2-n150": 150,
        }
