"""structure: is there structure in z beyond a matched Gaussian? Nearest-neighbour
distances, TwoNN and voids in PC planes, each against its null, with the verdict table."""

from __future__ import annotations

import numpy as np

from zatlas.analysis import tsne as tsne_an
from zatlas.analysis.tsne import subset
from zatlas.stages.files import limit_threads, load, title, write_json


def _pc_planes(x: np.ndarray, zs: np.ndarray, planes, seed: int, block: int = 65536) -> dict:
    """Every configured PC plane of all points, with PCA fitted on the subset x."""
    from sklearn.decomposition import PCA

    n_comp = min(max(max(p) for p in planes), x.shape[0], x.shape[1])
    fit = PCA(n_components=n_comp, random_state=seed).fit(x)
    scores = np.concatenate(
        [fit.transform(np.asarray(zs[i : i + block], np.float32)) for i in range(0, len(zs), block)]
    )
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
    min_effect: float,
    grid: int,
    null_replicates: int,
    tsne_points: int,
    planes,
    zooms,
    tsne_iter: int,
    seed: int,
    threads: int = 1,
) -> None:
    """Filaments and voids against the matched-Gaussian null, with the verdict table."""
    from zatlas.analysis import structure as st
    from zatlas.plots.structure import plot_structure, plot_tsne_pair

    limit_threads(threads)
    zs = load(z)
    x = np.asarray(zs[subset(len(zs), max_points, seed)], dtype=np.float32)
    null = st.matched_gaussian(x, seed)
    d_data, d_null = st.knn_distances(x, 2, threads), st.knn_distances(null, 2, threads)
    rows = st.nn_distance_tests(d_data[:, 0], d_null[:, 0], test_points, alpha, min_effect, seed)
    rows.append(st.twonn_test(d_data, d_null, test_points, alpha, min_effect, seed))
    hist = st.nn_histograms(d_data[:, 0], d_null[:, 0])
    hist.to_csv(nn_table, index=False)

    voids = st.void_table(_pc_planes(x, zs, planes, seed), zooms, grid, null_replicates, seed)
    voids.to_csv(void_table, index=False)
    rows += st.void_verdicts(voids, alpha, min_effect)
    table = st.verdicts(model, rows)
    table.to_csv(verdicts, index=False)

    n_tsne = min(tsne_points, len(x))
    perplexity = min(30.0, (n_tsne - 2) / 3)
    # Barnes-Hut (below 10,000 points) synchronises threads every iteration: one is faster
    jobs = threads if n_tsne >= 10_000 else 1
    emb_data, kl_data = tsne_an.run_tsne(x[:n_tsne], perplexity, 12, tsne_iter, seed, jobs)
    emb_null, kl_null = tsne_an.run_tsne(null[:n_tsne], perplexity, 12, tsne_iter, seed, jobs)
    overall = table.iloc[-1]
    voids_judged = table[table["statistic"] == "void_fraction"]
    write_json(
        summary,
        {
            "model": model,
            "n_points": int(len(x)),
            "z_dim": int(x.shape[1]),
            "verdict": overall["verdict"],
            "test": overall["test"],
            "p_value": overall["p_value"],
            "nn_median_data": float(np.median(d_data[:, 0])),
            "nn_median_null": float(np.median(d_null[:, 0])),
            "nn_median_ratio": overall["effect_size"],
            "n_void_tests": len(voids_judged),
            "n_void_beyond_null": int((voids_judged["verdict"] != st.CONSISTENT).sum()),
            "tsne_points": int(n_tsne),
            "tsne_perplexity": perplexity,
            "tsne_kl_data": kl_data,
            "tsne_kl_null": kl_null,
        },
    )
    plot_structure(hist, voids, title(model, "structure against a matched Gaussian"), figure)
    plot_tsne_pair(emb_data, emb_null, title(model, "t-SNE of z beside its null"), tsne_figure)
