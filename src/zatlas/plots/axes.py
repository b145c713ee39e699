"""Number density along the latent axes: all axes, and the dominant ones one by one."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from zatlas.analysis.axes import axis_label, mode_positions
from zatlas.plots import plt, save


def plot_axes_all(edges: np.ndarray, counts: np.ndarray, title: str, path) -> None:
    centers = (edges[:-1] + edges[1:]) / 2
    fig, ax = plt.subplots(figsize=(7, 4))
    for row in counts:
        ax.plot(centers, row, lw=0.5, alpha=0.5)
    ax.set(xlabel="z value along the axis", ylabel="points per bin", title=title)
    save(fig, path)


def plot_axes_dominant(edges, counts, dominant: pd.DataFrame, title: str, path) -> None:
    centers = (edges[:-1] + edges[1:]) / 2
    n = max(len(dominant), 1)
    cols = min(n, 4)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.8 * rows), squeeze=False)
    for ax in axes.flat:
        ax.set_visible(False)
    if dominant.empty:
        axes[0, 0].set_visible(True)
        axes[0, 0].text(0.5, 0.5, "no dominant axis", ha="center", va="center")
        axes[0, 0].set_axis_off()
    median = counts.mean(axis=0)
    for ax, (_, r) in zip(axes.flat, dominant.iterrows(), strict=False):
        ax.set_visible(True)
        ax.plot(centers, median, color="0.6", lw=0.8, label="mean of all axes")
        ax.plot(centers, counts[int(r["axis"])], color="C3", lw=1)
        for m in mode_positions(r):
            ax.axvline(m, color="k", ls=":", lw=0.8)
        ax.set_title(f"axis {int(r['axis'])}: {axis_label(r)}", fontsize=8)
    fig.suptitle(title)
    save(fig, path)
