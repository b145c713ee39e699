"""Every figure of the study. Each takes tables/arrays and writes one PNG."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from zatlas.plots import plt, save, scatter_style


def plot_history(history: pd.DataFrame, title: str, path) -> None:
    cols = [c for c in ("loss", "reco_loss", "kl_loss") if c in history]
    fig, axes = plt.subplots(1, len(cols), figsize=(4.2 * len(cols), 3.4), squeeze=False)
    for ax, col in zip(axes[0], cols, strict=True):
        ax.plot(history["epoch"], history[col], "o-", label="train")
        if f"val_{col}" in history:
            ax.plot(history["epoch"], history[f"val_{col}"], "s--", label="validation")
        ax.set(xlabel="epoch", title=col.replace("_", " "))
        ax.legend()
    fig.suptitle(title)
    save(fig, path)


def plot_radius(densities: pd.DataFrame, summary: dict, title: str, path) -> None:
    widths = sorted(densities["bin_width"].unique(), reverse=True)
    peaks = {p["bin_width"]: p["peak"] for p in summary.get("peaks", [])}
    fig, axes = plt.subplots(1, len(widths), figsize=(5 * len(widths), 3.6), squeeze=False)
    for ax, w in zip(axes[0], widths, strict=True):
        t = densities[densities["bin_width"] == w]
        ax.step(t["center"], t["count"], where="mid", lw=1)
        ax.axvline(summary["gaussian_expectation"], color="k", ls=":", label="sqrt(z_dim)")
        peak = peaks.get(w, summary["peak"])
        ax.axvline(peak, color="C3", ls="--", label=f"peak {peak:.2f}")
        ax.set(xlabel="radius ||z||", ylabel=f"points per bin of {w:g}", title=f"bin width {w:g}")
        ax.legend()
    fig.suptitle(title)
    save(fig, path)


def plot_radius_overlay(
    densities: dict[str, pd.DataFrame], summaries: dict[str, dict], z_dim: int, path
) -> None:
    """Every model's number density vs radius in one figure, one panel per bin width."""
    widths = sorted({w for t in densities.values() for w in t["bin_width"].unique()}, reverse=True)
    fig, axes = plt.subplots(1, len(widths), figsize=(6 * len(widths), 4), squeeze=False)
    for ax, w in zip(axes[0], widths, strict=True):
        for i, (name, t) in enumerate(densities.items()):
            t = t[t["bin_width"] == w]
            peak = summaries.get(name, {}).get("peak")
            label = name if peak is None else f"{name} (peak {peak:.2f})"
            ax.plot(t["center"], t["density"], color=f"C{i}", lw=1, label=label)
        ax.axvline(math.sqrt(z_dim), color="k", ls=":", label="sqrt(z_dim)")
        ax.set(
            xlabel="radius ||z||",
            ylabel="number density (fraction per unit radius)",
            title=f"radius, all models, bin width {w:g}",
        )
        ax.legend(fontsize=8)
    save(fig, path)


def plot_inertia_overlay(per_model: dict[str, pd.DataFrame], path) -> None:
    """Every model's k-means inertia (mean and min-max band), relative to its first k."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for i, (name, t) in enumerate(per_model.items()):
        ref = float(t["mean"].iloc[0]) or 1.0
        ax.fill_between(t["k"], t["min"] / ref, t["max"] / ref, color=f"C{i}", alpha=0.25)
        ax.plot(t["k"], t["mean"] / ref, "o-", ms=2.5, color=f"C{i}", label=name)
    ax.set(
        xlabel="k",
        ylabel=f"inertia / inertia at k = {int(next(iter(per_model.values()))['k'].iloc[0])}",
        title="k-means inertia, all models (band: min-max over seeds)",
    )
    ax.legend()
    save(fig, path)


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
        ax.set_title(
            f"axis {int(r['axis'])}: centre {r['center']:.2f}, FWHM {r['fwhm']:.2f}", fontsize=8
        )
    fig.suptitle(title)
    save(fig, path)


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


def plot_tsne(embedding: np.ndarray, colors: np.ndarray | None, title: str, path) -> None:
    fig, ax = plt.subplots(figsize=(6, 6))
    style = scatter_style(len(embedding))
    if colors is None:
        ax.scatter(embedding[:, 0], embedding[:, 1], **style)
    else:  # a number on a colour scale, a category (strings) a colour each
        from zatlas.plots.colours import colour_args, legend

        colour, handles = colour_args(colors)
        ax.scatter(embedding[:, 0], embedding[:, 1], **colour, **style)
        legend(ax, handles)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=9)
    save(fig, path)


def plot_inertia(summary: pd.DataFrame, elbow: int, title: str, path) -> None:
    fig, ax = plt.subplots(figsize=(6.5, 4))
    ax.fill_between(
        summary["k"], summary["min"], summary["max"], alpha=0.3, label="min-max over seeds"
    )
    ax.plot(summary["k"], summary["mean"], "o-", ms=3, label="mean")
    ax.axvline(elbow, color="C3", ls="--", label=f"elbow k={elbow}")
    ax.set(xlabel="k", ylabel="inertia", title=title)
    ax.legend()
    save(fig, path)


def plot_vae_stats(logvar_hist, diff_hist, title: str, path) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    for ax, (counts, edges), label in zip(
        axes, (logvar_hist, diff_hist), ("logvar", "|z - mu|"), strict=True
    ):
        ax.stairs(counts, edges)
        ax.set(xlabel=label, ylabel="components", yscale="log")
    fig.suptitle(title)
    save(fig, path)


def plot_image_grid(groups: dict[str, np.ndarray], title: str, path, per_row: int = 12) -> None:
    """One block of images per group (e.g. per distribution), each block its own rows."""
    n_rows = sum(math.ceil(len(imgs) / per_row) for imgs in groups.values())
    fig, axes = plt.subplots(
        n_rows, per_row, figsize=(per_row * 0.9, n_rows * 1.0 + 0.4), squeeze=False
    )
    row = 0
    for label, imgs in groups.items():
        for start in range(0, len(imgs), per_row):
            for col in range(per_row):
                ax = axes[row, col]
                ax.set_axis_off()
                if start + col < len(imgs):
                    ax.imshow(imgs[start + col])
            axes[row, 0].set_title(label if start == 0 else "", fontsize=7, loc="left")
            row += 1
    fig.suptitle(title)
    save(fig, path)
