"""kmeans: k-means inertia against k (several seeds per k) and the elbow of the curve."""

from __future__ import annotations

import time

import numpy as np

from zatlas.analysis import kmeans as kmeans_an
from zatlas.analysis.subsample import subset
from zatlas.stages.files import limit_threads, load, title, write_json


def run(
    z,
    sweep,
    summary,
    figure,
    model: str,
    k_min,
    k_max,
    k_step,
    n_seeds,
    max_points,
    seed,
    fit_points=20_000,
    max_iter=300,
    refine_iter=3,
    threads: int = 1,
) -> None:
    from zatlas.plots.figures import plot_inertia

    limit_threads(threads)
    zs = load(z)
    idx = subset(len(zs), max_points or len(zs), seed)
    ks = list(range(k_min, k_max + 1, k_step))
    if len(idx) == len(zs) and zs.dtype == np.float32:
        x = zs  # every row: the memory map itself, not a second copy of 2 GB
    else:
        x = np.asarray(zs[idx], dtype=np.float32)  # the one copy of the points
    start = time.perf_counter()
    table = kmeans_an.inertia_sweep(
        x, ks, [seed + i for i in range(n_seeds)], fit_points, max_iter, refine_iter
    )
    seconds = time.perf_counter() - start
    table.to_csv(sweep, index=False)
    stats = kmeans_an.summarize_sweep(table)
    elbow = kmeans_an.kneedle_elbow(stats["k"].to_numpy(), stats["mean"].to_numpy())
    write_json(
        summary,
        {
            "model": model,
            "n_points": int(len(idx)),
            "fit_points": int(min(fit_points or len(idx), len(idx))),
            "refine_iter": refine_iter,
            "n_fits": int(len(table)),
            "seconds": seconds,
            "elbow_k": elbow,
            "per_k": stats.to_dict(orient="records"),
        },
    )
    plot_inertia(stats, elbow, title(model, "k-means inertia"), figure)
