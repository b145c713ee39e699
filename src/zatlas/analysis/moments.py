"""Mean and covariance of a (memory-mapped) point cloud, accumulated over row blocks."""

from __future__ import annotations

import numpy as np


def mean_and_covariance(
    z: np.ndarray, block: int = 16384, ddof: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance normalised by N - ddof, in float64; never copies `z` whole."""
    n, d = z.shape
    total = np.zeros(d)
    gram = np.zeros((d, d))
    for i in range(0, n, block):
        chunk = np.asarray(z[i : i + block], dtype=np.float64)
        total += chunk.sum(0)
        gram += chunk.T @ chunk
    mean = total / n
    cov = (gram - n * np.outer(mean, mean)) / max(n - ddof, 1)
    return mean, (cov + cov.T) / 2
