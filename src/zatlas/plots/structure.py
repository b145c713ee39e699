"""Figures of the structure stage: NN distances and voids against the nulls, t-SNE pairs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from zatlas.plots import plt, save, scatter_style


def plot_verdicts(hist: pd.DataFrame, voids: pd.DataFrame, title: str, path) -> None:
    """Left: neighbour distances of the data beside both nulls; right: voids per window."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    centers = (hist["left"] + hist["right"]) / 2
    for column, label, style in (
        ("count_data_robust", "data (Tyler-whitened)", "-"),
        ("count_elliptical", "elliptical null (radii kept)", "--"),
        ("count_data_plain", "data (covariance-whitened)", "-"),
        ("count_gaussian", "matched Gaussian", ":"),
    ):
        ax1.step(centers, hist[column], where="mid", ls=style, label=label)
    ax1.set(xlabel="distance to the k-th neighbour (top PCs, whitened)", ylabel="query points")
    ax1.set_title("clumping: data against both nulls", fontsize=9)
    ax1.legend(fontsize=7)
    labels = [f"{r.plane}\n{r.zoom}" for r in voids.itertuples()]
    x = np.arange(len(voids))
    ax2.bar(x - 0.2, voids["voids_data"], 0.4, label="data")
    ax2.bar(
        x + 0.2,
        voids["voids_null_mean"],
        0.4,
        # counts cannot go below 0: the lower bar stops there
        yerr=[
            np.minimum(2 * voids["voids_null_sd"], voids["voids_null_mean"]),
            2 * voids["voids_null_sd"],
        ],
        alpha=0.7,
        label="smoothed-marginal null (mean ± 2 sd)",
    )
    ax2.plot(x + 0.2, voids["voids_null_max"], "k_", ms=12, label="null maximum")
    ax2.set_xticks(x, labels, fontsize=7)
    ax2.set(ylabel="enclosed empty cells (voids)")
    ax2.set_ylim(bottom=0)
    ax2.set_title("holes inside the support of each PC plane (window)", fontsize=9)
    ax2.legend(fontsize=7)
    fig.suptitle(title)
    save(fig, path)


def plot_tsne_pair(data: np.ndarray, null: np.ndarray, title: str, path) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(10, 5))
    for ax, emb, label in zip(axes, (data, null), ("data", "matched Gaussian"), strict=True):
        ax.scatter(emb[:, 0], emb[:, 1], **scatter_style(len(emb)))
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"{label} ({len(emb)} points)", fontsize=9)
    fig.suptitle(title)
    save(fig, path)
