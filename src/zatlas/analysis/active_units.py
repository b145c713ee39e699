"""Active units (Burda et al. 2016): unit u is active if Cov_x(E[z_u | x]) > threshold.

E[z | x] is the encoder's mean: mu for a VAE, z itself for a deterministic AE.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def unit_variances(means: np.ndarray, block: int = 65536) -> np.ndarray:
    """Variance over the data of each latent unit, blockwise (memory-mapped input is fine)."""
    n, d = means.shape
    shift = np.asarray(means[0], dtype=np.float64)  # shifted sums: no cancellation
    s1, s2 = np.zeros(d), np.zeros(d)
    for i in range(0, n, block):
        b = np.asarray(means[i : i + block], dtype=np.float64) - shift
        s1 += b.sum(axis=0)
        s2 += (b * b).sum(axis=0)
    return np.maximum(s2 / n - (s1 / n) ** 2, 0.0)


def active_units(means: np.ndarray, threshold: float = 0.01) -> tuple[int, pd.DataFrame]:
    """Number of active units and the per-unit table (unit, variance, active)."""
    var = unit_variances(means)
    table = pd.DataFrame({"unit": np.arange(len(var)), "variance": var, "active": var > threshold})
    return int(table["active"].sum()), table
