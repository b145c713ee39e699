"""Intrinsic dimension of a point cloud: TwoNN and the Levina-Bickel MLE.

TwoNN (Facco et al. 2017): for each point, mu = r2 / r1 (its second over its first NN
distance) is Pareto with exponent d, so log(mu) is exponential with rate d and the maximum
likelihood estimate is (n - 1) / sum(log mu).

Levina-Bickel (2005) at k neighbours: per point, m_k(x) = [1/(k-1) sum_{j<k} log(T_k/T_j)]^-1;
the global estimate averages the inverses (MacKay and Ghahramani's correction) and inverts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from zatlas.analysis.neighbours import knn_distances, twonn_log_ratios


def twonn_from_distances(d: np.ndarray) -> float:
    """TwoNN dimension from (n, >= 2) ascending NN distances."""
    logs = twonn_log_ratios(d)
    return float((len(logs) - 1) / logs.sum())


def levina_bickel_from_distances(d: np.ndarray, k: int) -> float:
    """Levina-Bickel MLE at k neighbours from (n, >= k) ascending NN distances."""
    t = d[:, :k]
    t = t[(t > 0).all(axis=1)]
    inverse = np.log(t[:, -1:] / t[:, :-1]).sum(axis=1) / (k - 1)
    return float(1.0 / inverse.mean())


def twonn(x: np.ndarray, n_jobs: int = 1) -> float:
    return twonn_from_distances(knn_distances(x, 2, n_jobs))


def estimates(x: np.ndarray, ks, n_jobs: int = 1) -> dict[str, float]:
    """{"twonn": d, "mle_k5": d, ...} from one k-NN query."""
    k_max = max([2, *ks])
    if len(x) <= k_max:
        raise ValueError(f"{len(x)} points are too few for {k_max} neighbours")
    d = knn_distances(x, k_max, n_jobs)
    out = {"twonn": twonn_from_distances(d)}
    for k in ks:
        out[f"mle_k{k}"] = levina_bickel_from_distances(d, k)
    return out


def dimension_table(
    data: dict[str, float], null: dict[str, float], z_dim: int, n_points: int
) -> pd.DataFrame:
    """One row per estimator: the data's dimension beside the null's and z_dim."""
    return pd.DataFrame(
        [
            {
                "estimator": name,
                "data": data[name],
                "null": null[name],
                "ratio_to_null": data[name] / null[name],
                "z_dim": z_dim,
                "ratio_to_z_dim": data[name] / z_dim,
                "n_points": n_points,
            }
            for name in data
        ]
    )
