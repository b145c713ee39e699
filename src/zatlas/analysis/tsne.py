"""t-SNE of (a subset of) the latent cloud with openTSNE.

openTSNE computes the repulsive forces by FFT-accelerated interpolation from 10,000 points
up (Barnes-Hut below, where it is faster), which keeps 165,000 points within minutes; the
attractive forces use the sparse kNN affinities.

The optimisation follows scikit-learn's `TSNE` (which the blog used), so that perplexity,
early exaggeration and the iteration count mean the same thing in both:

- `n_iter` counts like scikit-learn's `max_iter`: the first 250 iterations are the
  early-exaggeration phase (P multiplied by `early_exaggeration`), the rest run with P itself;
- momentum 0.5 during early exaggeration and 0.8 afterwards (openTSNE's default is 0.8 for
  both);
- learning rate scikit-learn's "auto", max(N / early_exaggeration / 4, 50), for both phases.
  scikit-learn's gradient carries the factor 4 of the t-SNE gradient, openTSNE's does not, so
  the same step is max(N / early_exaggeration, 200) in openTSNE's units;
- PCA initialisation scaled to standard deviation 1e-4 (both libraries' "pca");
- perplexity-calibrated affinities on the 3 x perplexity nearest neighbours (approximate
  neighbours from Annoy above 1,000 points, exact ones below).
"""

from __future__ import annotations

import numpy as np
from sklearn.neighbors import NearestNeighbors

from zatlas.analysis.subsample import subset

# scikit-learn counts the 250 early-exaggeration iterations inside max_iter; openTSNE does not.
EARLY_EXAGGERATION_ITER = 250


def sklearn_learning_rate(n: int, early_exaggeration: float) -> float:
    """scikit-learn's learning_rate="auto" expressed in openTSNE's gradient units."""
    return max(n / early_exaggeration / 4.0, 50.0) * 4.0


def run_tsne(
    x: np.ndarray,
    perplexity: float,
    early_exaggeration: float,
    n_iter: int,
    seed: int,
    n_jobs: int = 1,
) -> tuple[np.ndarray, float]:
    """2-D embedding and its final KL divergence, with scikit-learn's semantics (see above)."""
    from openTSNE import TSNE

    x = np.ascontiguousarray(x, dtype=np.float32)  # no copy for float32 rows already in memory
    tsne = TSNE(
        n_components=2,
        perplexity=perplexity,
        early_exaggeration=early_exaggeration,
        early_exaggeration_iter=min(EARLY_EXAGGERATION_ITER, n_iter),
        n_iter=max(n_iter - EARLY_EXAGGERATION_ITER, 0),
        learning_rate=sklearn_learning_rate(len(x), early_exaggeration),
        initial_momentum=0.5,
        final_momentum=0.8,
        initialization="pca",
        metric="euclidean",
        negative_gradient_method="auto",  # Barnes-Hut below 10,000 points, FFT above
        n_jobs=n_jobs,
        random_state=seed,
        verbose=False,
    )
    embedding = tsne.fit(x)
    return np.asarray(embedding, dtype=np.float32), float(embedding.kl_divergence)


def _neighbours(points: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k nearest points to each query row, the query itself left out."""
    algorithm = "brute" if points.shape[1] > 15 else "auto"
    nn = NearestNeighbors(n_neighbors=k + 1, algorithm=algorithm).fit(points)
    found = nn.kneighbors(points[queries], return_distance=False)
    out = np.empty((len(queries), k), dtype=np.int64)
    for row, (q, hits) in enumerate(zip(queries, found, strict=True)):
        others = hits[hits != q]
        out[row] = others[:k]
    return out


def knn_recall(
    x: np.ndarray,
    embedding: np.ndarray,
    k: int = 10,
    n_queries: int | None = None,
    seed: int = 0,
) -> float:
    """Mean share of a point's k nearest neighbours in x that are also its k nearest in 2-D.

    x is the latent points themselves (not a PCA-reduced input), so that every variant's
    recall measures the same thing: how much of z's neighbourhoods the 2-D map keeps.

    `n_queries` seeded random points are scored (all points when None), each against all
    points, so the check stays cheap at 165,000 points.
    """
    queries = subset(len(x), n_queries or len(x), seed)
    hi = _neighbours(np.asarray(x), queries, k)
    lo = _neighbours(np.asarray(embedding), queries, k)
    hits = [len(np.intersect1d(a, b, assume_unique=True)) for a, b in zip(hi, lo, strict=True)]
    return float(np.mean(hits) / k)
