"""tsne: one t-SNE variant of one model's z (a subset, optionally after PCA), coloured by an
attribute, with its KL divergence and kNN recall. The variants (and their names) follow
from the config here, once: the rules' wildcards and the UMAP stage's subsets use them."""

from __future__ import annotations

import time
from collections.abc import Mapping

import numpy as np
import pandas as pd

from zatlas.analysis import pca as pca_an
from zatlas.analysis.degenerate import latent_problem
from zatlas.analysis.subsample import subset
from zatlas.stages.files import limit_threads, load, title, write_json, write_not_run


def subsets(n_total: int, n_points, pca_components) -> dict[str, tuple[int, int | None]]:
    """The subsets t-SNE runs on, {name: (points, PCA components or None)}: every size
    (capped at `n_total`, without duplicates) on z, and each PCA size on the first size."""
    counts = sorted({min(n, n_total) for n in n_points})
    out = {f"z-n{n}": (n, None) for n in counts}
    out.update({f"pca{c}-n{counts[0]}": (counts[0], c) for c in pca_components})
    return out


def tsne_point_counts(cfg: Mapping) -> list[int]:
    """Requested t-SNE sizes capped at the number of images, without duplicates."""
    from zatlas.config import n_available

    tsne = cfg["analysis"]["tsne"]
    chosen = subsets(n_available(cfg), tsne["n_points"], tsne["pca_components"])
    return [n for n, pca in chosen.values() if pca is None]


def tsne_variants(cfg: Mapping) -> dict[str, dict]:
    """Every t-SNE run of the config, keyed by a name usable as a file name: each subset
    with every parameter set on z, with the first parameter set after PCA."""
    from zatlas.config import n_available

    tsne = cfg["analysis"]["tsne"]
    variants: dict[str, dict] = {}
    for name, (n, pca) in subsets(
        n_available(cfg), tsne["n_points"], tsne["pca_components"]
    ).items():
        for params in tsne["params"] if pca is None else tsne["params"][:1]:
            perp, ee = params["perplexity"], params["early_exaggeration"]
            variants[f"{name.split('-')[0]}-n{n}-p{perp:g}-ee{ee:g}"] = {
                "n_points": n,
                "perplexity": float(perp),
                "early_exaggeration": float(ee),
                "pca_components": pca,
                "n_iter": tsne["n_iter"],
                "schedule": tsne["schedule"],
            }
    return variants


def check_config(cfg: Mapping, n: int) -> list[str]:
    """Cross-field problems of this stage's settings in the resolved config `cfg` (with `n`
    images), each naming its key; run by config.validate_config when the config is read."""
    from zatlas.data.dataset import attribute_names, attribute_source
    from zatlas.external.spec import narrowest_width

    problems = []
    tsne = cfg["analysis"]["tsne"]
    for i, params in enumerate(tsne["params"]):
        for n_pts in tsne_point_counts(cfg):
            if 3 * params["perplexity"] >= n_pts - 1:
                problems.append(
                    f"config key 'analysis.tsne.params[{i}].perplexity': {params['perplexity']} is "
                    f"too large for {n_pts} points (t-SNE needs n_points > 3 * perplexity + 1)"
                )
                break
    n_pcs = min(n, narrowest_width(cfg))  # the narrowest model bounds every model's
    for i, comps in enumerate(tsne["pca_components"]):
        if comps > n_pcs:
            problems.append(
                f"config key 'analysis.tsne.pca_components[{i}]': {comps} > {n_pcs} available"
            )
    if tsne["color_by"] is not None and tsne["color_by"] not in attribute_names(cfg):
        problems.append(
            f"config key 'analysis.tsne.color_by': '{tsne['color_by']}' is not "
            + attribute_source(cfg)
        )
    return problems


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
    from zatlas.analysis import tsne as tsne_an
    from zatlas.plots.tsne import plot_tsne

    # one thread below 10,000 points for everything the map depends on (PCA's BLAS sums
    # too): the same config gives the same map on any machine, core count or cluster
    used = tsne_an.tsne_threads(variant_settings["n_points"], threads)
    limit_threads(used)
    zs = load(z)
    idx = subset(len(zs), variant_settings["n_points"], seed)
    rows = np.asarray(zs[idx], dtype=np.float32)  # the one copy (a subset of rows)
    perplexity = variant_settings["perplexity"]
    why = latent_problem(rows, int(3 * perplexity) + 2, f"t-SNE at perplexity {perplexity:g}")
    if why:
        columns = ["index", "x", "y", *([color_by] if color_by else [])]
        record = {"model": model, "variant": variant, **variant_settings, "color_by": color_by}
        label = title(model, f"t-SNE {variant}")
        write_not_run(why, [figure], label, summary, record, {embedding: columns})
        return
    x = pca_an.reduce(rows, variant_settings["pca_components"])
    start = time.perf_counter()
    emb, kl = tsne_an.run_tsne(
        x,
        variant_settings["perplexity"],
        variant_settings["early_exaggeration"],
        variant_settings["n_iter"],
        seed,
        used,
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
            "threads": used,
        },
    )
    label = f"t-SNE {variant}" + (f", colour: {color_by}" if color_by else "")
    plot_tsne(emb, colors, title(model, label), figure)
