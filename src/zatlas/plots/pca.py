"""PCA: explained variance, and the z-points in chosen planes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from zatlas.plots import plt, save, scatter_style

# The report's words for this stage (our page and Snakemake's, zatlas.captions): CAPTION
# under every figure without its own, FILE_CAPTIONS by output file stem.
CAPTION = """\
Principal component analysis of the z-points: how much variance each component explains, and
scatters of the points on chosen planes at zoom squares around the origin. Empty regions at
small zooms are the "voids" of the blog study.
The zoom sides are in units of the median per-axis standard deviation of the latents
(``analysis.scale: relative``, the default; about 1 for the blog's AE, so the blog's sides 5,
1 and 0.5 carry over), or literal with ``analysis.scale: absolute``; ``summary.json`` and the
``side`` column of ``zoom_counts.csv`` give the sides in the latents' own units.
"""
FILE_CAPTIONS = {
    "axis_planes": """\
The same scatters as for the PC planes, on the plane of the two most dominant original latent
axes (from the axes table), at the full view and at the configured zoom squares.
""",
    "pc_planes": """\
Scatters of the z-points projected on the configured planes of principal components (rows),
at the full view and at zoom squares of the given side around the origin (columns); points
are translucent and rasterized, so dark areas are dense. Empty cells at small zooms are voids;
stripes and arcs are the "filaments".
""",
    "variance": """\
Explained-variance ratio of each principal component (bars, left axis) and its cumulative sum
(line, right axis). A few tall bars mean the z-points lie close to a low-dimensional subspace;
an even spread means they fill all z_dim directions.
""",
}


def plot_pca_variance(table: pd.DataFrame, title: str, path) -> None:
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.bar(table["component"], table["ratio"], color="C0", label="ratio")
    ax2 = ax.twinx()
    ax2.plot(table["component"], table["cumulative"], color="C3", label="cumulative")
    ax2.set_ylim(0, 1.02)
    ax.set(xlabel="principal component", ylabel="explained variance ratio", title=title)
    ax2.set_ylabel("cumulative")
    save(fig, path)


def plot_planes(points: dict[str, np.ndarray], zooms, title: str, path, labels=None) -> None:
    """Rows: planes; columns: zoom squares around the origin (sides in the data's units),
    titled by `labels` when given."""
    fig, axes = plt.subplots(
        len(points), len(zooms), figsize=(3.2 * len(zooms), 3.2 * len(points)), squeeze=False
    )
    if labels is None:
        labels = ["full view" if zoom is None else f"side {zoom:g}" for zoom in zooms]
    for row, (label, xy) in zip(axes, points.items(), strict=True):
        for ax, zoom, what in zip(row, zooms, labels, strict=True):
            ax.scatter(xy[:, 0], xy[:, 1], **scatter_style(len(xy)))
            if zoom is not None:
                ax.set_xlim(-zoom / 2, zoom / 2)
                ax.set_ylim(-zoom / 2, zoom / 2)
            ax.set_aspect("equal", adjustable="datalim" if zoom is None else "box")
            ax.set_title(f"{label}, {what}", fontsize=8)
    fig.suptitle(title)
    save(fig, path)
