"""PCA of the latent cloud: explained variance and projections onto chosen planes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from zatlas.analysis.moments import mean_and_covariance


def principal_axes(z: np.ndarray, block: int = 16384) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean, variances, components as columns) of the rows of z, largest variance first.

    Eigen-decomposition of the covariance matrix, accumulated over row blocks, so a
    memory-mapped `z` is read once and never copied whole. Component signs are fixed
    (largest loading positive), so the result is deterministic.
    """
    d = z.shape[1]
    mean, cov = mean_and_covariance(z, block)
    values, vectors = np.linalg.eigh(cov)
    order = np.argsort(values)[::-1]
    values, vectors = np.maximum(values[order], 0.0), vectors[:, order]
    signs = np.sign(vectors[np.argmax(np.abs(vectors), axis=0), np.arange(d)])
    vectors *= np.where(signs == 0, 1.0, signs)
    return mean, values, vectors


def project(z: np.ndarray, mean: np.ndarray, basis: np.ndarray, block: int = 16384) -> np.ndarray:
    """Scores of every row of z on the columns of `basis`, in row blocks (float32)."""
    scores = np.empty((len(z), basis.shape[1]), dtype=np.float32)
    for i in range(0, len(z), block):
        scores[i : i + block] = (np.asarray(z[i : i + block], dtype=np.float64) - mean) @ basis
    return scores


def fit_pca(
    z: np.ndarray, n_components: int, seed: int | None = None, block: int = 16384
) -> tuple[pd.DataFrame, np.ndarray]:
    """Explained-variance table of all z_dim components; scores on the first n_components.
    `seed` is accepted for symmetry with the other analyses and unused (PCA is exact)."""
    n, d = z.shape
    n_components = min(n_components, n, d)
    mean, values, vectors = principal_axes(z, block)
    ratio = values / values.sum() if values.sum() > 0 else np.zeros(d)
    table = pd.DataFrame(
        {
            "component": np.arange(1, d + 1),
            "explained_variance": values,
            "ratio": ratio,
            "cumulative": np.cumsum(ratio),
        }
    )
    return table, project(z, mean, vectors[:, :n_components], block)


def reduce(x: np.ndarray, n_components: int | None) -> np.ndarray:
    """Scores on the first `n_components` PCs of x; x itself when n_components is None."""
    if n_components is None:
        return x
    mean, _, vectors = principal_axes(x)
    return project(x, mean, vectors[:, : min(n_components, *x.shape)])


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
