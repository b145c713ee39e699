"""A t-SNE embedding, coloured by an attribute."""

from __future__ import annotations

import numpy as np

from zatlas.plots import plt, save, scatter_style
from zatlas.plots.colours import colour_args, legend

# The report's words for this stage (our page and Snakemake's, zatlas.captions): CAPTION
# under every figure without its own, FILE_CAPTIONS by output file stem.
CAPTION = """\
t-SNE embedding (openTSNE, FFT-accelerated) of a seeded random subset of the z-points. The
name reads ``<input>-n<points>-p<perplexity>-ee<early exaggeration>``: input ``z`` is the
latent vectors themselves, ``pca<k>`` the vectors reduced to k principal components first.
Points are translucent and rasterized, coloured by the configured CelebA attribute when there
is one. Only neighbourhoods are meaningful: distances between far clusters and cluster sizes
are not. The table gives the points used, the final KL divergence and the run time. The
optimiser follows ``analysis.tsne.schedule``: ``opentsne`` (openTSNE's learning rate, a
lower KL in as many iterations) or ``sklearn`` (scikit-learn's, as in the blog).
"""


def plot_tsne(embedding: np.ndarray, colors: np.ndarray | None, title: str, path) -> None:
    fig, ax = plt.subplots(figsize=(6, 6))
    style = scatter_style(len(embedding))
    if colors is None:
        ax.scatter(embedding[:, 0], embedding[:, 1], **style)
    else:  # a number on a colour scale, a category (strings) a colour each
        colour, handles = colour_args(colors)
        ax.scatter(embedding[:, 0], embedding[:, 1], **colour, **style)
        legend(ax, handles)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=9)
    save(fig, path)
