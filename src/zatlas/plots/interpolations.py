"""Interpolation figure: per pair, the straight and graph strips and the score along both."""

from __future__ import annotations

import numpy as np
import pandas as pd

from zatlas.plots import plt, save

# The report's words for this stage (our page and Snakemake's, zatlas.captions): CAPTION
# under every figure without its own, FILE_CAPTIONS by output file stem.
CAPTION = """\
Does the straight line between two real faces stay on the data? For seeded pairs of real
codes, the straight segment in z (top strip) against the shortest path through the data's
k-nearest-neighbour graph (bottom strip), both resampled to the same number of steps by
length and decoded. Right: the on-manifold score along each path, the distance of each step
to its nearest real code over the median nearest-neighbour distance of the real codes (as in
the sampling stage; about 1 on the data, dotted: the 95th percentile of real codes). A
straight line that crosses a void shows a bump in the middle; the graph path stays low by
construction. The table gives the mean and maximum score per path type over all pairs
(pair_max_mean: the typical height of the bump); pairs.csv has each pair's lengths and hops.
"""


def _strip(images: np.ndarray | None, n_cols: int, shape, pad: int = 2) -> np.ndarray:
    h, w = shape
    strip = np.full((h, n_cols * (w + pad) - pad, 3), 255, dtype=np.uint8)
    if images is None:
        return strip
    imgs = np.asarray(images)
    if imgs.dtype != np.uint8:
        imgs = np.clip(np.rint(imgs * 255.0), 0, 255).astype(np.uint8)
    for i, im in enumerate(imgs):
        strip[:, i * (w + pad) : i * (w + pad) + w] = im
    return strip


def plot_interpolations(
    strips: list[dict], scores: pd.DataFrame, within: float, title: str, path
) -> None:
    """Three panels per pair: straight-line strip, kNN-graph strip, on-manifold score."""
    n = len(strips)
    first = next((s[k] for s in strips for k in ("straight", "graph") if s[k] is not None), None)
    n_cols = len(first) if first is not None else 1
    shape = first.shape[1:3] if first is not None else (8, 8)
    fig, axes = plt.subplots(
        n,
        2,
        figsize=(0.55 * n_cols + 4.0, 1.5 * n + 0.6),
        squeeze=False,
        gridspec_kw={"width_ratios": [0.55 * n_cols, 3.5]},
    )
    for p, strip in enumerate(strips):
        pics = np.concatenate(
            [
                _strip(strip["straight"], n_cols, shape),
                np.full((4, n_cols * (shape[1] + 2) - 2, 3), 255, np.uint8),
                _strip(strip["graph"], n_cols, shape),
            ]
        )
        ax = axes[p, 0]
        ax.imshow(pics, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([shape[0] / 2, shape[0] * 1.5 + 4])
        ax.set_yticklabels(["straight", "kNN graph"], fontsize=7)
        ax.set_title(f"pair {p}", fontsize=8, loc="left")
        ax = axes[p, 1]
        for kind, style in (("straight", "C3-"), ("graph", "C0-")):
            s = scores[(scores["pair"] == p) & (scores["path"] == kind)]
            if len(s):
                ax.plot(s["fraction"], s["score"], style, lw=1.2, label=kind)
        ax.axhline(within, color="k", ls=":", lw=0.8, label="95% of real codes")
        ax.set_ylabel("on-manifold score", fontsize=7)
        ax.tick_params(labelsize=6)
        if p == 0:
            ax.legend(fontsize=6)
    axes[-1, 1].set_xlabel("fraction of the path", fontsize=7)
    fig.suptitle(title)
    save(fig, path)
