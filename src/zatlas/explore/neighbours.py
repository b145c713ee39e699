"""Each shown face's k nearest neighbours in z, for the explorer's card: which faces are
really its neighbours, and where the 2-D views put them.

Neighbours are searched among the faces the page shows (so each has a thumbnail and a place
in the views), by Euclidean distance in z, with scikit-learn's exact search.
"""

from __future__ import annotations

import numpy as np

from zatlas.errors import ZatlasError


def nearest_neighbours(x: np.ndarray, k: int, n_jobs: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(indices (n, k) int32, distances (n, k) float32) of each row's k nearest other rows,
    nearest first. The point itself is left out even where a duplicate ties with it; k is
    cut to n - 1 on tiny sets."""
    from sklearn.neighbors import NearestNeighbors

    x = np.asarray(x, dtype=np.float32)
    n = len(x)
    if x.ndim != 2 or n < 2:
        raise ZatlasError(f"the explorer's neighbours need at least 2 points in 2-D, got {x.shape}")
    k = min(int(k), n - 1)
    if k < 1:
        raise ZatlasError(f"analysis.explore.neighbours must be at least 1, got {k}")
    search = NearestNeighbors(n_neighbors=k + 1, algorithm="brute", n_jobs=n_jobs).fit(x)
    _, idx = search.kneighbors(x)
    # drop the point itself (wherever a tie put it; else the farthest of the k + 1)
    own = idx == np.arange(n)[:, None]
    own[~own.any(axis=1), -1] = True
    idx = idx[~own].reshape(n, k)
    # exact distances in float64: the brute search's |a|^2 + |b|^2 - 2ab loses the small
    # ones; in chunks, since (n, k, dim) float64 is gigabytes at CelebA's size
    dist = np.empty(idx.shape, dtype=np.float64)
    for start in range(0, n, 4096):
        part = slice(start, start + 4096)
        diff = x[idx[part]].astype(np.float64) - x[part, None, :].astype(np.float64)
        dist[part] = np.sqrt((diff * diff).sum(axis=2))
    order = np.argsort(dist, axis=1, kind="stable")
    idx = np.take_along_axis(idx, order, axis=1).astype(np.int32)
    return idx, np.take_along_axis(dist, order, axis=1).astype(np.float32)
