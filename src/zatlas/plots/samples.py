"""Decoded images in rows: random z-points and reconstructions."""

from __future__ import annotations

import math

import numpy as np

from zatlas.plots import plt, save


def plot_image_grid(groups: dict[str, np.ndarray], title: str, path, per_row: int = 12) -> None:
    """One block of images per group (e.g. per distribution), each block its own rows."""
    n_rows = sum(math.ceil(len(imgs) / per_row) for imgs in groups.values())
    fig, axes = plt.subplots(
        n_rows, per_row, figsize=(per_row * 0.9, n_rows * 1.0 + 0.4), squeeze=False
    )
    row = 0
    for label, imgs in groups.items():
        for start in range(0, len(imgs), per_row):
            for col in range(per_row):
                ax = axes[row, col]
                ax.set_axis_off()
                if start + col < len(imgs):
                    ax.imshow(imgs[start + col])
            axes[row, 0].set_title(label if start == 0 else "", fontsize=7, loc="left")
            row += 1
    fig.suptitle(title)
    save(fig, path)
