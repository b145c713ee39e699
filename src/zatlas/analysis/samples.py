"""Random z-points from configured distributions, and how far they land from the data."""

from __future__ import annotations

import numpy as np
from sklearn.neighbors import NearestNeighbors


def draw_latents(dist: dict, n: int, z_dim: int, rng: np.random.Generator) -> np.ndarray:
    if dist["kind"] == "normal":
        return rng.normal(dist.get("loc", 0.0), dist.get("scale", 1.0), (n, z_dim)).astype(
            np.float32
        )
    if dist["kind"] == "uniform":
        return rng.uniform(dist.get("low", -1.0), dist.get("high", 1.0), (n, z_dim)).astype(
            np.float32
        )
    raise ValueError(f"unknown distribution kind {dist['kind']!r}")


def nearest_data_ratio(data: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Distance of each point to its nearest data point, over the data's median NN distance.

    About 1 for points drawn like the data; far above 1 for points in the voids.
    """
    nn = NearestNeighbors(n_neighbors=2).fit(data)
    own = nn.kneighbors(data, return_distance=True)[0][:, 1]
    scale = float(np.median(own)) or 1.0
    dist = nn.kneighbors(points, n_neighbors=1, return_distance=True)[0][:, 0]
    return dist / scale
