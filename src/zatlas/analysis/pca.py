"""PCA of the latent cloud: explained variance and projections onto chosen planes."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA


def fit_pca(z: np.ndarray, n_components: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Explained-variance table and the projection of z on the first n_components PCs."""
    n_components = min(n_components, z.shape[0], z.shape[1])
    pca = PCA(n_components=n_components, svd_solver="auto", random_state=seed)
    scores = pca.fit_transform(np.asarray(z, dtype=np.float32))
    ratio = pca.explained_variance_ratio_
    table = pd.DataFrame(
        {
            "component": np.arange(1, n_components + 1),
            "explained_variance": pca.explained_variance_,
            "ratio": ratio,
            "cumulative": np.cumsum(ratio),
        }
    )
    return table, scores


def zoom_counts(points: dict[str, np.ndarray], zooms) -> pd.DataFrame:
    """How many points of each 2-D projection fall inside each zoom square around 0."""
    rows = []
    for plane, xy in points.items():
        for zoom in zooms:
            inside = (
                np.ones(len(xy), bool) if zoom is None else (np.abs(xy) <= zoom / 2).all(axis=1)
            )
            rows.append(
                {
                    "plane": plane,
                    "zoom": "full" if zoom is None else zoom,
                    "n_inside": int(inside.sum()),
                    "fraction": float(inside.mean()),
                }
            )
    return pd.DataFrame(rows)
