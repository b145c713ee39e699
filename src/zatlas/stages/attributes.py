"""attributes: k-means clusters of z against the image attributes (NMI), and scatters
coloured by attributes."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from zatlas.analysis import pca as pca_an
from zatlas.analysis.degenerate import latent_problem
from zatlas.analysis.subsample import subset
from zatlas.stages.files import limit_threads, load, title, write_json, write_not_run


def check_config(cfg: Mapping, n: int) -> list[str]:
    """Cross-field problems of this stage's settings in the resolved config `cfg` (with `n`
    images), each naming its key; run by config.validate_config when the config is read."""
    from zatlas.data.dataset import attribute_names, attribute_source

    problems = []
    attrs = cfg["analysis"].get("attributes")
    if attrs and attrs["k"] >= min(n, attrs["max_points"]):
        problems.append(
            f"config key 'analysis.attributes.k': {attrs['k']} clusters need more than the "
            f"{min(n, attrs['max_points'])} points available"
        )
    known = attribute_names(cfg)
    for i, name in enumerate((attrs or {}).get("color_by") or []):
        if name not in known:
            problems.append(
                f"config key 'analysis.attributes.color_by[{i}]': '{name}' is not "
                + attribute_source(cfg)
            )
    return problems


def run(
    z,
    attributes,
    tsne_embedding,
    table,
    summary,
    scatter_figure,
    nmi_figure,
    model: str,
    k: int,
    max_points: int,
    color_by,
    seed: int,
    threads: int = 1,
) -> None:
    """NMI between k-means clusters of z and each attribute (CelebA's 40, or a folder data
    set's own columns, continuous ones cut into quartiles); PCA and t-SNE scatters coloured
    by the chosen attributes."""
    from zatlas.analysis import attributes as attr_an
    from zatlas.data.attributes import discrete_attributes
    from zatlas.errors import ZatlasError
    from zatlas.plots.attributes import plot_attribute_scatters, plot_nmi

    limit_threads(threads)
    zs = load(z)
    frame = pd.read_parquet(attributes)
    labels_of = discrete_attributes(frame)
    if labels_of.columns.empty:
        raise ZatlasError(
            f"{attributes} has no attribute columns: give data.attributes a CSV of them "
            "(docs/data.md, 'Your own images')"
        )
    idx = subset(len(zs), max_points, seed)
    if k >= len(idx):
        raise ZatlasError(
            f"analysis.attributes.k: {k} clusters need more than the {len(idx)} points used; "
            "lower k or raise analysis.attributes.max_points"
        )
    x = np.asarray(zs[idx], dtype=np.float32)
    why = latent_problem(x, k + 1, f"k-means with k = {k}")
    if why:
        record = {"model": model, "k": k, "n_points": int(len(idx))}
        figures = [scatter_figure, nmi_figure]
        label = title(model, "k-means clusters against attributes")
        write_not_run(why, figures, label, summary, record, {table: ["attribute", "nmi", "ami"]})
        return
    labels = attr_an.kmeans_labels(x, k, seed)
    nmi = attr_an.attribute_nmi(labels, labels_of.iloc[idx].reset_index(drop=True))
    nmi.to_csv(table, index=False)
    best = nmi.iloc[0]
    write_json(
        summary,
        {
            "model": model,
            "k": k,
            "n_points": int(len(idx)),
            "best_attribute": best["attribute"],
            "best_nmi": best["nmi"],
            "mean_nmi": float(nmi["nmi"].mean()),
            "mean_ami": float(nmi["ami"].mean()),
            "n_attributes_nmi_above_0.1": int((nmi["nmi"] > 0.1).sum()),
        },
    )
    plot_nmi(nmi, k, title(model, "k-means clusters against attributes"), nmi_figure)

    shown = list(color_by)
    pcs = pca_an.reduce(x, 2)
    projections = {"PCA": (pcs, frame.iloc[idx][shown])}
    emb = pd.read_csv(tsne_embedding)
    if not emb.empty:  # empty: that t-SNE could not run (its summary says why)
        projections["t-SNE"] = (
            emb[["x", "y"]].to_numpy(),
            frame.iloc[emb["index"].to_numpy()][shown],
        )
    plot_attribute_scatters(projections, title(model, "coloured by attributes"), scatter_figure)
