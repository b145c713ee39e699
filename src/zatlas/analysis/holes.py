"""Holes inside the support of a 2-D scatter, measured by what they are.

The null of a plane is its smoothed marginal: every point moved by Gaussian noise of
`bandwidth` x the axis's robust sd and shrunk towards the robust centre so the spread stays
the data's, scaled in each window to the data's number of points there. A hole smaller than
about the bandwidth is filled in the null and empty in the data; the outline of the support
is the same in both.

A hole is a connected region of empty grid cells that does not touch the window's edge
(so the empty corners around a round cloud are never holes). Its size is the number of
points the null expects in it, summed over its cells where the null expects at least
`min_expected` (the sparse outskirts do not count): a hole of fixed area scores the same or
more as the cloud grows, where a share of all cells would shrink as the grid fills. The
statistic of a window is its largest hole, maximised over two grid phases (the grid and the
grid shifted by half a cell diagonally), so a hole centred on a vertex is not split into
four part-cells. The full view spans a robust quantile of each axis, so far outliers do not
set a window 57 sd wide.

Under the null the cells are independent Poisson counts, a cell empty with probability
exp(-E). A Monte Carlo p-value, (1 + #replicates with a hole at least as large) / (1 + B),
is drawn only where the hole reaches the minimum effect: elsewhere the verdict cannot fire
and p is reported from a small number of replicates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import ndimage
from scipy.special import ndtr

from zatlas.analysis.voids import enclosed

FINE = 512  # bins per axis of the binned kernel density (per plane)
PHASES = (0.0, 0.5)  # grid offsets in cells, both axes
QUICK_REPLICATES = 99


def robust_sd(v: np.ndarray) -> np.ndarray:
    """Interquartile range / 1.349 per column (the sd for a Gaussian), from at most about
    4,000 evenly spaced rows."""
    v = np.asarray(v)[:: max(1, len(v) // 4000)]
    q1, q3 = np.quantile(v, [0.25, 0.75], axis=0)
    sd = (q3 - q1) / 1.349
    return np.where(sd > 0, sd, np.std(v, axis=0) + 1e-12)


class PlaneNull:
    """The smoothed marginal of one plane, binned once, integrated over any window's cells."""

    def __init__(self, xy: np.ndarray, bandwidth: float, reach: float) -> None:
        xy = np.asarray(xy, dtype=np.float64)
        self.n = len(xy)
        self.centre = np.median(xy, axis=0)
        self.sd = robust_sd(xy)
        shrink = np.sqrt(1 + bandwidth**2)
        self.kernel = bandwidth * self.sd / shrink
        shrunk = self.centre + (xy - self.centre) / shrink
        half = reach + 4 * float(self.kernel.max())
        self.edges = np.linspace(-half, half, FINE + 1)
        self.counts = counts_2d(shrunk, self.edges)
        self.mids = (self.edges[:-1] + self.edges[1:]) / 2

    def expected(self, edges_x: np.ndarray, edges_y: np.ndarray) -> np.ndarray:
        """(grid, grid) expected null counts in the cells between the given edges."""
        per_axis = []
        for a, e in enumerate((edges_x, edges_y)):
            cdf = ndtr((e[None, :] - self.mids[:, None]) / self.kernel[a])
            per_axis.append(np.diff(cdf, axis=1))
        return per_axis[0].T @ self.counts @ per_axis[1]


