"""The umap stage: t-SNE's subsets, a separating embedding, recall measured against z."""

import json

import numpy as np
import pandas as pd

from zatlas.analysis import pca as pca_an
from zatlas.analysis import tsne as tsne_an
from zatlas.stages import umap as umap_stage


def test_variants_are_tsne_subsets():
    from zatlas.stages import tsne as tsne_stage

    assert umap_stage.subsets is tsne_stage.subsets  # one definition, not a second copy
    got = tsne_stage.subsets(500, [100, 20000], [2, 10])
    assert got == {
        "z-n100": (100, None),
        "z-n500": (500, None),
        "pca2-n100": (100, 2),
        "pca10-n100": (100, 10),
    }


def test_stage_separates_planted_clusters_and_scores_against_z(tmp_path):
    rng = np.random.default_rng(3)
    centres = rng.normal(0, 10, (3, 16))
    z = (centres[np.repeat(np.arange(3), 100)] + rng.normal(0, 1, (300, 16))).astype(np.float32)
    np.save(tmp_path / "z.npy", z)
    umap_stage.run(
        z=tmp_path / "z.npy",
        embeddings=tmp_path / "e.csv",
        summary=tmp_path / "s.json",
        figure=tmp_path / "u.png",
        model="ae",
        n_points=[300],
        pca_components=[2],
        n_neighbors=15,
        min_dist=0.1,
        recall_queries=100,
        seed=0,
    )
    rows = {r["variant"]: r for r in json.loads((tmp_path / "s.json").read_text())["variants"]}
    assert set(rows) == {"z-n300", "pca2-n300"}
    emb = pd.read_csv(tmp_path / "e.csv")
    z_run = emb[emb["variant"] == "z-n300"]
    labels = np.repeat(np.arange(3), 100)[z_run["index"].to_numpy()]
    xy = z_run[["x", "y"]].to_numpy()
    # every point's nearest embedded neighbour belongs to its own cluster
    d = ((xy[:, None] - xy[None]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    assert (labels[d.argmin(1)] == labels).all()
    # the PCA-2 run is scored against z, not against its own 2-D input
    pca = emb[emb["variant"] == "pca2-n300"]
    reduced = pca_an.reduce(z, 2)
    against_input = tsne_an.knn_recall(reduced, pca[["x", "y"]].to_numpy(), 10, 100, 0)
    against_z = tsne_an.knn_recall(z, pca[["x", "y"]].to_numpy(), 10, 100, 0)
    assert against_input != against_z
    assert rows["pca2-n300"]["knn_recall_10"] == against_z
    assert (tmp_path / "u.png").stat().st_size > 1000
