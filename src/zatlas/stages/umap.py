"""umap: UMAP embeddings of one model's z on the same subsets as t-SNE (on z at every
size, and after PCA), with the kNN recall of each against z."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from zatlas.analysis import pca as pca_an
from zatlas.analysis import tsne as tsne_an
from zatlas.analysis.degenerate import latent_problem
from zatlas.analysis.subsample import subset
from zatlas.analysis.umap import enable_numba_cache, run_umap
from zatlas.stages.files import limit_threads, load, title, write_json, write_not_run
from zatlas.stages.tsne import subsets


def run(
    z,
    embeddings,
    summary,
    figure,
    model: str,
    n_points,
    pca_components,
    n_neighbors: int,
    min_dist: float,
    recall_queries: int,
    seed: int,
    threads: int = 1,
    numba_cache=None,
    attributes=None,
    color_by=None,
) -> None:
    """`numba_cache`: a folder for umap-learn's compiled functions, reused by every later
    UMAP job (None: compile in every process). `color_by` (analysis.tsne.color_by) colours
    the panels: numbers on a scale, categories a colour each."""
    from zatlas.plots.umap import plot_embeddings

    limit_threads(threads)
    if numba_cache is not None:
        enable_numba_cache(numba_cache)
    zs = load(z)
    first = np.asarray(zs[subset(len(zs), min(n_points), seed)], dtype=np.float32)
    why = latent_problem(first, n_neighbors + 2, f"UMAP with {n_neighbors} neighbours")
    if why:
        record = {"model": model, "n_neighbors": n_neighbors, "min_dist": min_dist}
        columns = ["variant", "index", "x", "y"]
        write_not_run(why, [figure], title(model, "UMAP"), summary, record, {embeddings: columns})
        return
    values = None
    if color_by:
        values = pd.read_parquet(attributes, columns=[color_by])[color_by].to_numpy()
    rows, frames, shown, colours = [], [], {}, {}
    for name, (n, comps) in subsets(len(zs), n_points, pca_components).items():
        idx = subset(len(zs), n, seed)
        x = np.asarray(zs[idx], dtype=np.float32)
        start = time.perf_counter()
        emb = run_umap(pca_an.reduce(x, comps), n_neighbors, min_dist, seed)
        seconds = time.perf_counter() - start
        rows.append(
            {
                "variant": name,
                "n_points": int(n),
                "pca_components": comps,
                # against z itself, whatever the input was, so variants compare
                "knn_recall_10": tsne_an.knn_recall(x, emb, 10, recall_queries, seed),
                "seconds": seconds,
            }
        )
        frames.append(pd.DataFrame({"variant": name, "index": idx, "x": emb[:, 0], "y": emb[:, 1]}))
        shown[name] = emb
        if values is not None:
            colours[name] = values[idx]
        print(
            f"UMAP {name}: {seconds:.1f} s, recall@10 {rows[-1]['knn_recall_10']:.3f}", flush=True
        )
    pd.concat(frames, ignore_index=True).to_csv(embeddings, index=False)
    write_json(
        summary,
        {"model": model, "n_neighbors": n_neighbors, "min_dist": min_dist, "variants": rows},
    )
    label = "UMAP" + (f", colour: {color_by}" if color_by else "")
    plot_embeddings(shown, title(model, label), figure, colours or None)
