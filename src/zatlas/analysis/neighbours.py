"""Nearest-neighbour distances and the TwoNN log-ratios that the intrinsic dimension is
estimated from. (The structure stage's analysis is `verdicts`, its nulls are in `nulls`.)"""

from __future__ import annotations

import numpy as np
from sklearn.neighbors import NearestNeighbors

__all__ = ["knn_distances", "twonn_log_ratios"]


def knn_distances(x: np.ndarray, k: int, n_jobs: int = 1) -> np.ndarray:
    """(n, k) distances of each point to its k nearest *other* points, ascending."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    nn = NearestNeighbors(n_neighbors=k, n_jobs=n_jobs).fit(x)
    return nn.kneighbors(return_distance=True)[0].astype(np.float64)


def twonn_log_ratios(d: np.ndarray) -> np.ndarray:
    """log(r2 / r1) per point from its two NN distances (points with r1 = 0 dropped)."""
    r1, r2 = d[:, 0], d[:, 1]
    keep = r1 > 0
    return np.log(r2[keep] / r1[keep])
