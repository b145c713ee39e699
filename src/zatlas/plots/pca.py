"""PCA: explained variance, and the z-points in chosen planes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from zatlas.plots import plt, save, scatter_style


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
