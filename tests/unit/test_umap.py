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


CACHED_RUN = """
import sys
import numpy as np
from zatlas.analysis import umap as umap_an
from numba.core.registry import CPUDispatcher

umap_an.enable_numba_cache(sys.argv[1])
import umap.umap_, umap.layouts

def counts():
    fs = [f for m in (umap.umap_, umap.layouts) for f in vars(m).values()]
    fs = [f for f in fs if isinstance(f, CPUDispatcher)]
    return (sum(sum(f.stats.cache_hits.values()) for f in fs),
            sum(sum(f.stats.cache_misses.values()) for f in fs))

before = counts()  # eagerly compiled at import (an explicit signature): not cacheable here
x = np.random.default_rng(5).normal(size=(60, 8)).astype(np.float32)
emb = umap_an.run_umap(x, 10, 0.1, seed=0, n_epochs=20)
np.save(sys.argv[2], emb)
after = counts()
print(after[0] - before[0], after[1] - before[1])
"""


def test_umap_learns_compiled_code_once_and_reuses_it_in_the_next_process(tmp_path):
    # umap-learn's own numba functions are not declared cache=True: without the cache every
    # UMAP job compiles them again (about 10 s of CPU)
    import os
    import subprocess
    import sys

    def run(out):
        proc = subprocess.run(
            [sys.executable, "-c", CACHED_RUN, str(tmp_path / "cache"), str(tmp_path / out)],
            capture_output=True,
            text=True,
            env={**os.environ, "NUMBA_CACHE_DIR": ""},
            check=True,
        )
        return [int(v) for v in proc.stdout.split()[-2:]]

    first_hits, misses = run("first.npy")  # (one layout function is cache=True already)
    assert misses >= 3
    hits, misses = run("second.npy")
    assert misses == 0 and hits > first_hits  # every umap function came from the cache
    np.testing.assert_array_equal(np.load(tmp_path / "first.npy"), np.load(tmp_path / "second.npy"))


def test_small_data_embedding_is_umaps_own_bit_for_bit():
    """Below 4,096 points the distances are computed in one compiled loop instead of
    umap-learn's per-pair Python calls: the embedding must not change at all."""
    import umap

    from zatlas.analysis import umap as umap_an

    rng = np.random.default_rng(11)
    x = (rng.normal(size=(240, 12)) * np.r_[[3.0] * 6, [0.5] * 6]).astype(np.float32)
    ours = umap_an.run_umap(x, n_neighbors=10, min_dist=0.1, seed=4, n_epochs=60)
    theirs = umap.UMAP(
        n_components=2, n_neighbors=10, min_dist=0.1, n_epochs=60, random_state=4
    ).fit_transform(x)
    np.testing.assert_array_equal(ours, theirs.astype(np.float32))


def test_distance_matrix_is_euclidean():
    from zatlas.analysis import umap as umap_an

    x = np.array([[0, 0, 0], [3, 4, 0], [1, 2, 2]], dtype=np.float32)
    expected = np.array([[0, 5, 3], [5, 0, np.sqrt(4 + 4 + 4)], [3, np.sqrt(12), 0]])
    d = umap_an.euclidean_matrix(x)
    assert d.dtype == np.float32
    np.testing.assert_allclose(d, expected, rtol=1e-6)
