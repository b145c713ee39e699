"""t-SNE of (a subset of) the latent cloud with openTSNE's FFT-accelerated gradients."""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA
from sklearn.neighbors import NearestNeighbors

# scikit-learn counts the 250 early-exaggeration iterations inside max_iter; openTSNE does not.
EARLY_EXAGGERATION_ITER = 250


def subset(n_total: int, n_points: int, seed: int) -> np.ndarray:
    """Sorted, seeded random row indices (all rows when n_points >= n_total)."""
    if n_points >= n_total:
        return np.arange(n_total)
    return np.sort(np.random.default_rng(seed).choice(n_total, n_points, replace=False))


def reduce_pca(x: np.ndarray, n_components: int | None, seed: int) -> np.ndarray:
    if n_components is None:
        return x
    return PCA(n_components=n_components, random_state=seed).fit_transform(x)


def run_tsne(
    x: np.ndarray,
    perplexity: float,
    early_exaggeration: float,
    n_iter: int,
    seed: int,
    n_jobs: int = 1,
) -> tuple[np.ndarray, float]:
    """2-D embedding and its final KL divergence; `n_iter` counts like scikit-learn's max_iter."""
    from openTSNE import TSNE

    tsne = TSNE(
        n_components=2,
        perplexity=perplexity,
        early_exaggeration=early_exaggeration,
        early_exaggeration_iter=EARLY_EXAGGERATION_ITER,
        n_iter=max(n_iter - EARLY_EXAGGERATION_ITER, 1),
        initialization="pca",
        metric="euclidean",
        negative_gradient_method="fft",
        n_jobs=n_jobs,
        random_state=seed,
        verbose=False,
    )
    embedding = tsne.fit(np.ascontiguousarray(x, dtype=np.float64))
    return np.asarray(embedding, dtype=np.float32), float(embedding.kl_divergence)


def knn_recall(x: np.ndarray, embedding: np.ndarray, k: int = 10) -> float:
    """Mean share of each point's k nearest neighbours in x that stay neighbours in 2-D."""
    hi = NearestNeighbors(n_neighbors=k + 1).fit(x).kneighbors(return_distance=False)[:, 1:]
    lo = NearestNeighbors(n_neighbors=k + 1).fit(embedding).kneighbors(return_distance=False)[:, 1:]
    hits = [len(set(a) & set(b)) for a, b in zip(hi, lo, strict=True)]
    return float(np.mean(hits) / k)