def counts_2d(xy: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """(g, g) counts of xy in the cells of equal-width `edges` on both axes (points outside
    dropped); np.histogram2d, several times faster."""
    g = len(edges) - 1
    width = (edges[-1] - edges[0]) / g
    idx = np.floor((xy - edges[0]) / width).astype(np.int64)
    inside = ((idx >= 0) & (idx < g)).all(axis=1)
    flat = idx[inside, 0] * g + idx[inside, 1]
    return np.bincount(flat, minlength=g * g).reshape(g, g).astype(np.float64)


def largest_holes(empty: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Per plane of a (B, g, g) stack of empty cells: the largest sum of `weight` over one
    enclosed empty region."""
    holes = enclosed(empty)
    structure = np.zeros((3, 3, 3), dtype=bool)
    structure[1] = True
    labels, n = ndimage.label(holes, structure=structure)
    out = np.zeros(len(empty))
    if n == 0:
        return out
    sums = np.bincount(labels.ravel(), weights=np.broadcast_to(weight, empty.shape).ravel())
    owner = np.zeros(n + 1, dtype=np.int64)
    owner[labels.ravel()] = np.repeat(np.arange(len(empty)), weight.size)
    np.maximum.at(out, owner[1:], sums[1:])
    return out


def window_edges(half: float, grid: int, phase: float) -> np.ndarray:
    """Cell edges of a window of half side `half`, shifted by `phase` cells (the shifted
    grid has one cell less, so it stays inside the window)."""
    cell = 2 * half / grid
    if phase == 0:
        return np.linspace(-half, half, grid + 1)
    return -half + cell * (phase + np.arange(grid))


def null_exceedances(
    expect: np.ndarray, weight: np.ndarray, data: float, b: int, rng: np.random.Generator
) -> tuple[int, np.ndarray]:
    """How many of b null replicates have a hole at least `data` large, and the exact
    largest hole of the first QUICK_REPLICATES of them.

    A replicate's largest hole is at most the weight of all its empty cells, so only the
    replicates where that total reaches `data` are labelled (the rest cannot exceed it)."""
    q = np.exp(-expect)
    elig = weight > 0
    first = min(b, QUICK_REPLICATES)
    u = rng.random((b, int(elig.sum()))) < q[elig]
    total = u.astype(np.float64) @ weight[elig]
    need = np.flatnonzero((total >= data) | (np.arange(b) < first))
    empty = rng.random((len(need), *expect.shape)) < q
    empty[:, elig] = u[need]
    exact = largest_holes(empty, weight)
    return int((exact >= data).sum()), exact[need < first]


def hole_test(
    xy: np.ndarray,
    null: PlaneNull,
    half: float,
    grid: int,
    min_expected: float,
    min_hole: float,
    n_replicates: int,
    rng: np.random.Generator,
) -> dict:
    """The largest hole of one window (over both grid phases), data against
    independent-Poisson null replicates of the same grids."""
    found, areas, grids = [], [], []
    cell_area = (2 * half / grid) ** 2 / float(np.prod(null.sd))
    for phase in PHASES:
        e = window_edges(half, grid, phase)
        counts = counts_2d(xy, e)
        expect = null.expected(e, e)
        # the null holds as many points in the window as the data: the variance-keeping
        # shrink makes a flat density (a uniform disk) 1 + h^2 times denser inside
        expect *= counts.sum() / max(float(expect.sum()), 1e-300)
        weight = np.where(expect >= min_expected, expect, 0.0)
        empty = counts == 0
        grids.append((expect, weight))
        found.append(float(largest_holes(empty[None], weight)[0]))
        areas.append(float((enclosed(empty) & (weight > 0)).sum()) * cell_area)
    data = max(found)
    b = n_replicates if data >= min_hole else QUICK_REPLICATES
    exceed, sample = 0, np.zeros(1)
    if data > 0:
        # a replicate reaches `data` when either phase does: counting both phases' hits is
        # a union bound (conservative)
        samples = []
        for expect, weight in grids:
            count, exact = null_exceedances(expect, weight, data, b, rng)
            samples.append(exact)
            exceed += count
        sample = np.max(samples, axis=0)
    return {
        "half_side": half,
        "grid": grid,
        "n_inside": int((np.abs(xy) <= half).all(axis=1).sum()),
        "cells_eligible": int(max((w > 0).sum() for _, w in grids)),
        "hole_expected": data,
        "hole_area": max(areas),
        "null_mean": float(sample.mean()),
        "null_max": float(sample.max()),
        "replicates": int(b) if data > 0 else 0,
        "p_monte_carlo": float(min(1.0, (1 + exceed) / (1 + b))) if data > 0 else 1.0,
    }


def full_half(xy: np.ndarray, quantile: float) -> float:
    """Half side of the full view: 1.25 x the larger axis's `quantile` of |score| (a robust
    extent: 0.2% far outliers do not set it)."""
    q = np.quantile(np.abs(np.asarray(xy, dtype=np.float64)), quantile, axis=0)
    return float(1.25 * q.max()) or 1.0


def hole_table(
    planes: dict[str, np.ndarray],
    zooms,
    grid: int,
    bandwidth: float,
    min_expected: float,
    min_hole: float,
    n_replicates: int,
    quantile: float,
    seed: int,
) -> pd.DataFrame:
    """`hole_test` of every plane at every zoom (None: the full view), one row each."""
    rng = np.random.default_rng(seed)
    rows = []
    for label, xy in planes.items():
        xy = np.asarray(xy, dtype=np.float64)
        halves = [full_half(xy, quantile) if z is None else z / 2 for z in zooms]
        null = PlaneNull(xy, bandwidth, max(halves))
        for zoom, half in zip(zooms, halves, strict=True):
            test = hole_test(xy, null, half, grid, min_expected, min_hole, n_replicates, rng)
            side = "full" if zoom is None else float(f"{zoom:.3g}")
            rows.append({"plane": label, "zoom": side, **test})
    return pd.DataFrame(rows)
