"""kmeans: k-means inertia against k (several seeds per k) and the elbow of the curve."""

from __future__ import annotations

import time
from collections.abc import Mapping

import numpy as np

from zatlas.analysis.degenerate import latent_problem
from zatlas.analysis.subsample import subset
from zatlas.stages.files import limit_threads, load, title, write_json, write_not_run


def check_config(cfg: Mapping, n: int) -> list[str]:
    """Cross-field problems of this stage's settings in the resolved config `cfg` (with `n`
    images), each naming its key; run by config.validate_config when the config is read."""
    problems = []
    km = cfg["analysis"]["kmeans"]
    if km["k_min"] > km["k_max"]:
        problems.append("config key 'analysis.kmeans.k_min': larger than k_max")
    if km["k_max"] >= min(n, km["max_points"] or n):
        problems.append(
            f"config key 'analysis.kmeans.k_max': {km['k_max']} clusters need more points than "
            f"the {min(n, km['max_points'] or n)} available"
        )
    return problems


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
    fit_points,
    max_iter,
    refine_iter,
    threads: int = 1,
) -> None:
    from zatlas.analysis import kmeans as kmeans_an
    from zatlas.plots.kmeans import plot_kmeans

    limit_threads(threads)
    zs = load(z)
    idx = subset(len(zs), max_points or len(zs), seed)
    ks = list(range(k_min, k_max + 1, k_step))
    if len(idx) == len(zs) and zs.dtype == np.float32:
        x = zs  # every row: the memory map itself, not a second copy of 2 GB
    else:
        x = np.asarray(zs[idx], dtype=np.float32)  # the one copy of the points
    why = latent_problem(x, max(ks) + 1, f"k-means up to k = {max(ks)}")
    if why:
        record = {"model": model, "n_points": int(len(idx)), "elbow_k": None, "per_k": []}
        label = title(model, "k-means inertia")
        write_not_run(why, [figure], label, summary, record, {sweep: ["k", "seed", "inertia"]})
        return
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
    plot_kmeans(stats, elbow, title(model, "k-means inertia"), figure)
