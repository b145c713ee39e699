"""The one subsampler: every analysis that works on part of the points draws it here, so
the same seed gives the same rows everywhere (t-SNE and UMAP compare on equal subsets)."""

from __future__ import annotations

import numpy as np


def subset(n_total: int, n_points: int, seed: int) -> np.ndarray:
    """Sorted, seeded random row indices (all rows when n_points >= n_total)."""
    if n_points >= n_total:
        return np.arange(n_total)
    return np.sort(np.random.default_rng(seed).choice(n_total, n_points, replace=False))
