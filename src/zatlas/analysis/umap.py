"""UMAP of (a subset of) the latent cloud, beside t-SNE: the same subsets, the same kNN
recall against z, so the two embeddings are compared on equal terms.

umap-learn (McInnes et al.) builds a fuzzy kNN graph with NN-descent and optimises a
cross-entropy layout; `random_state` makes it reproducible (and single-threaded), which the
study needs more than speed at these sizes.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import sys
from pathlib import Path

import numpy as np

# umap-learn's own numba functions are compiled afresh in every process (most are not
# declared `cache=True`): about 10 s of CPU for each UMAP job. They are pure module-level
# functions, so numba can cache their machine code like any `cache=True` function, keyed
# by the source file's timestamp and the argument types (an upgrade recompiles).
_CACHED_PACKAGES = ("umap", "pynndescent")


def enable_numba_cache(cache_dir: str | os.PathLike) -> int:
    """Cache the compiled numba functions of umap-learn and pynndescent that their authors
    did not declare cache=True in `cache_dir` (NUMBA_CACHE_DIR, when set, wins), and fill the
    caches once: the first process compiles `run_umap`'s small-data path (12 to 30 s of CPU)
    while holding a lock on the folder, and a UMAP job started meanwhile waits for it, then
    loads the code instead of compiling it too. Returns how many functions were switched on."""
    from numba.core import config

    with _compiling_alone(Path(config.CACHE_DIR or cache_dir)):
        # pynndescent declares its own functions cache=True: numba keeps those beside the
        # package (where writable), so that every run folder shares them
        _import_umap()
        if not config.CACHE_DIR:
            Path(cache_dir).mkdir(parents=True, exist_ok=True)
            config.CACHE_DIR = str(cache_dir)
        switched = _cache_umaps_functions()
        # a warm cache makes this 0.5 s; a cold one is filled here, under the lock
        run_umap(_WARM_UP, n_neighbors=5, min_dist=0.1, seed=0, n_epochs=10)
    return switched


# random points: the types, not the values, decide what numba compiles
_WARM_UP = np.random.default_rng(0).normal(size=(24, 4)).astype(np.float32)


def _cache_umaps_functions() -> int:
    from numba.core.caching import NullCache
    from numba.core.registry import CPUDispatcher

    switched = 0
    for name, module in list(sys.modules.items()):
        if module is None or name.split(".")[0] not in _CACHED_PACKAGES:
            continue
        for value in vars(module).values():
            if isinstance(value, CPUDispatcher) and isinstance(value._cache, NullCache):
                value.enable_caching()
                switched += 1
    return switched


@contextlib.contextmanager
def _compiling_alone(folder: Path):
    """An exclusive lock on `folder`'s .compile.lock while the block runs; where the file
    system has no locks (some cluster file systems), no lock: each job compiles for itself."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".compile.lock", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
        except OSError:
            pass
        yield  # closing the file releases the lock


def _import_umap():
    # umap's package import pulls in TensorFlow for ParametricUMAP, which this study never
    # uses: seconds of start-up and TensorFlow's logs in a numpy-only stage
    sys.modules.setdefault("umap.parametric_umap", None)
    import umap

    return umap


# umap-learn computes every distance below this many points, by handing its numba metric
# to scikit-learn, which calls it once per pair from Python: 4.5 million calls, about 15 s
# of CPU for 3,000 points. The same metric called from one compiled loop gives the same
# float32 matrix, bit for bit, in well under a second.
SMALL_DATA = 4096


@functools.cache
def _pairwise_kernel():
    import numba
    from umap.distances import euclidean

    @numba.njit(fastmath=True, cache=True)
    def pairwise(x):
        n = x.shape[0]
        out = np.zeros((n, n), dtype=np.float32)
        for i in range(n):
            for j in range(i + 1, n):
                d = euclidean(x[i], x[j])
                out[i, j] = d
                out[j, i] = d
        return out

    return pairwise


def euclidean_matrix(x: np.ndarray) -> np.ndarray:
    """All pairwise distances of the rows of float32 `x`, as umap-learn's small-data path
    computes them (its own euclidean metric, float32 result)."""
    _import_umap()
    return _pairwise_kernel()(np.ascontiguousarray(x, dtype=np.float32))


def run_umap(
    x: np.ndarray, n_neighbors: int, min_dist: float, seed: int, n_epochs: int | None = None
) -> np.ndarray:
    """2-D embedding of the rows of x."""
    import warnings

    UMAP = _import_umap().UMAP

    x = np.ascontiguousarray(x, dtype=np.float32)
    n_neighbors = min(n_neighbors, len(x) - 1)
    small = len(x) < SMALL_DATA  # umap's exact path: the same distances, computed fast
    with warnings.catch_warnings():
        # "n_jobs overridden by setting random_state": reproducibility is the point
        warnings.filterwarnings("ignore", message=".*random_state.*", category=UserWarning)
        warnings.filterwarnings("ignore", message=".*precomputed metric.*", category=UserWarning)
        model = UMAP(
            n_components=2,
            n_neighbors=n_neighbors,
            min_dist=min_dist,
            n_epochs=n_epochs,
            random_state=seed,
            init="spectral" if len(x) > n_neighbors + 2 else "random",
            metric="precomputed" if small else "euclidean",
        )
        fitted = model.fit_transform(euclidean_matrix(x) if small else x)
        return np.asarray(fitted, dtype=np.float32)
