"""Sampling strategies for z-points and how "on-manifold" their samples are.

Fixed distributions (N(0, I), uniform boxes) and ex-post density estimates fitted to the
training latents (a diagonal Gaussian, a full-covariance Gaussian, a Gaussian mixture), as in
"From Variational to Deterministic Autoencoders" (Ghosh et al. 2020).

On-manifold score of a sample: its distance to the nearest training z-point, over the median
distance of the training points to their own nearest (other) training point. About 1 for
points drawn like the training data; far above 1 for points in the voids.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import NearestNeighbors

from zatlas.analysis.moments import mean_and_covariance
from zatlas.analysis.nulls import gaussian_sample

Draw = Callable[[int, np.random.Generator], np.ndarray]


@dataclass(frozen=True)
class Strategy:
    name: str
    description: str
    draw: Draw


def standard_normal(z_dim: int) -> Strategy:
    return Strategy(
        "normal",
        "N(0, I)",
        lambda n, rng: rng.standard_normal((n, z_dim)).astype(np.float32),
    )


def uniform_box(z_dim: int, half: float) -> Strategy:
    return Strategy(
        f"uniform_{half:g}",
        f"U[-{half:g}, {half:g}]^z_dim",
        lambda n, rng: rng.uniform(-half, half, (n, z_dim)).astype(np.float32),
    )


def diagonal_gaussian(z: np.ndarray) -> Strategy:
    mean = np.asarray(z, dtype=np.float64).mean(axis=0)
    sd = np.asarray(z, dtype=np.float64).std(axis=0)
    return Strategy(
        "gaussian_diag",
        "Gaussian fitted to the training z, diagonal covariance",
        lambda n, rng: (mean + rng.standard_normal((n, len(mean))) * sd).astype(np.float32),
    )


def full_gaussian(z: np.ndarray) -> Strategy:
    mean, cov = mean_and_covariance(np.asarray(z), ddof=0)
    return Strategy(
        "gaussian_full",
        "Gaussian fitted to the training z, full covariance",
        lambda n, rng: gaussian_sample(mean, cov, n, rng),
    )


def gaussian_mixture(z: np.ndarray, n_components: int, seed: int) -> Strategy:
    """A full-covariance GMM; components capped so that each has a few points to fit."""
    k = max(1, min(n_components, len(z) // 10))
    gmm = GaussianMixture(k, covariance_type="full", reg_covar=1e-5, random_state=seed)
    gmm.fit(np.asarray(z, dtype=np.float64))

    def draw(n: int, rng: np.random.Generator) -> np.ndarray:
        counts = rng.multinomial(n, gmm.weights_)
        parts = [
            gaussian_sample(gmm.means_[c], gmm.covariances_[c], m, rng)
            for c, m in enumerate(counts)
            if m
        ]
        out = np.concatenate(parts)
        return out[rng.permutation(n)]

    return Strategy("gmm", f"Gaussian mixture, {k} full-covariance components", draw)


def strategies(z_train: np.ndarray, boxes, gmm_components: int, seed: int) -> dict[str, Strategy]:
    """Every strategy of the study, in the order of the figures and tables."""
    z_dim = z_train.shape[1]
    out = [standard_normal(z_dim), *(uniform_box(z_dim, h) for h in boxes)]
    out += [diagonal_gaussian(z_train), full_gaussian(z_train)]
    out.append(gaussian_mixture(z_train, gmm_components, seed))
    return {s.name: s for s in out}


class ManifoldScorer:
    """NN distance to the training z-points, in units of their own median NN distance."""

    def __init__(self, reference: np.ndarray, n_jobs: int = 1) -> None:
        ref = np.ascontiguousarray(reference, dtype=np.float32)
        self.nn = NearestNeighbors(n_neighbors=1, n_jobs=n_jobs).fit(ref)
        own = self.nn.kneighbors(n_neighbors=1, return_distance=True)[0][:, 0]
        self.scale = float(np.median(own)) or 1.0
        # a sample is "on the manifold" when it is as close as 95% of training points are
        self.within = float(np.quantile(own, 0.95)) / self.scale

    def __call__(self, points: np.ndarray) -> np.ndarray:
        d = self.nn.kneighbors(np.asarray(points, dtype=np.float32), return_distance=True)[0]
        return d[:, 0] / self.scale


def score_summary(name: str, points: np.ndarray, scores: np.ndarray, within: float) -> dict:
    return {
        "strategy": name,
        "n": int(len(points)),
        "radius_mean": float(np.linalg.norm(points, axis=1).mean()),
        "score_median": float(np.median(scores)),
        "score_p90": float(np.quantile(scores, 0.9)),
        "on_manifold_fraction": float((scores <= within).mean()),
    }


def summary_table(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows)
