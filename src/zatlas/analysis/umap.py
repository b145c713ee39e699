"""UMAP of (a subset of) the latent cloud, beside t-SNE: the same subsets, the same kNN
recall against z, so the two embeddings are compared on equal terms.

umap-learn (McInnes et al.) builds a fuzzy kNN graph with NN-descent and optimises a
cross-entropy layout; `random_state` makes it reproducible (and single-threaded), which the
study needs more than speed at these sizes.
"""

from __future__ import annotations

import numpy as np


def run_umap(
    x: np.ndarray, n_neighbors: int, min_dist: float, seed: int, n_epochs: int | None = None
) -> np.ndarray:
    """2-D embedding of the rows of x."""
    import sys
    import warnings

    # umap's package import pulls in TensorFlow for ParametricUMAP, which this study never
    # uses: seconds of start-up and TensorFlow's logs in a numpy-only stage
    sys.modules.setdefault("umap.parametric_umap", None)
    from umap import UMAP

    x = np.ascontiguousarray(x, dtype=np.float32)
    n_neighbors = min(n_neighbors, len(x) - 1)
    with warnings.catch_warnings():
        # "n_jobs overridden by setting random_state": reproducibility is the point
        warnings.filterwarnings("ignore", message=".*random_state.*", category=UserWarning)
        model = UMAP(
            n_components=2,
            n_neighbors=n_neighbors,
            min_dist=min_dist,
            n_epochs=n_epochs,
            random_state=seed,
            init="spectral" if len(x) > n_neighbors + 2 else "random",
        )
        return np.asarray(model.fit_transform(x), dtype=np.float32)
