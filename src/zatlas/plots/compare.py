"""Every model in one figure: radius densities and k-means inertia overlaid."""

from __future__ import annotations

import math

import pandas as pd

from zatlas.plots import plt, save


def _peak_label(summary: dict) -> str:
    if summary.get("n_modes", 1) > 1:
        return f"{summary['n_modes']} modes"
    peak = summary.get("peak")
    return "" if peak is None else f"peak {peak:.2f}"


def plot_radius_overlay(
    densities: dict[str, pd.DataFrame], summaries: dict[str, dict], z_dim: int, path
) -> None:
    """Every model's number density vs radius in one figure, one panel per bin width."""
    widths = sorted({w for t in densities.values() for w in t["bin_width"].unique()}, reverse=True)
    fig, axes = plt.subplots(1, len(widths), figsize=(6 * len(widths), 4), squeeze=False)
    for ax, w in zip(axes[0], widths, strict=True):
        for i, (name, t) in enumerate(densities.items()):
            t = t[t["bin_width"] == w]
            peak = _peak_label(summaries.get(name, {}))
            label = f"{name} ({peak})" if peak else name
            ax.plot(t["center"], t["density"], color=f"C{i}", lw=1, label=label)
        ax.axvline(math.sqrt(z_dim), color="k", ls=":", label="sqrt(z_dim)")
        ax.set(
            xlabel="radius ||z||",
            ylabel="number density (fraction per unit radius)",
            title=f"radius, all models, bin width {w:g}",
        )
        ax.legend(fontsize=8)
    save(fig, path)


def plot_kmeans_overlay(per_model: dict[str, pd.DataFrame], path) -> None:
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
