"""k-means inertia against k over repeated seeds, and the elbow of the curve."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans

from zatlas.progress import progress


def inertia_sweep(x: np.ndarray, ks, seeds) -> pd.DataFrame:
    """One k-means fit per (k, seed); the spread over seeds shows the blog's spikes as a band."""
    rows = []
    x = np.ascontiguousarray(x, dtype=np.float32)
    jobs = [(k, s) for k in ks for s in seeds]
    for k, seed in progress(jobs, desc="k-means sweep", total=len(jobs)):
        km = KMeans(n_clusters=k, n_init=1, random_state=seed, max_iter=300).fit(x)
        rows.append({"k": int(k), "seed": int(seed), "inertia": float(km.inertia_)})
    return pd.DataFrame(rows)


def summarize_sweep(sweep: pd.DataFrame) -> pd.DataFrame:
    """Per k: min, mean, max inertia over seeds."""
    g = sweep.groupby("k")["inertia"]
    return pd.DataFrame({"min": g.min(), "mean": g.mean(), "max": g.max()}).reset_index()


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
