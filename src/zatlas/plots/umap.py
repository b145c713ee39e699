"""The UMAP embeddings of one model, one panel per variant."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from zatlas.plots import save, scatter_style

# The report's words for this stage (our page and Snakemake's, zatlas.captions): CAPTION
# under every figure without its own, FILE_CAPTIONS by output file stem.
CAPTION = """\
UMAP (umap-learn) of the same subsets of z as t-SNE: z itself at every size, and z after
PCA to each configured number of components. One panel per subset. Each run's kNN
recall at 10 (the share of a point's 10 nearest neighbours in z that stay among its 10
nearest in the embedding) is in ``summary.json``, measured against z whatever the input,
so it compares directly with t-SNE's. UMAP keeps more of the global arrangement than
t-SNE; neither map's empty space is a void in z.
"""


def plot_embeddings(
    embeddings: dict[str, np.ndarray], title: str, path, colors: dict | None = None
) -> None:
    """One panel per variant; `colors` ({variant: per-point attribute values}) colours
    them (numbers on a scale, categories a colour each)."""
    from zatlas.plots.colours import colour_args, legend

    cols = min(len(embeddings), 3)
    rows = math.ceil(len(embeddings) / cols)
    fig, axs = plt.subplots(rows, cols, figsize=(4 * cols, 4 * rows), squeeze=False)
    for ax in axs.flat[len(embeddings) :]:
        ax.axis("off")
    for ax, (name, emb) in zip(axs.flat, embeddings.items(), strict=False):
        colour, handles = colour_args(colors[name]) if colors else ({}, [])
        ax.scatter(emb[:, 0], emb[:, 1], **colour, **scatter_style(len(emb)))
        legend(ax, handles)
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(name, fontsize=9)
    fig.suptitle(title, fontsize=10)
    save(fig, path)
