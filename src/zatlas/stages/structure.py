"""structure: is there structure in z beyond what its nulls explain? A hierarchy: radii and
neighbour distances against the matched Gaussian, shape against the elliptical null (a
shape finding), small-scale clumping against the smoothed data at several neighbour ranks
(the only verdict that speaks of filaments or clusters), holes in PC planes against a
smoothed marginal of each plane; all p-values corrected for the number of tests. The
verdicts come from `verdicts.judge_latents`, the function the calibration benchmark runs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from zatlas.analysis import tsne as tsne_an
from zatlas.analysis.degenerate import latent_problem
from zatlas.analysis.subsample import subset
from zatlas.stages.files import limit_threads, load, title, write_json, write_not_run


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
    clump_ranks,
    clump_bandwidth: float,
    min_clump_effect: float,
    grid: int,
    bandwidth: float,
    min_expected: float,
    min_hole_expected: float,
    window_quantile: float,
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
        clump_ranks=tuple(int(r) for r in clump_ranks),
        clump_bandwidth=clump_bandwidth,
        min_clump_effect=min_clump_effect,
        grid=grid,
        bandwidth=bandwidth,
        min_expected=min_expected,
        min_hole_expected=min_hole_expected,
        window_quantile=window_quantile,
        null_replicates=null_replicates,
    )
    zs = load(z)
    x = np.asarray(zs[subset(len(zs), max_points, seed)], dtype=np.float32)
    # the clumping test reads up to the largest rank's neighbour, the shape tests the nn_k-th
    need = max(nn_k + 2, max(settings.clump_ranks) + 2, 10)
    why = latent_problem(x, need, "the structure tests")
    if why:
        verdict = pd.DataFrame([{"model": model, "statistic": "overall", "verdict": "not run"}])
        verdict["reason"] = why
        tables = {nn_table: [], void_table: [], verdicts: verdict}
        record = {
            "model": model,
            "n_points": int(len(x)),
            "z_dim": int(x.shape[1]),
            "verdict": "not run",
            "clumping_bandwidth": float(clump_bandwidth),
        }
        label = title(model, "structure against its nulls")
        write_not_run(why, [figure, tsne_figure], label, summary, record, tables)
        return
    table, holes, distances = vd.judge_latents(
        zs, settings, planes, zooms, scale, max_points, seed, workers=threads
    )
    table.insert(0, "model", model)
    table.to_csv(verdicts, index=False)
    holes.to_csv(void_table, index=False)
    profile = vd.profile_table(distances, settings.clump_ranks)
    profile.to_csv(nn_table, index=False)

    # a seeded random subset of the subset (x's rows are in file order), at the configured
    # perplexity, capped where the subset is too small for it
    n_tsne = min(tsne_points, len(x))
    pick = subset(len(x), n_tsne, seed + 1)
    perplexity = min(float(tsne_perplexity), (n_tsne - 2) / 3)
    null = matched_gaussian(x[pick], seed)
    jobs = tsne_an.tsne_threads(n_tsne, threads)
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
            "robust_axes_trimmed": int(distances["trimmed"]),
            "clumping_bandwidth": float(clump_bandwidth),
            "tsne_points": int(n_tsne),
            "tsne_perplexity": perplexity,
            "tsne_kl_data": kl_data,
            "tsne_kl_null": kl_null,
        },
    )
    plot_verdicts(
        profile,
        holes,
        settings.min_clump_effect,
        title(model, "structure against its nulls"),
        figure,
    )
    plot_tsne_pair(emb_data, emb_null, title(model, "t-SNE of z beside its null"), tsne_figure)
