"""structure: is there structure in z beyond what its nulls explain? Each verdict names its
null: radii against the matched Gaussian, clumping (filaments, clusters) against the
elliptical null that keeps the radial profile, holes in PC planes against a smoothed
marginal of each plane; all p-values corrected for the number of tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from zatlas.analysis import pca as pca_an
from zatlas.analysis import tsne as tsne_an
from zatlas.analysis.degenerate import latent_problem
from zatlas.analysis.scale import lengths
from zatlas.analysis.subsample import subset
from zatlas.stages.files import limit_threads, load, title, write_json, write_not_run


def _pc_planes(x: np.ndarray, zs: np.ndarray, planes) -> dict:
    """Every configured PC plane of all points, with the PCs of the subset x."""
    mean, _, vectors = pca_an.principal_axes(x)
    n_comp = min(max(max(p) for p in planes), x.shape[0], x.shape[1])
    scores = pca_an.project(zs, mean, vectors[:, :n_comp])
    return {f"PC{a}/PC{b}": scores[:, [a - 1, b - 1]] for a, b in planes if max(a, b) <= n_comp}


def run(
    z,
    nn_table,
    void_table,
    verdicts,
    summary,
    figure,
    tsne_figure,
    model: str,
    max_points: int,
    test_points: int,
    alpha: float,
    nn_dims: int,
    nn_k: int,
    min_nn_effect: float,
    min_radius_ks: float,
    grid: int,
    bandwidth: float,
    min_expected: float,
    min_void_share: float,
    null_replicates: int,
    tsne_points: int,
    tsne_perplexity: float,
    planes,
    zooms,
    tsne_iter: int,
    tsne_schedule: str,
    seed: int,
    scale: str,
    threads: int = 1,
) -> None:
    from zatlas.analysis import verdicts as vd
    from zatlas.analysis.nulls import matched_gaussian
    from zatlas.plots.structure import plot_tsne_pair, plot_verdicts

    limit_threads(threads)
    settings = vd.VerdictSettings(
        alpha=alpha,
        nn_dims=nn_dims,
        nn_k=nn_k,
        test_points=test_points,
        min_nn_effect=min_nn_effect,
        min_radius_ks=min_radius_ks,
        grid=grid,
        bandwidth=bandwidth,
        min_expected=min_expected,
        min_void_share=min_void_share,
        null_replicates=null_replicates,
    )
    zs = load(z)
    x = np.asarray(zs[subset(len(zs), max_points, seed)], dtype=np.float32)
    why = latent_problem(x, max(nn_k + 2, 10), "the structure tests")
    if why:
        verdict = pd.DataFrame([{"model": model, "statistic": "overall", "verdict": "not run"}])
        verdict["reason"] = why
        tables = {nn_table: [], void_table: [], verdicts: verdict}
        record = {"model": model, "n_points": int(len(x)), "z_dim": int(x.shape[1])}
        label = title(model, "structure against its nulls")
        write_not_run(why, [figure, tsne_figure], label, summary, record, tables)
        return
    planes_xy = _pc_planes(x, zs, planes)
    # the pca stage's windows: sides in units of the median per-axis spread unless absolute
    sides = lengths(zooms, scale, x.std(axis=0))
    table, voids, distances = vd.structure_verdicts(x, planes_xy, sides, settings, seed)
    table = vd.with_overall(table)
    table.insert(0, "model", model)
    table.to_csv(verdicts, index=False)
    voids.to_csv(void_table, index=False)
    hist = vd.nn_histograms(distances)
    hist.to_csv(nn_table, index=False)

    # a seeded random subset of the subset (x's rows are in file order), at the configured
    # perplexity, capped where the subset is too small for it
    n_tsne = min(tsne_points, len(x))
    pick = subset(len(x), n_tsne, seed + 1)
    perplexity = min(float(tsne_perplexity), (n_tsne - 2) / 3)
    null = matched_gaussian(x[pick], seed)
    # Barnes-Hut (below 10,000 points) synchronises threads every iteration: one is faster
    jobs = threads if n_tsne >= 10_000 else 1
    emb_data, kl_data = tsne_an.run_tsne(
        x[pick], perplexity, 12, tsne_iter, seed, jobs, tsne_schedule
    )
    emb_null, kl_null = tsne_an.run_tsne(null, perplexity, 12, tsne_iter, seed, jobs, tsne_schedule)
    write_json(
        summary,
        {
            "model": model,
            "n_points": int(len(x)),
            "z_dim": int(x.shape[1]),
            **vd.summary(table),
            "tsne_points": int(n_tsne),
            "tsne_perplexity": perplexity,
            "tsne_kl_data": kl_data,
            "tsne_kl_null": kl_null,
        },
    )
    plot_verdicts(hist, voids, title(model, "structure against its nulls"), figure)
    plot_tsne_pair(emb_data, emb_null, title(model, "t-SNE of z beside its null"), tsne_figure)
