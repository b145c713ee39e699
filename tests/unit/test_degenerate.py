"""Latents an analysis cannot map (one point, copies, no spread, NaN): each stage says so in
its outputs instead of failing with a traceback ("Input X contains NaN" in t-SNE, a
zero-size array in the structure tests)."""

import json

import numpy as np
import pandas as pd
import pytest

from tests.conftest import TINY
from zatlas.analysis.degenerate import distinct_rows, latent_problem


def test_distinct_rows_counts_exact_copies():
    x = np.array([[1.0, 2.0], [1.0, 2.0], [1.0, 2.5], [0.0, 0.0]], np.float32)
    assert distinct_rows(x) == 3
    assert distinct_rows(np.zeros((0, 3), np.float32)) == 0


@pytest.mark.parametrize(
    "x, words",
    [
        (np.full((50, 4), 0.3, np.float32), "all 50 latent rows are one point"),
        (np.repeat(np.eye(4, dtype=np.float32), 25, axis=0), "only 4 distinct latent rows of 100"),
        (
            np.where(np.eye(60, 3) > 0, np.nan, 1.0).astype(np.float32),
            "3 of the 60 latent rows hold NaN",
        ),
    ],
)
def test_each_degenerate_case_is_named(x, words):
    why = latent_problem(x, 10, "the test")
    assert why is not None and words in why


def test_a_healthy_cloud_passes():
    x = np.random.default_rng(0).normal(size=(100, 4)).astype(np.float32)
    assert latent_problem(x, 100, "the test") is None
    assert "needs at least 101" in latent_problem(x, 101, "the test")


@pytest.fixture(scope="module")
def resolved():
    from tests.conftest import SCHEMA
    from zatlas.config import validate_config

    return validate_config(json.loads(json.dumps(TINY)), SCHEMA)


@pytest.fixture(scope="module")
def analysis(resolved):
    return resolved["analysis"]


@pytest.fixture
def constant(tmp_path):
    z = tmp_path / "z.npy"
    np.save(z, np.full((240, 8), 0.5, np.float32))
    attrs = tmp_path / "attributes.parquet"
    pd.DataFrame({"image_id": [f"{i}.png" for i in range(240)], "split": "train"}).to_parquet(attrs)
    return z, attrs


def outputs(tmp_path, stage) -> dict:
    """A stage's table, summary and figure paths."""
    ext = {"table": "csv", "summary": "json", "figure": "png"}
    return {k: tmp_path / f"{stage}_{k}.{e}" for k, e in ext.items()}


def not_run(summary) -> str:
    return json.loads(open(summary).read())["not_run"]


def test_tsne_on_one_point_says_so(tmp_path, constant, resolved):
    from zatlas.stages import tsne
    from zatlas.stages.tsne import tsne_variants

    z, attrs = constant
    name, settings = next(iter(tsne_variants(resolved).items()))
    out = outputs(tmp_path, "tsne")
    queries = resolved["analysis"]["tsne"]["recall_queries"]
    tsne.run(z, attrs, *out.values(), "ae", name, settings, None, 1, queries)
    assert f"all {settings['n_points']} latent rows are one point" in not_run(out["summary"])
    assert pd.read_csv(out["table"]).columns.tolist() == ["index", "x", "y"]
    assert out["figure"].stat().st_size > 1000


def test_structure_on_one_point_says_so_in_its_verdicts(tmp_path, constant, analysis):
    from zatlas.stages import structure

    z, _ = constant
    names = ("nn_table", "void_table", "verdicts", "summary", "figure", "tsne_figure")
    ext = {"summary": "json", "figure": "png", "tsne_figure": "png"}
    out = {k: tmp_path / f"{k}.{ext.get(k, 'csv')}" for k in names}
    structure.run(
        z,
        **out,
        model="ae",
        **analysis["structure"],
        planes=analysis["pca"]["planes"],
        zooms=analysis["pca"]["zooms"],
        tsne_iter=250,
        tsne_schedule=analysis["tsne"]["schedule"],
        seed=1,
        scale=analysis["scale"],
    )
    verdicts = pd.read_csv(out["verdicts"])
    assert verdicts[["model", "statistic", "verdict"]].values.tolist() == [
        ["ae", "overall", "not run"]
    ]
    assert "one point" in verdicts["reason"].iloc[0] and "one point" in not_run(out["summary"])
    # the summary's verdict is the table's, as when the tests run
    assert json.loads(out["summary"].read_text())["verdict"] == "not run"


def test_umap_and_kmeans_on_copies_say_so(tmp_path, analysis):
    from zatlas.stages import kmeans, umap

    z = tmp_path / "z.npy"
    np.save(z, np.repeat(np.eye(8, dtype=np.float32), 30, axis=0))  # 8 points, 30 copies each
    out = outputs(tmp_path, "umap")
    tsne = analysis["tsne"]
    umap.run(z, *out.values(), "ae", tsne["n_points"], tsne["pca_components"], 15, 0.1, 10, 1)
    assert "only 8 distinct latent rows of 150" in not_run(out["summary"])
    out = outputs(tmp_path, "kmeans")
    kmeans.run(z, *out.values(), model="ae", **analysis["kmeans"], seed=1)
    assert "only 8 distinct latent rows" in not_run(out["summary"])


