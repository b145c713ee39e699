"""Traversal figures: a grid of decoded faces per direction, and the change per direction."""

from __future__ import annotations

import numpy as np
import pandas as pd

from zatlas.plots import plt, save

# The report's words for this stage (our page and Snakemake's, zatlas.captions): CAPTION
# under every figure without its own, FILE_CAPTIONS by output file stem.
CAPTION = """\
What does one direction of z change in a face? Each grid starts from the codes of a few real
faces (one row each) and sets their coordinate along one direction to evenly spaced values
from the data's 1st to the 99th percentile along it (the column labels), keeping the rest of
each code; every cell is decoded. Directions: the most dominant original axes (by the axes
stage's score, named by their 0-based index) and the leading principal components.
"""
FILE_CAPTIONS = {
    "change": """\
How much the decoded face changes per unit step along each direction: the mean absolute
pixel difference (pixels in [0, 1]) between neighbouring cells of a traversal, over the
step's length in z (blue: original axes, orange: principal components). change.csv also has
the change per step and from the first to the last cell (end_to_end_change). A direction
that carries more change per unit moves the face more for the same distance in z.
""",
}


def _mosaic(images: np.ndarray, pad: int = 2) -> np.ndarray:
    """(rows, cols, H, W, C) images as one uint8 picture with white gaps."""
    imgs = np.asarray(images)
    if imgs.dtype != np.uint8:
        imgs = np.clip(np.rint(imgs * 255.0), 0, 255).astype(np.uint8)
    rows, cols, h, w = imgs.shape[:4]
    out = np.full((rows * (h + pad) - pad, cols * (w + pad) - pad, 3), 255, dtype=np.uint8)
    for r in range(rows):
        for c in range(cols):
            im = imgs[r, c]
            out[r * (h + pad) : r * (h + pad) + h, c * (w + pad) : c * (w + pad) + w] = (
                im if im.shape[-1] == 3 else np.repeat(im, 3, axis=-1)
            )
    return out


def plot_traversal_grid(images: np.ndarray, t: np.ndarray, title: str, path) -> None:
    """One row per start face, one column per step; the step values label the columns."""
    rows, cols, h, w = np.asarray(images).shape[:4]
    fig, ax = plt.subplots(figsize=(0.8 * cols + 1.0, 0.8 * rows + 0.9))
    ax.imshow(_mosaic(images), interpolation="nearest")
    ax.set_xticks([c * (w + 2) + w / 2 for c in range(cols)])
    ax.set_xticklabels([f"{v:.2g}" for v in t], fontsize=6, rotation=90)
    ax.set_yticks([])
    ax.set_xlabel("coordinate along the direction (data's 1st to 99th percentile)", fontsize=7)
    ax.set_title(title, fontsize=9)
    save(fig, path)


def plot_traversal_change(table: pd.DataFrame, title: str, path) -> None:
    """Horizontal bars: mean pixel change per unit step along each direction."""
    t = table.sort_values("pixel_change_per_unit")
    fig, ax = plt.subplots(figsize=(6, 0.3 * len(t) + 1.2))
    colors = ["C0" if k == "axis" else "C1" for k in t["kind"]]
    ax.barh(t["direction"], t["pixel_change_per_unit"], color=colors)
    ax.set(xlabel="mean pixel change per unit step in z (pixels in [0, 1])", title=title)
    ax.tick_params(axis="y", labelsize=7)
    save(fig, path)
