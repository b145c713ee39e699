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


def assign(x: np.ndarray, centres: np.ndarray, chunk: int = CHUNK) -> tuple[np.ndarray, float]:
    """Nearest centre of every row of x and the total inertia, in row chunks (float32 BLAS)."""
    centres = np.asarray(centres, dtype=np.float32)
    c_sq = np.einsum("ij,ij->i", centres, centres)
    labels = np.empty(len(x), dtype=np.int64)
    inertia = 0.0
    for i in range(0, len(x), chunk):
        xc = np.asarray(x[i : i + chunk], dtype=np.float32)
        d = xc @ centres.T
        d *= -2.0
        d += c_sq
        best = np.argmin(d, axis=1)
        labels[i : i + chunk] = best
        x_sq = np.einsum("ij,ij->i", xc, xc, dtype=np.float64)
        inertia += float(np.maximum(x_sq + d[np.arange(len(xc)), best], 0.0).sum())
    return labels, inertia


def update_centres(x: np.ndarray, labels: np.ndarray, old: np.ndarray) -> np.ndarray:
    """Means of the points of each cluster; an empty cluster keeps its old centre."""
    from scipy.sparse import csr_matrix

    k = len(old)
    onehot = csr_matrix(
        (np.ones(len(labels), dtype=np.float32), (labels, np.arange(len(labels)))),
        shape=(k, len(labels)),
    )
    sums = np.asarray(onehot @ x, dtype=np.float64)
    counts = np.bincount(labels, minlength=k)
    out = np.array(old, dtype=np.float64)
    filled = counts > 0
    out[filled] = sums[filled] / counts[filled, None]
    return out.astype(np.float32)


def fit_kmeans(
    x: np.ndarray,
    k: int,
    seed: int,
    fit_points: int | None = 20_000,
    max_iter: int = 300,
    refine_iter: int = 10,
) -> tuple[np.ndarray, float, int]:
    """Centres, full-data inertia and Lloyd iterations on the subset (see the module doc).

    The subset has at least 10 x k points; with `fit_points` None (or >= N) the fit runs on
    all points and needs no refinement.
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
    if sub is not x:
        for _ in range(refine_iter):
            labels, _ = assign(x, centres)
            centres = update_centres(x, labels, centres)
    _, inertia = assign(x, centres)
    return centres, inertia, int(km.n_iter_)


def inertia_sweep(
    x: np.ndarray,
    ks,
    seeds,
    fit_points: int | None = 20_000,
    max_iter: int = 300,
    refine_iter: int = 10,
) -> pd.DataFrame:
    """One fit per (k, seed); the spread over seeds shows the blog's spikes as a band."""
    rows = []
    x = np.ascontiguousarray(x, dtype=np.float32)
    jobs = [(k, s) for k in ks for s in seeds]
    for k, seed in progress(jobs, desc="k-means sweep", total=len(jobs)):
        start = time.perf_counter()
        _, inertia, n_iter = fit_kmeans(x, k, seed, fit_points, max_iter, refine_iter)
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
