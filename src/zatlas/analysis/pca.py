"""PCA of the latent cloud: explained variance and projections onto chosen planes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from zatlas.analysis.moments import mean_and_covariance


def fit_pca(
    z: np.ndarray, n_components: int, seed: int | None = None, block: int = 16384
) -> tuple[pd.DataFrame, np.ndarray]:
    """Explained-variance table of all z_dim components; scores on the first n_components.

    Eigen-decomposition of the covariance matrix, accumulated over row blocks, so a
    memory-mapped `z` is read twice and never copied whole (the scores are N x
    n_components). Component signs are fixed (largest loading positive), so the result is
    deterministic; `seed` is accepted for symmetry with the other analyses and unused.
    """
    n, d = z.shape
    n_components = min(n_components, n, d)
    mean, cov = mean_and_covariance(z, block)
    values, vectors = np.linalg.eigh(cov)
    order = np.argsort(values)[::-1]
    values, vectors = np.maximum(values[order], 0.0), vectors[:, order]
    signs = np.sign(vectors[np.argmax(np.abs(vectors), axis=0), np.arange(d)])
    vectors *= np.where(signs == 0, 1.0, signs)
    ratio = values / values.sum() if values.sum() > 0 else np.zeros(d)
    table = pd.DataFrame(
        {
            "component": np.arange(1, d + 1),
            "explained_variance": values,
            "ratio": ratio,
            "cumulative": np.cumsum(ratio),
        }
    )
    basis = vectors[:, :n_components]
    scores = np.empty((n, n_components), dtype=np.float32)
    for i in range(0, n, block):
        scores[i : i + block] = (np.asarray(z[i : i + block], dtype=np.float64) - mean) @ basis
    return table, scores


def zoom_counts(points: dict[str, np.ndarray], zooms, unit: float = 1.0) -> pd.DataFrame:
    """How many points of each 2-D projection fall inside each zoom square around 0.

    A zoom is the square's side in units of `unit` (None = the full view): 1 takes the sides
    literally (the blog's absolute zooms); the median per-axis standard deviation (see
    `zatlas.analysis.scale`) makes them relative to the data's spread. `side` is the side
    in the latents' own units.
    """
    rows = []
    for plane, xy in points.items():
        for zoom in zooms:
            side = None if zoom is None else zoom * unit
            inside = (
                np.ones(len(xy), bool) if side is None else (np.abs(xy) <= side / 2).all(axis=1)
            )
            rows.append(
                {
                    "plane": plane,
                    "zoom": "full" if zoom is None else zoom,
                    "side": np.nan if side is None else side,
                    "n_inside": int(inside.sum()),
                    "fraction": float(inside.mean()),
                }
            )
    return pd.DataFrame(rows)
