"""A t-SNE embedding, coloured by an attribute."""

from __future__ import annotations

import numpy as np

from zatlas.plots import plt, save, scatter_style
from zatlas.plots.colours import colour_args, legend


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
