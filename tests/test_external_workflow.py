"""Workflow runs with models zatlas did not train: an external model (shuffled rows matched
by id, an ONNX decoder) beside a trained one in one run and one report, and a run without
images (data.dataset: none) with a metadata table of categories."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from tests.conftest import snakemake
from tests.external_fixture import onnx_decoder, planted_latents

SMALL_ANALYSIS = {
    "pca": {"planes": [[1, 2]], "zooms": [None]},
    "tsne": {
        "n_points": [60],
        "params": [{"perplexity": 5, "early_exaggeration": 12}],
        "pca_components": [],
        "n_iter": 250,
    },
    "umap": {"n_neighbors": 5},
    "kmeans": {"k_min": 2, "k_max": 4, "k_step": 2, "n_seeds": 1},
    "attributes": {"k": 3},
    "intrinsic_dim": {"mle_k": [5]},
    "structure": {"tsne_perplexity": 5},
    "samples": {"n": 4, "n_reconstructions": 2},
    "traversals": {"n_starts": 2, "n_steps": 3},
    "interpolations": {"n_pairs": 2},
    "explore": {"k": 3},
}


def write_config(path, data, models, **extra) -> None:
    cfg = {"run": "ext", "seed": 3, "data": data, "models": models, "analysis": SMALL_ANALYSIS}
    path.write_text(yaml.safe_dump({**cfg, **extra}))


def test_external_beside_a_trained_model_in_one_report(tmp_path):
    n, d = 64, 6
    z = planted_latents(n, d)
    order = np.random.default_rng(0).permutation(n)  # the user's rows in another order
    np.save(tmp_path / "z.npy", z[order])
    # ids as stems ("000012"), matched to the images' names ("000012.jpg")
    (tmp_path / "ids.txt").write_text("".join(f"{i + 1:06d}\n" for i in order))
    onnx_decoder(tmp_path / "decoder.onnx", d, 16)
    cfg = tmp_path / "c.yaml"
    write_config(
        cfg,
        {"dataset": "synthetic", "n_images": n, "image_size": 16},
        {
            "ae": {"type": "ae"},
            "mine": {
                "type": "external",
                "z": str(tmp_path / "z.npy"),
                "ids": str(tmp_path / "ids.txt"),
                "decoder": str(tmp_path / "decoder.onnx"),
            },
        },
        architecture={"z_dim": 4, "filters": [8, 8]},
        training={"epochs": 1, "batch_size": 16},
    )
    dry = snakemake(tmp_path, cfg, "-n", "--cores", "1")
    assert dry.returncode == 0, dry.stderr[-3000:]
    # the report needs both models; the external one is ingested, never trained or encoded
    jobs = dry.stdout
    assert "rule ingest:" in jobs and "rule train:" in jobs
    assert "models/mine" not in jobs and "sampling/mine" not in jobs
    for model in ("ae", "mine"):  # both in the one report, the same analyses
        for stage in ("kmeans/summary.json", "structure/verdicts.csv", "traversals/change.csv"):
            assert f"results/ext/analysis/{model}/{stage}" in jobs, (model, stage)
    run = tmp_path / "results" / "ext"
    targets = [
        f"results/ext/{p}"
        for p in (
            "analysis/mine/samples/summary.csv",
            "analysis/mine/traversals/change.csv",
            "analysis/mine/radius/summary.json",
        )
    ]
    proc = snakemake(tmp_path, cfg, "--cores", "2", *targets)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    # rows put back in the images' order, bit for bit
    np.testing.assert_array_equal(np.load(run / "latents/mine/z.npy"), z)
    record = json.loads((run / "latents/mine/ingest.json").read_text())
    assert record["reordered"] and record["decoder"]["image_shape"] == [16, 16, 3]
    samples = pd.read_csv(run / "analysis/mine/samples/summary.csv")
    assert samples["pixel_std_mean"].gt(0).all()
    # nothing written beside the user's files
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["z.npy", "ids.txt", "decoder.onnx", "c.yaml", "results", ".snakemake", "resources"]
    )


def test_a_run_without_images_from_projector_files(tmp_path):
    n, d = 80, 5
    z = planted_latents(n, d, seed=1)
    np.savetxt(tmp_path / "vectors.tsv", z, delimiter="\t", fmt="%.6f")
    kind = np.where(np.arange(n) < n // 2, "left", "right")
    pd.DataFrame({"label": [f"item{i}" for i in range(n)], "kind": kind}).to_csv(
        tmp_path / "metadata.tsv", sep="\t", index=False
    )
    cfg = tmp_path / "c.yaml"
    write_config(
        cfg,
        {"dataset": "none", "metadata": str(tmp_path / "metadata.tsv")},
        {"emb": {"type": "external", "z": str(tmp_path / "vectors.tsv")}},
        analysis={**SMALL_ANALYSIS, "tsne": {**SMALL_ANALYSIS["tsne"], "color_by": "kind"}},
    )
    proc = snakemake(tmp_path, cfg, "--cores", "2")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    run = tmp_path / "results" / "ext"
    assert not (run / "data" / "images.npy").exists()
    frame = pd.read_parquet(run / "data/attributes.parquet")
    assert frame["kind"].tolist() == kind.tolist()  # strings survive for the explorer
    # the two planted clusters are the two kinds: NMI of k-means (k = 3) with them is high
    nmi = pd.read_csv(run / "analysis/emb/attributes/nmi.csv").set_index("attribute")
    assert nmi.loc["kind", "nmi"] > 0.6 and nmi.loc["kind", "n_classes"] == 2
    assert np.isnan(nmi.loc["kind", "positive_share"])
    html = (run / "report/index.html").read_text()
    assert "Left out" in html and "no decoder was given (models.emb.decoder)" in html
    # the explorer's card and colourings carry the metadata; no thumbnails without images
    page = (run / "explore/emb.html").read_text()
    meta = json.loads(page.split('id="zatlas-meta">', 1)[1].split("</script>", 1)[0])
    assert meta["sprites"] is None and not (run / "explore/thumbs").exists()
    assert set(meta["categorical_names"]) == {"label", "kind"}
    names = meta["category_names"][meta["categorical_names"].index("kind")]
    assert sorted(names) == ["left", "right"]


@pytest.fixture(autouse=True)
def _no_gpu(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
