"""Null models of a point cloud, each removing one explanation of its shape.

- matched Gaussian: the data's mean and covariance, nothing else;
- elliptical: mean, covariance and the radial profile (every point's Mahalanobis radius
  kept, its direction drawn uniformly). A multivariate t, a shell or a uniform ball is
  elliptical and is reproduced; filaments and clusters are not elliptical and are lost.

Whitening uses the eigenvectors of the covariance with eigenvalues above a tiny fraction
of the largest, so data on a plane or with dead units (a singular covariance) work too.
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from sklearn.covariance import ledoit_wolf

from zatlas.analysis.moments import mean_and_covariance


def gaussian_sample(
    mean: np.ndarray, cov: np.ndarray, n: int, rng: np.random.Generator
) -> np.ndarray:
    """n points of N(mean, cov); works for singular covariances (data on a curve, dead units)."""
    w, v = np.linalg.eigh(cov)
    scale = np.sqrt(np.clip(w, 0.0, None))
    g = rng.standard_normal((n, len(mean)))
    return (mean + (g * scale) @ v.T).astype(np.float32)


def matched_gaussian(x: np.ndarray, seed: int, n: int | None = None) -> np.ndarray:
    """As many points as x (or n) from a Gaussian with x's mean and covariance.

    The covariance is the Ledoit-Wolf estimate: a plain sample covariance spreads the
    eigenvalues (Marchenko-Pastur) when n is not much larger than z_dim, which makes the null
    more anisotropic than the data's source, so that even a true Gaussian sample would look
    different from its own null. With n >> z_dim both estimates agree.
    """
    x = np.asarray(x, dtype=np.float64)
    cov, _ = ledoit_wolf(x)
    return gaussian_sample(
        x.mean(axis=0), cov, len(x) if n is None else n, np.random.default_rng(seed)
    )


class Whitening:
    """x -> scores on the covariance's eigenvectors, each divided by its sd (and back).

    `scatter` replaces the sample covariance (e.g. a robust shape matrix, `tyler_shape`).
    """

    def __init__(
        self, x: np.ndarray, rel_floor: float = 1e-9, scatter: np.ndarray | None = None
    ) -> None:
        self.mean, cov = mean_and_covariance(np.asarray(x), ddof=1)
        if scatter is not None:
            cov = scatter
        w, v = np.linalg.eigh(cov)
        keep = w > rel_floor * max(float(w.max()), 1e-300)
        self.scale, self.basis = np.sqrt(w[keep]), v[:, keep]

    @property
    def rank(self) -> int:
        return len(self.scale)

    def whiten(self, x: np.ndarray) -> np.ndarray:
        return (np.asarray(x, dtype=np.float64) - self.mean) @ self.basis / self.scale

    def unwhiten(self, w: np.ndarray) -> np.ndarray:
        return (w * self.scale) @ self.basis.T + self.mean


def mahalanobis_radii(x: np.ndarray) -> tuple[np.ndarray, int]:
    """Each point's Mahalanobis distance from the mean (sample covariance, ddof 1), and the
    covariance's rank (the dimension the radii live in)."""
    white = Whitening(x)
    w = white.whiten(x)
    return np.sqrt(np.einsum("ij,ij->i", w, w)), white.rank


def gaussian_radius_cdf(d2: np.ndarray, n: int, p: int) -> np.ndarray:
    """Exact CDF of squared Mahalanobis distances of a Gaussian sample of n points in p
    dimensions measured with its own mean and covariance: n d2 / (n-1)^2 ~ Beta(p/2,
    (n-p-1)/2) (Gnanadesikan and Kettenring 1972), not the chi-square of known parameters."""
    return stats.beta.cdf(n * np.asarray(d2) / (n - 1) ** 2, p / 2, (n - p - 1) / 2)


def elliptical_null(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The data's Mahalanobis radii on uniformly random directions, un-whitened.

    Same mean, covariance and radial profile as x; any structure that depends on direction
    (filaments, clusters, holes) is gone.
    """
    white = Whitening(x)
    w = white.whiten(x)
    r = np.sqrt(np.einsum("ij,ij->i", w, w))
    u = rng.standard_normal(w.shape)
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    return white.unwhiten(u * r[:, None]).astype(np.float32)


def tyler_shape(y: np.ndarray, n_iter: int = 100, tol: float = 1e-7) -> np.ndarray:
    """Tyler's M-estimator of scatter of the mean-centred y, scaled to the sample covariance's
    trace.

    For an elliptical distribution it estimates the shape whatever the radial law (heavy
    tails included), where the sample covariance of a heavy-tailed sample is pulled towards
    the directions of its few most extreme points. Meant for a few dimensions (k x k).
    """
    y = np.asarray(y, dtype=np.float64)
    c = y - y.mean(axis=0)
    k = c.shape[1]
    cov = np.cov(c, rowvar=False).reshape(k, k)
    shape = cov / np.trace(cov) * k
    for _ in range(n_iter):
        d2 = np.einsum("ij,jk,ik->i", c, np.linalg.pinv(shape), c)
        w = 1.0 / np.maximum(d2, 1e-300)
        new = (c * w[:, None]).T @ c * (k / len(c))
        new = new / np.trace(new) * k
        done = np.abs(new - shape).max() < tol
        shape = new
        if done:
            break
    return shape * np.trace(cov) / k
