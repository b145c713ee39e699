"""Number density against the radius, one panel per bin width."""

from __future__ import annotations

import pandas as pd

from zatlas.plots import plt, save

# The report's words for this stage (our page and Snakemake's, zatlas.captions): CAPTION
# under every figure without its own, FILE_CAPTIONS by output file stem.
CAPTION = """\
Number of z-points per radius bin (the L2 distance ``||z||`` from the origin), one panel per
configured bin width. The dotted line marks sqrt(z_dim), where the points of a standard
Gaussian in z_dim dimensions concentrate; the dashed line is the peak of the histogram at
that bin width, or each mode where the density has several. The peak and FWHM in
summary.json (and in the summary of findings) are bin-free: the mode of a Gaussian kernel
density estimate and the density's width at half the peak's height. The modes are counted
first (``n_modes``, ``modes``): with more than one there is no single peak, and ``peak`` and
``fwhm`` are null with a ``peak_note``. A shell far inside or outside sqrt(z_dim), a much
narrower or wider one, or several shells, say the encoder does not fill the space like a
standard Gaussian.
"""


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
