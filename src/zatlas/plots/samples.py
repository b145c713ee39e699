"""Decoded images in rows: random z-points and reconstructions."""

from __future__ import annotations

import math

import numpy as np

from zatlas.plots import plt, save

# The report's words for this stage (our page and Snakemake's, zatlas.captions): CAPTION
# under every figure without its own, FILE_CAPTIONS by output file stem.
CAPTION = """\
Images decoded from random z-points and reconstructions of real images. In the table,
``nearest_data_ratio_median`` is the distance from a random point to its nearest real z-point
over the real points' own median nearest-neighbour distance: about 1 means on the data, much
more means the point lies in a void; ``radius_mean`` is the mean ``||z||`` of the random points.
"""
FILE_CAPTIONS = {
    "random_z": """\
Images decoded from random z-points, one block of rows per configured distribution (named at
the left of its first row), e.g. N(0, 1), U[-2, 2] and U[-10, 10] in every component. Faces
mean that the distribution hits the region the decoder learnt; noise, grey blobs or saturated
colours mean the points lie off the data.
""",
    "reconstructions": """\
Real images (top row) and their reconstructions (bottom row), decoded from the encoder's
output (mu for a VAE). Blurry but recognizable faces are what a small convolutional
autoencoder gives; this is the quality random z-points should reach.
""",
}


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
