"""Holes inside the support of a 2-D scatter, against a smoothed-marginal null.

The null of a plane is a smoothed bootstrap of its own points: each point moved by Gaussian
noise of `bandwidth` x the axis's sd, then shrunk towards the mean so that the variance stays
the data's (for Gaussian data this null is the data's own distribution). It has the data's
shape, outline and density gradients, but a hole smaller than about the bandwidth is filled.

A void is counted in a cell of the grid x grid window only when
- the cell is empty,
- its empty region is enclosed: not connected (8-neighbourhood) to the window's edge, so
  that the empty corners around a round cloud are never voids, and
- the null expects at least `min_expected` points there, so that the sparse outskirts do
  not count.
The same count on replicates of the null gives a Monte Carlo p-value, (1 + #replicates
with at least as many voids) / (1 + B). A replicate needs only which cells are empty: the
cells' null probabilities p are computed exactly from the Gaussian kernels, and a cell of a
replicate is empty with probability (1 - p)^n, each cell drawn independently (the fixed
total n couples the cells only to order p, far below the Monte Carlo error).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import ndimage
from scipy.special import ndtr

EIGHT = np.ones((3, 3), dtype=bool)


def window_half(xy: np.ndarray, zoom: float | None) -> float:
    """Half side of the square window around 0: zoom / 2, or the data's extent (full view)."""
    if zoom is not None:
        return zoom / 2
    return float(np.abs(xy).max()) or 1.0


def cell_counts(xy: np.ndarray, half: float, grid: int) -> np.ndarray:
    """(grid, grid) counts of the points inside the square [-half, half]^2."""
    counts, _, _ = np.histogram2d(
        xy[:, 0], xy[:, 1], bins=grid, range=[[-half, half], [-half, half]]
    )
    return counts


def null_cell_probabilities(
    xy: np.ndarray, half: float, grid: int, bandwidth: float, block: int = 65536
) -> np.ndarray:
    """(grid, grid) probabilities that one point of the smoothed-marginal null falls in each
    cell of the window (they sum to less than 1 when the null reaches outside it)."""
    xy = np.asarray(xy, dtype=np.float64)
    mean, sd = xy.mean(axis=0), xy.std(axis=0)
    shrink = np.sqrt(1 + bandwidth**2)
    edges = np.linspace(-half, half, grid + 1)
    prob = np.zeros((grid, grid))
    for i in range(0, len(xy), block):
        centre = mean + (xy[i : i + block] - mean) / shrink
        kernel = np.where(sd > 0, bandwidth * sd / shrink, 1e-12)
        per_axis = []
        for a in range(2):
            cdf = ndtr((edges[None, :] - centre[:, a : a + 1]) / kernel[a])
            per_axis.append(np.diff(cdf, axis=1))
        prob += per_axis[0].T @ per_axis[1]
    return prob / len(xy)


def enclosed(empty: np.ndarray) -> np.ndarray:
    """Empty cells whose 8-connected empty region does not touch the window's edge.

    `empty` is (grid, grid) or a stack (B, grid, grid) labelled plane by plane.
    """
    stack = empty if empty.ndim == 3 else empty[None]
    structure = np.zeros((3, 3, 3), dtype=bool)
    structure[1] = EIGHT
    labels, _ = ndimage.label(stack, structure=structure)
    # labels are unique over the whole stack, so one lookup finds every plane's edge regions
    touching = np.unique(
        np.concatenate([labels[:, [0, -1], :].ravel(), labels[:, :, [0, -1]].ravel()])
    )
    out = stack & ~np.isin(labels, touching[touching > 0])
    return out if empty.ndim == 3 else out[0]


def void_count(counts: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """Enclosed empty cells among the eligible ones, per plane of a (B, grid, grid) stack."""
    stack = counts if counts.ndim == 3 else counts[None]
    found = (enclosed(stack == 0) & eligible).sum(axis=(1, 2))
    return found if counts.ndim == 3 else found[0]


def void_test(
    xy: np.ndarray,
    half: float,
    grid: int,
    bandwidth: float,
    min_expected: float,
    n_replicates: int,
    rng: np.random.Generator,
) -> dict:
    """Enclosed, unexpected empty cells of one window: data against smoothed-marginal nulls."""
    n = len(xy)
    prob = null_cell_probabilities(xy, half, grid, bandwidth)
    eligible = n * prob >= min_expected
    data = int(void_count(cell_counts(xy, half, grid), eligible))
    p_empty = np.exp(n * np.log1p(-np.clip(prob, 0.0, 1.0 - 1e-12)))
    empty = rng.random((n_replicates, grid, grid)) < p_empty
    null = (enclosed(empty) & eligible).sum(axis=(1, 2))
    n_eligible = int(eligible.sum())
    return {
        "half_side": half,
        "grid": grid,
        "n_inside": int((np.abs(xy) <= half).all(axis=1).sum()),
        "cells_eligible": n_eligible,
        "voids_data": data,
        "voids_null_mean": float(null.mean()),
        "voids_null_sd": float(null.std(ddof=1)) if n_replicates > 1 else 0.0,
        "voids_null_max": int(null.max()),
        "excess_share": (data - float(null.mean())) / max(n_eligible, 1),
        "replicates": int(n_replicates),
        "p_monte_carlo": float((1 + (null >= data).sum()) / (1 + n_replicates)),
    }


def void_table(
    planes: dict[str, np.ndarray],
    zooms,
    grid: int,
    bandwidth: float,
    min_expected: float,
    n_replicates: int,
    seed: int,
) -> pd.DataFrame:
    """`void_test` of every plane at every zoom (None: the full view), one row each."""
    rng = np.random.default_rng(seed)
    rows = []
    for label, xy in planes.items():
        xy = np.asarray(xy, dtype=np.float64)
        for zoom in zooms:
            half = window_half(xy, zoom)
            test = void_test(xy, half, grid, bandwidth, min_expected, n_replicates, rng)
            rows.append({"plane": label, "zoom": "full" if zoom is None else zoom, **test})
    return pd.DataFrame(rows)
