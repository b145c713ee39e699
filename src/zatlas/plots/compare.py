"""Every model in one figure: radius densities and k-means inertia overlaid."""

from __future__ import annotations

import math

import pandas as pd

from zatlas.plots import plt, save

# The report's words for this stage (our page and Snakemake's, zatlas.captions): CAPTION
# under every figure without its own, FILE_CAPTIONS by output file stem.
CAPTION = """\
Every model side by side: radius and k-means inertia overlaid in one figure each, and one
table (``compare.csv``) with each model's radius peak and shells, dominant axes, elbow k and,
for VAEs, the logvar and ``|z - mu|`` statistics.
"""
FILE_CAPTIONS = {
    "kmeans_overlay": """\
Every model's k-means inertia against k, divided by its inertia at the smallest k so that
models of different scale share one axis (line: mean over seeds, band: min-max). A curve that
drops fast and then flattens has a few well-separated clusters; a slowly falling straight-ish
curve has none.
""",
    "radius_overlay": """\
All models in one figure: the number density of the z-points against the radius ``||z||``
(normalized to unit area, one panel per bin width), with sqrt(z_dim) dotted and each model's
peak in the legend. Shells at different radii or of different widths show how the KL term
pulls a VAE's points toward a standard Gaussian, while an AE's shell sits wherever training
left it.
""",
}


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
