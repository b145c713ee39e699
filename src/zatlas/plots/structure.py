"""Figures of the structure stage: NN distances and voids against the nulls, t-SNE pairs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from zatlas.plots import plt, save, scatter_style

# The report's words for this stage (our page and Snakemake's, zatlas.captions): CAPTION
# under every figure without its own, FILE_CAPTIONS by output file stem.
CAPTION = """\
Are the blog's "filaments and voids" real, or what any cloud of the same shape looks like in
projection? Each verdict names the null it rejects, and the nulls form a hierarchy, each
removing one explanation: the matched Gaussian (mean and covariance); the elliptical null
(also every point's Mahalanobis radius, on a random direction: heavy tails and shells are
reproduced), whose rejection is a finding about the cloud's shape and not about filaments;
the smoothed data (the cloud's own large-scale shape, every point moved by a small kernel),
whose rejection at some neighbour rank is small-scale clumping, filaments or clusters, at
that scale; and, for holes, a smoothed marginal of each PC plane (the same outline, holes
smaller than the kernel filled in). Neighbour tests live in robust principal components
(far outliers trimmed), windows span robust quantiles. Every p-value is
Bonferroni-corrected for all tests of the table (``n_tests``), and a verdict also needs an
effect beyond a minimum. The family-wise false-positive rates and the power of these
verdicts, run through this very stage function on clouds with and without planted structure,
are in docs/structure.md (benchmarks/structure_calibration.py).
"""
FILE_CAPTIONS = {
    "structure": """\
Left: small-scale clumping. Median distance of query points to their r-th nearest
neighbour in the robust top principal components (whitened), data over the smoothed data
(every point moved by a kernel of ``clump_bandwidth`` robust sd, spread kept), at every
rank r. Below the grey band the points crowd together beyond what a smooth density of the
same large-scale shape explains: filaments or clusters, at the scale of the first rank
below the band. A cluster of 10 points shows at ranks below 10 and not beyond. Right: per
PC plane and window, the largest hole (an empty region not connected to the window's edge)
measured by the points the smoothed-marginal null expects in it, data beside the largest
of the null replicates. Numbers: nn_distances.csv (per rank), voids.csv (per window); the
tests in verdicts.csv.
""",
    "tsne_null": """\
t-SNE of a seeded random subset of the z-points beside a t-SNE of the same number of points
from the matched Gaussian, with the same settings (the configured ``tsne_perplexity``).
Islands and strands that the null shows as well are what t-SNE makes of any
high-dimensional Gaussian; only structure beyond the null's is structure of the data. The
final KL divergences are in summary.json.
""",
    "verdicts": """\
One row per test, each named for its null, in the order of the hierarchy.
``radii_not_gaussian``: Kolmogorov-Smirnov of the squared Mahalanobis radii against their
exact law for a Gaussian sample (a scaled Beta law); effect = KS distance.
``not_gaussian_nn``: Mann-Whitney U of distances to the ``nn_k``-th neighbour in the robust
top PCs, data against the matched Gaussian (anything non-Gaussian). ``not_elliptical``: the
same against the elliptical null, which keeps every point's Mahalanobis radius: a SHAPE
finding (a box or crossed broad Gaussians are not elliptical and have no filament or
cluster). ``clumping`` (one row per neighbour rank): the data against the smoothed data,
which keeps the large-scale shape: the only test that speaks of filaments or clusters; the
first rank at which it fires is the scale of the clumping. Effects are ratios of median
distances (data/null). ``holes``: the largest enclosed empty region of each PC-plane window,
measured by the points the smoothed-marginal null expects in it (a measure that does not
shrink as the cloud grows), over two grid phases, against Monte Carlo replicates of the
null with at least 2 x n_tests / alpha replicates where the effect reaches its minimum.
``p_raw`` is the test's own p-value, ``p_value`` the Bonferroni-corrected one
(x ``n_tests``); a verdict needs ``p_value < alpha`` and an effect beyond ``min_effect``.
The ``overall`` row states the clumping answer first, then the shape finding, then the
holes.
""",
}


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
