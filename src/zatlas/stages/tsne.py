"""tsne: one t-SNE variant of one model's z (a subset, optionally after PCA), coloured by an
attribute, with its KL divergence and kNN recall."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from zatlas.analysis import pca as pca_an
from zatlas.analysis import tsne as tsne_an
from zatlas.analysis.subsample import subset
from zatlas.stages.files import limit_threads, load, title, write_json


def run(
    z,
    attributes,
    embedding,
    summary,
    figure,
    model: str,
    variant: str,
    variant_settings: dict,
    color_by,
    seed,
    recall_queries: int,
    threads: int = 1,
) -> None:
    from zatlas.plots.tsne import plot_tsne

    limit_threads(threads)
    zs = load(z)
    idx = subset(len(zs), variant_settings["n_points"], seed)
    rows = np.asarray(zs[idx], dtype=np.float32)  # the one copy (a subset of rows)
    x = pca_an.reduce(rows, variant_settings["pca_components"])
    start = time.perf_counter()
    emb, kl = tsne_an.run_tsne(
        x,
        variant_settings["perplexity"],
        variant_settings["early_exaggeration"],
        variant_settings["n_iter"],
        seed,
        threads,
        variant_settings["schedule"],
    )
    seconds = time.perf_counter() - start
    # neighbours in z itself, not in the PCA-reduced input, so that variants are comparable
    recall = tsne_an.knn_recall(rows, emb, 10, recall_queries, seed)
    out = pd.DataFrame({"index": idx, "x": emb[:, 0], "y": emb[:, 1]})
    colors = None
    if color_by:
        attrs = pd.read_parquet(attributes, columns=[color_by])[color_by].to_numpy()
        out[color_by] = attrs[idx]
        colors = out[color_by].to_numpy()
    out.to_csv(embedding, index=False)
    write_json(
        summary,
        {
            "model": model,
            "variant": variant,
            **variant_settings,
            "n_used": int(len(idx)),
            "input_dim": int(x.shape[1]),
            "kl_divergence": kl,
            "knn_recall_10": recall,
            "knn_recall_queries": int(min(recall_queries, len(idx))),
            "color_by": color_by,
            "seconds": seconds,
            "threads": threads,
        },
    )
    label = f"t-SNE {variant}" + (f", colour: {color_by}" if color_by else "")
    plot_tsne(emb, colors, title(model, label), figure)
