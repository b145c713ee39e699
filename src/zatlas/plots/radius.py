"""Number density against the radius, one panel per bin width."""

from __future__ import annotations

import pandas as pd

from zatlas.plots import plt, save


def plot_radius(densities: pd.DataFrame, summary: dict, title: str, path) -> None:
    widths = sorted(densities["bin_width"].unique(), reverse=True)
    peaks = {p["bin_width"]: p["peak"] for p in summary.get("peaks", [])}
    fig, axes = plt.subplots(1, len(widths), figsize=(5 * len(widths), 3.6), squeeze=False)
    for ax, w in zip(axes[0], widths, strict=True):
        t = densities[densities["bin_width"] == w]
        ax.step(t["center"], t["count"], where="mid", lw=1)
        ax.axvline(summary["gaussian_expectation"], color="k", ls=":", label="sqrt(z_dim)")
        if summary.get("n_modes", 1) > 1:  # no single peak: mark every mode instead
            for i, m in enumerate(summary["modes"]):
                ax.axvline(
                    m,
                    color="C3",
                    ls="--",
                    label=f"modes ({len(summary['modes'])})" if i == 0 else None,
                )
        else:
            peak = peaks.get(w, summary["peak"])
            ax.axvline(peak, color="C3", ls="--", label=f"peak {peak:.2f}")
        ax.set(xlabel="radius ||z||", ylabel=f"points per bin of {w:g}", title=f"bin width {w:g}")
        ax.legend()
    fig.suptitle(title)
    save(fig, path)
