"""Number density along the latent axes: all axes, and the dominant ones one by one."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from zatlas.analysis.axes import axis_label, mode_positions
from zatlas.plots import plt, save

# The report's words for this stage (our page and Snakemake's, zatlas.captions): CAPTION
# under every figure without its own, FILE_CAPTIONS by output file stem.
CAPTION = """\
Number density of the z-points along each latent axis (bin 0.25). Each axis' modes are
counted first (``n_modes``, ``modes`` in ``table.csv``): a Gaussian kernel density at
Silverman's bandwidth, where a local maximum counts only if it stands out from the valleys
beside it by 4 standard errors of the density. A centre and a full width at half maximum
(FWHM) describe one peak, so only a single-mode axis has them: the centre is the midpoint of
the half-maximum crossings (the mode itself when the peak sits on a support boundary, as a
half-normal's does; ``boundary``), and the FWHM is read off the density at half the peak's
height, whatever its shape. A multimodal axis has no centre or FWHM (empty, with a
``note``) and is listed with its modes instead. The dominant axes are those whose centre is
far from 0, whose FWHM is far above the median width of all axes, or that have several
modes (``multimodal``); ``dominant.csv`` lists them with modes, centre, mean, std and FWHM.
``center_binned`` and ``fwhm_binned`` are the histogram's values at the bin width.
"Far from 0" is ``center_threshold`` (default 1) in units of the median per-axis standard
deviation of the latents (``analysis.scale: relative``, the default; about 1 for the blog's
AE), or literally with ``analysis.scale: absolute``, as the blog did; ``summary.json`` states
the mode, the unit and the threshold in the latents' own units, and ``n_multimodal``.
"""
FILE_CAPTIONS = {
    "all_axes": """\
Number density along every latent axis, one thin curve per axis, all in one figure (bin
0.25). Curves that stand out from the bundle (shifted, wider or flatter) are the dominant axes
shown one by one in the next figure.
""",
    "dominant_axes": """\
The dominant axes one by one (red), each against the mean curve of all axes (grey), their
modes marked (dotted). The panel title gives the axis index with its centre and FWHM
(bin-free kernel density estimates) or, for an axis with several modes, the modes alone: a
centre far from 0, a width far above the others' or a second mode means the encoder uses
that direction differently from the rest.
""",
}


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
