"""k-means inertia against k over repeated seeds, and the elbow of the curve.

A sweep at CelebA scale (162,770 x 256 points, k = 2..80 step 2, 3 seeds: 120 fits) is too
slow with full-data Lloyd fits (scikit-learn's KMeans, n_init=1, takes minutes per fit at
large k on 2 cores). Each fit here is instead:

1. k-means++ seeding and Lloyd iterations (scikit-learn's KMeans) on a seeded random subset
   of `fit_points` points, which places the centres almost as well as the whole set does;
2. `refine_iter` Lloyd iterations on *all* points, starting from those centres;
3. the inertia (sum of squared distances to the nearest centre) on *all* points.

So every reported inertia is a true full-data k-means inertia of a converged-or-refined
solution, comparable across k and seeds. `benchmarks/kmeans.py` compares this with
scikit-learn's MiniBatchKMeans on the same data (time and full-data inertia).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans

from zatlas.progress import progress

CHUNK = 16384


def _scan(x: np.ndarray, centres: np.ndarray, update: bool, chunk: int = CHUNK):
    """One pass over x in row chunks: sum over points of min_j (|c_j|^2 - 2 x.c_j), the
    cluster sizes, and (when `update`) the per-cluster sums of the points.

    Both the distances and the cluster sums are float32 matrix products (BLAS), so a pass
    costs about two GEMMs of N x z_dim x k.
    """
    centres = np.asarray(centres, dtype=np.float32)
    k = len(centres)
    c_sq = np.einsum("ij,ij->i", centres, centres)
    partial = 0.0
    counts = np.zeros(k, dtype=np.int64)
    sums = np.zeros(centres.shape, dtype=np.float64) if update else None
    for i in range(0, len(x), chunk):
        xc = np.asarray(x[i : i + chunk], dtype=np.float32)
        d = xc @ centres.T
        d *= -2.0
        d += c_sq
        best = np.argmin(d, axis=1)
        rows = np.arange(len(xc))
        partial += float(d[rows, best].sum(dtype=np.float64))
        counts += np.bincount(best, minlength=k)
        if update:
            onehot = np.zeros((len(xc), k), dtype=np.float32)
            onehot[rows, best] = 1.0
            sums += onehot.T @ xc
    return partial, counts, sums


def labels_of(x: np.ndarray, centres: np.ndarray, chunk: int = CHUNK) -> np.ndarray:
    """Index of the nearest centre of every row of x."""
    centres = np.asarray(centres, dtype=np.float32)
    c_sq = np.einsum("ij,ij->i", centres, centres)
    out = np.empty(len(x), dtype=np.int64)
    for i in range(0, len(x), chunk):
        xc = np.asarray(x[i : i + chunk], dtype=np.float32)
        out[i : i + len(xc)] = np.argmin(c_sq - 2.0 * (xc @ centres.T), axis=1)
    return out


def squared_norm_total(x: np.ndarray, chunk: int = CHUNK) -> float:
    """Sum of |x_i|^2 over all rows (the constant part of every inertia on x)."""
    total = 0.0
    for i in range(0, len(x), chunk):
        xc = np.asarray(x[i : i + chunk], dtype=np.float64)
        total += float(np.einsum("ij,ij->", xc, xc))
    return total


def inertia_of(x: np.ndarray, centres: np.ndarray, x_sq_total: float | None = None) -> float:
    """Sum of squared distances of all rows of x to their nearest centre."""
    if x_sq_total is None:
        x_sq_total = squared_norm_total(x)
    partial, _, _ = _scan(x, centres, update=False)
    return max(x_sq_total + partial, 0.0)


def lloyd_step(
    x: np.ndarray, centres: np.ndarray, x_sq_total: float | None = None
) -> tuple[np.ndarray, float]:
    """One Lloyd iteration on all rows: the new centres and the inertia of the given ones.

    An empty cluster keeps its centre.
    """
    if x_sq_total is None:
        x_sq_total = squared_norm_total(x)
    partial, counts, sums = _scan(x, centres, update=True)
    new = np.array(centres, dtype=np.float64)
    filled = counts > 0
    new[filled] = sums[filled] / counts[filled, None]
    return new.astype(np.float32), max(x_sq_total + partial, 0.0)


def fit_kmeans(
    x: np.ndarray,
    k: int,
    seed: int,
    fit_points: int | None = 20_000,
    max_iter: int = 300,
    refine_iter: int = 3,
    x_sq_total: float | None = None,
) -> tuple[np.ndarray, float, int]:
    """Centres, full-data inertia and Lloyd iterations on the subset (see the module doc).

    The subset has at least 10 x k points; with `fit_points` None (or >= N) the fit runs on
    all points and needs no refinement. `x_sq_total` (sum of |x|^2) may be passed to save a
    pass when many fits share x.
    """
    rng = np.random.default_rng(seed)
    if fit_points is not None:
        fit_points = max(fit_points, 10 * k)  # at least 10 points per cluster
    if fit_points is not None and fit_points < len(x):
        sub = x[np.sort(rng.choice(len(x), fit_points, replace=False))]
    else:
        sub = x
    km = KMeans(n_clusters=k, n_init=1, max_iter=max_iter, random_state=seed).fit(sub)
    centres = km.cluster_centers_.astype(np.float32)
    if x_sq_total is None:
        x_sq_total = squared_norm_total(x)
    if sub is not x:
        for _ in range(refine_iter):
            centres, _ = lloyd_step(x, centres, x_sq_total)
    return centres, inertia_of(x, centres, x_sq_total), int(km.n_iter_)


def inertia_sweep(
    x: np.ndarray,
    ks,
    seeds,
    fit_points: int | None = 20_000,
    max_iter: int = 300,
    refine_iter: int = 3,
) -> pd.DataFrame:
    """One fit per (k, seed); the spread over seeds shows the blog's spikes as a band."""
    rows = []
    x = np.ascontiguousarray(x, dtype=np.float32)
    x_sq_total = squared_norm_total(x)
    jobs = [(k, s) for k in ks for s in seeds]
    for k, seed in progress(jobs, desc="k-means sweep", total=len(jobs)):
        start = time.perf_counter()
        _, inertia, n_iter = fit_kmeans(
            x, k, seed, fit_points, max_iter, refine_iter, x_sq_total=x_sq_total
        )
        rows.append(
            {
                "k": int(k),
                "seed": int(seed),
                "inertia": inertia,
                "n_iter": n_iter,
                "seconds": time.perf_counter() - start,
            }
        )
    return pd.DataFrame(rows)


def summarize_sweep(sweep: pd.DataFrame) -> pd.DataFrame:
    """Per k: min, mean, max and standard deviation of the inertia over seeds."""
    g = sweep.groupby("k")["inertia"]
    return pd.DataFrame(
        {"min": g.min(), "mean": g.mean(), "max": g.max(), "std": g.std(ddof=0)}
    ).reset_index()


def kneedle_elbow(k: np.ndarray, y: np.ndarray) -> int:
    """Kneedle for a decreasing convex curve: the k farthest below the chord from end to end."""
    k = np.asarray(k, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if len(k) < 3:
        return int(k[0])
    x_n = (k - k.min()) / (k.max() - k.min())
    span = y.max() - y.min()
    y_n = (y - y.min()) / span if span > 0 else np.zeros_like(y)
    return int(k[int(np.argmax((1.0 - x_n) - y_n))])
