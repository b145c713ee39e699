"""Samples of every sampling strategy and their on-manifold scores."""

from __future__ import annotations

import numpy as np

from zatlas.plots import plt, save

# The report's words for this stage (our page and Snakemake's, zatlas.captions): CAPTION
# under every figure without its own, FILE_CAPTIONS by output file stem.
CAPTION = """\
Do random z-points fail because they miss a thin manifold, or a larger coherent region?
Samples from fixed distributions (N(0, I), uniform boxes) and from densities fitted to the
training latents after training (diagonal Gaussian, full-covariance Gaussian, Gaussian
mixture, as in "From Variational to Deterministic Autoencoders"), against held-out real
z-points as the reference.
"""
FILE_CAPTIONS = {
    "decoded": """\
Images decoded from the first samples of each strategy; the last row (held_out) decodes real
z-points of validation and test images.
""",
    "scores": """\
Left: on-manifold score, the distance of each sample to its nearest training z-point over the
median distance of training points to their own nearest neighbour (about 1 on the data); the
dashed line is the 95th percentile of the training points' own ratio, and
on_manifold_fraction in scores.csv is the share of samples below it. Right: pixel MSE between
decode(z) and decode(encode(decode(z))); latent_drift_median in the table is the median of
the relative shift of z after one decode-encode cycle. A strategy that scores like held_out
samples the region the decoder was trained on.
""",
}


def plot_sampling_scores(
    scores: dict[str, np.ndarray], cycle: dict[str, np.ndarray], within: float, title: str, path
) -> None:
    """Box plots per strategy: on-manifold score (log) and decode-encode-decode pixel MSE."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.2))
    names = list(scores)
    ax1.boxplot([np.maximum(scores[n], 1e-6) for n in names], showfliers=False)
    ax1.axhline(within, color="C3", ls="--", label="95% of training points")
    ax1.set_yscale("log")
    ax1.set_xticks(np.arange(1, len(names) + 1), names, rotation=30, ha="right")
    ax1.set(ylabel="NN distance / training median NN distance", title="on-manifold score")
    ax1.legend(fontsize=8)
    ax2.boxplot([cycle[n] for n in names], showfliers=False)
    ax2.set_xticks(np.arange(1, len(names) + 1), names, rotation=30, ha="right")
    ax2.set(ylabel="pixel MSE", title="decode -> encode -> decode error")
    fig.suptitle(title)
    save(fig, path)


def plot_image_rows(groups: dict[str, np.ndarray], title: str, path) -> None:
    """One row of images per group, each row drawn as a single mosaic (fast for many rows)."""
    n_cols = max((len(v) for v in groups.values()), default=1)
    fig, axes = plt.subplots(
        len(groups), 1, figsize=(0.9 * n_cols + 1.5, 1.0 * len(groups) + 0.4), squeeze=False
    )
    for ax, (label, imgs) in zip(axes[:, 0], groups.items(), strict=True):
        ax.set_axis_off()
        if len(imgs):
            h, w = imgs.shape[1:3]
            strip = np.full((h, n_cols * (w + 2), 3), 255, dtype=np.uint8)
            for i, im in enumerate(imgs):
                strip[:, i * (w + 2) : i * (w + 2) + w] = im
            ax.imshow(strip, interpolation="nearest")
        ax.set_title(label, fontsize=8, loc="left")
    fig.suptitle(title)
    save(fig, path)
