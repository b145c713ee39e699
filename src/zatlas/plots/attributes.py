"""Scatters coloured by attributes, and the NMI of k-means clusters with each attribute."""

from __future__ import annotations

import numpy as np
import pandas as pd

from zatlas.plots import plt, save, scatter_style
from zatlas.plots.colours import colour_args, is_categorical, legend

# The report's words for this stage (our page and Snakemake's, zatlas.captions): CAPTION
# under every figure without its own, FILE_CAPTIONS by output file stem.
CAPTION = """\
Do k-means clusters of z match the 40 CelebA attributes, as the blog guessed? The normalized
mutual information (NMI) between the k-means labels and each binary attribute, with the
mutual information adjusted for chance (AMI) beside it: 1 means the clusters determine the
attribute, 0 that they say nothing about it.
"""
FILE_CAPTIONS = {
    "nmi": """\
NMI and AMI between the k-means clusters and each attribute, highest first (nmi.csv). The
summary gives the best attribute and the mean over all 40.
""",
    "scatters": """\
PCA (PC1/PC2) and t-SNE scatters of the z-points coloured by the chosen attributes (red:
present, blue: absent). An attribute that separates into regions is encoded along directions
that these projections keep.
""",
}


def plot_attribute_scatters(
    projections: dict[str, tuple[np.ndarray, pd.DataFrame]], title: str, path
) -> None:
    """Rows: projections (PCA, t-SNE), each with its points' attributes; columns: attributes
    (red = present, blue = absent; a column of more than two values by its value)."""
    names = list(next(iter(projections.values()))[1].columns)
    fig, axes = plt.subplots(
        len(projections),
        len(names),
        figsize=(3.2 * len(names), 3.2 * len(projections)),
        squeeze=False,
    )
    for row, (label, (xy, attrs)) in zip(axes, projections.items(), strict=True):
        style = scatter_style(len(xy))
        for ax, name in zip(row, names, strict=True):
            values = attrs[name].to_numpy()
            handles = []
            if is_categorical(values):  # a colour per category, never a scale
                colour, handles = colour_args(values)
            elif len(np.unique(values)) <= 2:
                colour = {"c": (values > 0).astype(float), "vmin": 0, "vmax": 1, "cmap": "coolwarm"}
            else:
                colour = {"c": values.astype(float), "cmap": "coolwarm"}
            ax.scatter(xy[:, 0], xy[:, 1], **colour, **style)
            legend(ax, handles)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{label}: {name}", fontsize=8)
    fig.suptitle(title)
    save(fig, path)


def plot_nmi(table: pd.DataFrame, k: int, title: str, path) -> None:
    t = table.iloc[::-1]
    fig, ax = plt.subplots(figsize=(6, max(3, 0.18 * len(t) + 1)))
    y = np.arange(len(t))
    ax.barh(y - 0.2, t["nmi"], 0.4, label="NMI")
    ax.barh(y + 0.2, t["ami"], 0.4, label="AMI (chance-adjusted)")
    ax.set_yticks(y, t["attribute"], fontsize=6)
    ax.set(xlabel=f"mutual information with k-means (k = {k}) clusters", title=title)
    ax.legend(fontsize=8)
    save(fig, path)
