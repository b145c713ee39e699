"""t-SNE of (a subset of) the latent cloud with openTSNE.

openTSNE computes the repulsive forces by FFT-accelerated interpolation from 10,000 points
up, which keeps 165,000 points within minutes, and by Barnes-Hut below (at 3,000 points it
was faster on clustered latents, slower on diffuse ones, and closer to the exact KL
divergence: docs/performance.md); the attractive forces use the sparse kNN affinities.

Two optimisation schedules share perplexity, early exaggeration and the iteration count,
which counts like scikit-learn's `max_iter`: the first 250 iterations are the
early-exaggeration phase (P multiplied by `early_exaggeration`), the rest run with P itself.

- "sklearn" follows scikit-learn's `TSNE` (which the blog used): momentum 0.5 during early
  exaggeration and 0.8 afterwards, and scikit-learn's learning rate "auto",
  max(N / early_exaggeration / 4, 50), for both phases. scikit-learn's gradient carries the
  factor 4 of the t-SNE gradient, openTSNE's does not, so the same step is
  max(N / early_exaggeration, 200) in openTSNE's units.
- "opentsne" is openTSNE's own learning_rate="auto": N / exaggeration in each phase, so
  N / early_exaggeration while exaggerating and N afterwards (12 x scikit-learn's step once
  the exaggeration ends), with momentum 0.8 in both phases. In as many iterations it reaches
  a lower KL divergence and a better kNN recall (docs/analyses.md, "t-SNE").

Both: PCA initialisation scaled to standard deviation 1e-4 (both libraries' "pca");
perplexity-calibrated affinities on the 3 x perplexity nearest neighbours (approximate
neighbours from Annoy above 1,000 points, exact ones below).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.neighbors import NearestNeighbors

from zatlas.analysis.subsample import subset
from zatlas.errors import ZatlasError

# scikit-learn counts the 250 early-exaggeration iterations inside max_iter; openTSNE does not.
EARLY_EXAGGERATION_ITER = 250
SCHEDULES = ("opentsne", "sklearn")
DEFAULT_SCHEDULE = "opentsne"


def tsne_threads(n_points: int, threads: int) -> int:
    """Threads for openTSNE on `n_points`: one below 10,000, where it runs Barnes-Hut (the
    threads a small analysis reserves, zatlas.hardware.analysis_threads). Its threads
    synchronise every iteration there (two cost 2.2 times the CPU time of one
    at 3,000 points), and its result depends on their number: on one thread the same
    config gives the same map on any machine, core count or cluster."""
    from zatlas.hardware import analysis_threads

    return analysis_threads(n_points, threads)


def sklearn_learning_rate(n: int, early_exaggeration: float) -> float:
    """scikit-learn's learning_rate="auto" expressed in openTSNE's gradient units."""
    return max(n / early_exaggeration / 4.0, 50.0) * 4.0


@dataclass(frozen=True)
class Schedule:
    """Learning rates and momenta (openTSNE's units) of the two optimisation phases."""

    name: str
    exaggerated_learning_rate: float
    learning_rate: float
    exaggerated_momentum: float
    momentum: float


def resolve_schedule(name: str, n: int, early_exaggeration: float) -> Schedule:
    """The phases' learning rates and momenta of schedule `name` for n points."""
    if name == "sklearn":
        rate = sklearn_learning_rate(n, early_exaggeration)
        return Schedule(name, rate, rate, 0.5, 0.8)
    if name == "opentsne":
        return Schedule(name, n / early_exaggeration, float(n), 0.8, 0.8)
    raise ZatlasError(f"t-SNE schedule {name!r} is unknown: use one of {', '.join(SCHEDULES)}")


def affinities(x: np.ndarray, perplexity: float, seed: int, n_jobs: int = 1):
    """openTSNE's perplexity affinities, built as its `TSNE` builds them for Euclidean
    data (exact neighbours below 1,000 points, Annoy from 1,000 up; 3 x perplexity of them).

    Built here because openTSNE's own path imports pynndescent first, only to ask whether
    it is installed: 2.5 CPU-seconds of every t-SNE job, for neighbours it does not use
    with the Euclidean metric. A test checks that the map is bit for bit openTSNE's."""
    from openTSNE import affinity, nearest_neighbors

    n = len(x)
    k = min(n - 1, int(3 * perplexity))
    method = nearest_neighbors.Sklearn if n < 1000 else nearest_neighbors.Annoy
    index = method(data=x, k=k, metric="euclidean", n_jobs=n_jobs, random_state=seed, verbose=False)
    return affinity.MultiscaleMixture(perplexities=perplexity, knn_index=index, n_jobs=n_jobs)


def optimise(
    x: np.ndarray,
    perplexity: float,
    early_exaggeration: float,
    n_iter: int | Sequence[int],
    seed: int,
    n_jobs: int = 1,
    schedule: str | Schedule = DEFAULT_SCHEDULE,
) -> Iterator[tuple[int, np.ndarray, float]]:
    """Yield (iteration, 2-D embedding, KL divergence) at each iteration count in n_iter.

    One run serves every count: the schedules have no decay, so the embedding after 750 of
    1,000 iterations is the one a 750-iteration run ends with. Lazy, so that a caller can
    time each stretch.
    """
    from openTSNE import TSNE

    stops = sorted({int(n_iter)} if np.isscalar(n_iter) else {int(i) for i in n_iter})
    if isinstance(schedule, str):
        schedule = resolve_schedule(schedule, len(x), early_exaggeration)
    x = np.ascontiguousarray(x, dtype=np.float32)  # no copy for float32 rows already in memory
    embedding = TSNE(
        n_components=2,
        perplexity=perplexity,
        initialization="pca",
        metric="euclidean",
        negative_gradient_method="auto",  # Barnes-Hut below 10,000 points, FFT above
        n_jobs=n_jobs,
        random_state=seed,
        verbose=False,
    ).prepare_initial(x, affinities=affinities(x, perplexity, seed, n_jobs))
    done = 0
    if len(stops) > 1 and stops[0] < EARLY_EXAGGERATION_ITER:
        # exaggerating P and undoing it again rounds P, which changes the trajectory
        raise ValueError(f"several counts must all be >= {EARLY_EXAGGERATION_ITER}: {stops}")
    ee_end = min(EARLY_EXAGGERATION_ITER, stops[-1])
    phases = [(ee_end, True)] + [(stop, False) for stop in stops if stop > ee_end]
    for stop, exaggerated in phases:
        embedding.optimize(
            n_iter=stop - done,
            exaggeration=early_exaggeration if exaggerated else None,
            learning_rate=(
                schedule.exaggerated_learning_rate if exaggerated else schedule.learning_rate
            ),
            momentum=schedule.exaggerated_momentum if exaggerated else schedule.momentum,
            n_jobs=n_jobs,
            inplace=True,  # keeps the optimiser's gains and update between calls
        )
        done = stop
        if stop in stops:
            yield stop, np.array(embedding, dtype=np.float32), float(embedding.kl_divergence)


def run_tsne(
    x: np.ndarray,
    perplexity: float,
    early_exaggeration: float,
    n_iter: int,
    seed: int,
    n_jobs: int = 1,
    schedule: str = DEFAULT_SCHEDULE,
) -> tuple[np.ndarray, float]:
    """2-D embedding and its final KL divergence under `schedule` (see above)."""
    [(_, embedding, kl)] = optimise(
        x, perplexity, early_exaggeration, n_iter, seed, n_jobs, schedule
    )
    return embedding, kl


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
