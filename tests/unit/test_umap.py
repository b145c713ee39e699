"""The umap stage: t-SNE's subsets, a separating embedding, recall measured against z."""

import json
from pathlib import Path

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
        numba_cache=tmp_path / "numba",  # as the rule runs it (NUMBA_CACHE_DIR wins)
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
import json
import sys

import numpy as np
from numba.core.registry import CPUDispatcher

from zatlas.analysis import umap as umap_an

umap_an.enable_numba_cache(sys.argv[1])  # fills the cache, or waits for who fills it
import umap.layouts
import umap.umap_

x = np.random.default_rng(5).normal(size=(60, 8)).astype(np.float32)
np.save(sys.argv[2], umap_an.run_umap(x, 10, 0.1, seed=0, n_epochs=20))
fs = [f for m in (umap.umap_, umap.layouts) for f in vars(m).values()]
fs = [f for f in fs if isinstance(f, CPUDispatcher)]
# a signature given as a string was compiled eagerly at import: no cache takes such code
compiled = [f.__name__ for f in fs for key in f.stats.cache_misses if not isinstance(key, str)]
hits = sum(sum(f.stats.cache_hits.values()) for f in fs)
print(json.dumps({"hits": hits, "compiled": compiled}))
"""


def _held(lock: Path) -> bool:
    import fcntl

    if not lock.exists():
        return False
    with open(lock, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
    return False


def test_umap_compiles_once_while_a_second_job_waits_and_loads_the_code(tmp_path):
    # umap-learn's own numba functions are not declared cache=True: without the cache every
    # UMAP job compiles them again (about 10 s of CPU), and two UMAP jobs started together
    # into an empty cache both compiled all of it (30 s of CPU each)
    import os
    import subprocess
    import sys
    import time

    def start(out):
        return subprocess.Popen(
            [sys.executable, "-c", CACHED_RUN, str(tmp_path / "cache"), str(tmp_path / out)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "NUMBA_CACHE_DIR": ""},
        )

    def result(proc):
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-3000:]
        return json.loads(out.splitlines()[-1])

    first = start("first.npy")
    deadline = time.monotonic() + 120
    while not _held(tmp_path / "cache" / ".compile.lock"):  # the first one is compiling
        assert first.poll() is None and time.monotonic() < deadline, first.stderr.read()
        time.sleep(0.1)
    second = start("second.npy")
    compiler, waiter = result(first), result(second)
    assert len(compiler["compiled"]) >= 3
    assert waiter["compiled"] == [], "the second job compiled instead of loading"
    assert waiter["hits"] >= len(compiler["compiled"])
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
