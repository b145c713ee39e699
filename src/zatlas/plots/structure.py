"""Figures of the structure stage: NN distances and voids against the nulls, t-SNE pairs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from zatlas.plots import plt, save, scatter_style


def plot_structure(hist: pd.DataFrame, voids: pd.DataFrame, title: str, path) -> None:
    """Left: NN-distance histograms of data and null; right: void fraction against zoom."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    centers = (hist["left"] + hist["right"]) / 2
    ax1.step(centers, hist["count_data"], where="mid", label="data")
    ax1.step(centers, hist["count_null"], where="mid", ls="--", label="matched Gaussian")
    ax1.set(xlabel="distance to the nearest other z-point", ylabel="points", title="NN distance")
    ax1.legend()
    labels = [str(z) for z in voids["zoom"].drop_duplicates()]
    x = np.arange(len(labels))
    for i, (plane, t) in enumerate(voids.groupby("plane", sort=False)):
        color = f"C{i}"
        ax2.plot(x, t["void_data"], "o-", color=color, label=f"{plane} data")
        ax2.errorbar(
            x,
            t["void_null_mean"],
            yerr=2 * t["void_null_sd"],
            fmt="s--",
            color=color,
            alpha=0.6,
            label=f"{plane} null (±2 sd)",
        )
    ax2.set_xticks(x, labels)
    ax2.set(xlabel="zoom (side of the square)", ylabel="share of empty cells", ylim=(0, 1.02))
    ax2.set_title("void fraction of PC-plane scatters")
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
