"""Figures of the structure stage: NN distances and voids against the nulls, t-SNE pairs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from zatlas.plots import plt, save, scatter_style


def plot_verdicts(
    profile: pd.DataFrame, holes: pd.DataFrame, min_clump: float, title: str, path
) -> None:
    """Left: neighbour distances of the data over the smoothed null's, by rank (clumping
    below the band); right: the largest hole of each window against its null replicates."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    ax1.plot(profile["rank"], profile["ratio"], "o-", label="data / smoothed null (medians)")
    ax1.axhline(1.0, color="k", lw=0.8)
    ax1.axhspan(1 - min_clump, 1 + min_clump, color="0.85", label="within the minimum effect")
    ax1.set_xscale("log", base=2)
    ax1.set_xticks(profile["rank"], [str(int(r)) for r in profile["rank"]])
    ax1.set(xlabel="neighbour rank", ylabel="median distance ratio data / null")
    ax1.set_title("clumping: below the band = filaments or clusters at that scale", fontsize=9)
    ax1.legend(fontsize=7)
    labels = [f"{r.plane} {r.zoom}" for r in holes.itertuples()]
    x = np.arange(len(holes))
    ax2.bar(x - 0.2, holes["hole_expected"], 0.4, label="data")
    ax2.bar(x + 0.2, holes["null_max"], 0.4, alpha=0.7, label="smoothed-marginal null (maximum)")
    ax2.set_xticks(x, labels, fontsize=6, rotation=90)
    ax2.set(ylabel="points the null expects in the largest hole")
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