def test_the_explorer_leaves_out_a_tsne_that_could_not_run(tmp_path):
    """Its empty table (float index of no rows) failed as an index; now the PC plane stays."""
    from zatlas.stages.explore import model_points

    empty = tmp_path / "tsne.csv"
    pd.DataFrame(columns=["index", "x", "y"]).to_csv(empty, index=False)
    zs = np.full((240, 8), 0.5, np.float32)
    frame = pd.DataFrame({"image_id": [f"{i}.png" for i in range(240)], "split": "train"})
    kinds = {"flags": [], "numeric": [], "categorical": []}
    points = model_points(zs, frame, kinds, [empty], ["v"], [[1, 2]], 10, 1000, 240, 1, 3)
    assert list(points.views) == ["PC1/PC2"] and len(points.rows) == 240
    # the neighbours of 240 copies of one code: 3 each, at distance 0, never the face itself
    idx, dist = points.neighbours
    assert idx.shape == (240, 3) and not (idx == np.arange(240)[:, None]).any()
    assert np.all(dist == 0)


def test_attributes_on_one_point_say_so(tmp_path, constant):
    from zatlas.stages import attributes

    z, attrs = constant
    frame = pd.read_parquet(attrs)
    frame["Smiling"] = np.where(np.arange(240) % 2, 1, -1).astype(np.int8)
    frame.to_parquet(attrs)
    empty = tmp_path / "tsne.csv"
    pd.DataFrame(columns=["index", "x", "y"]).to_csv(empty, index=False)
    out = outputs(tmp_path, "attributes")
    figures = {"scatter_figure": out["figure"], "nmi_figure": tmp_path / "nmi.png"}
    attributes.run(
        z,
        attrs,
        empty,
        out["table"],
        out["summary"],
        **figures,
        model="ae",
        k=8,
        max_points=240,
        color_by=["Smiling"],
        seed=1,
    )
    assert "all 240 latent rows are one point" in not_run(out["summary"])
    assert pd.read_csv(out["table"]).columns.tolist() == ["attribute", "nmi", "ami"]


def _compare(tmp_path, models: dict, trained: list) -> pd.DataFrame:
    """compare.csv of `models` (ae2's k-means 'not run'); a training summary only for the
    `trained` ones, as the rule lists them."""
    from zatlas.stages import compare

    inputs = {k: [] for k in ("radius_tables", "radius_summaries", "dominant", "axes", "kmeans")}
    inputs.update(vae=[], train=[], intrinsic_dim=[], structure=[])
    per_k = [{"k": k, "mean": 10.0 / k, "min": 9.0 / k, "max": 11.0 / k} for k in (2, 4)]
    for model in models:
        d = tmp_path / "results/r/analysis" / model
        for stage in ("radius", "axes", "kmeans", "train", "intrinsic_dim", "structure"):
            (d / stage).mkdir(parents=True)
        (d / "train/summary.json").write_text(json.dumps({"final": {"loss": 1.0}}))
        (d / "intrinsic_dim/summary.json").write_text("{}")
        pd.DataFrame(columns=["statistic", "verdict"]).to_csv(d / "structure/verdicts.csv")
        pd.DataFrame(
            {"bin_width": [0.5] * 3, "center": [1, 2, 3], "density": [0.1, 0.5, 0.2]}
        ).to_csv(d / "radius/density.csv", index=False)
        radius = {"peak": 2.0, "mean": 2.0, "std": 0.5, "shells": []}
        (d / "radius/summary.json").write_text(json.dumps(radius))
        pd.DataFrame(columns=["axis", "center", "fwhm"]).to_csv(
            d / "axes/dominant.csv", index=False
        )
        (d / "axes/summary.json").write_text("{}")
        km = (
            {"not_run": "all 240 latent rows are one point", "per_k": []}
            if model == "ae2"
            else {"per_k": per_k, "elbow_k": 2}
        )
        (d / "kmeans/summary.json").write_text(json.dumps(km))
        inputs["radius_tables"].append(d / "radius/density.csv")
        inputs["radius_summaries"].append(d / "radius/summary.json")
        inputs["dominant"].append(d / "axes/dominant.csv")
        inputs["axes"].append(d / "axes/summary.json")
        inputs["kmeans"].append(d / "kmeans/summary.json")
        if model in trained:
            inputs["train"].append(d / "train/summary.json")
        inputs["intrinsic_dim"].append(d / "intrinsic_dim/summary.json")
        inputs["structure"].append(d / "structure/verdicts.csv")
    out = tmp_path / "results/r/compare"
    out.mkdir(parents=True)
    compare.run(
        **inputs,
        table=out / "compare.csv",
        figure=out / "radius.png",
        kmeans_figure=out / "kmeans.png",
        models=models,
        vaes=[],
        trained=trained,
        z_dim=4,
    )
    return pd.read_csv(out / "compare.csv").set_index("model")


def test_compare_names_a_kmeans_that_could_not_run(tmp_path):
    """One model's k-means summary says 'not run': its row says why, the other model's
    inertia numbers and overlay stay."""
    table = _compare(tmp_path, {"ae": {"type": "ae"}, "ae2": {"type": "ae"}}, ["ae", "ae2"])
    assert table.loc["ae2", "kmeans_not_run"] == "all 240 latent rows are one point"
    assert table.loc["ae", "inertia_k2"] == 5.0 and pd.isna(table.loc["ae2", "inertia_k2"])


def test_compare_reads_a_training_summary_only_for_the_models_trained_here(tmp_path):
    """A model of type external has no training summary: the rule lists the trained
    models' only, and compare pairs them with `trained`, not with every model."""
    models = {"ae": {"type": "ae"}, "mine": {"type": "external", "z": "z.npy"}}
    table = _compare(tmp_path, models, ["ae"])
    assert table.loc["ae", "final_loss"] == 1.0 and pd.isna(table.loc["mine", "final_loss"])
    assert table.loc["mine", "type"] == "external" and table.loc["mine", "inertia_k2"] == 5.0
