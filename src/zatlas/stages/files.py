"""File helpers shared by the stage modules."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np


def write_json(path, data) -> None:
    Path(path).write_text(json.dumps(data, indent=2, default=float))


def read_json(path) -> dict:
    return json.loads(Path(path).read_text())


def load(path) -> np.ndarray:
    """A latent or image array, memory-mapped (never loaded whole)."""
    return np.load(path, mmap_mode="r", allow_pickle=False)


def per_model(names, paths, what: str) -> dict:
    """A rule's expanded per-model input list as {model: path}, in the config's order."""
    if len(names) != len(paths):
        raise ValueError(f"{what}: {len(paths)} files for the {len(names)} models {names}")
    return dict(zip(names, paths, strict=True))


def title(model: str, what: str) -> str:
    return f"{model}: {what}"


# JAX's persistent cache of compiled XLA programs, kept across jobs and runs like the
# downloads: a model's train, encode and decode programs compile once, and the config's
# models share theirs when they share an architecture (the same program, other weights).
JAX_CACHE = "resources/jax-cache"


def use_jax_cache(folder: str | os.PathLike = JAX_CACHE) -> str:
    """Keep JAX's compiled programs in `folder`, unless JAX_COMPILATION_CACHE_DIR (read by
    JAX itself) names another; returns the folder in use. Call before the first compile."""
    import jax

    if not jax.config.jax_compilation_cache_dir:
        jax.config.update("jax_compilation_cache_dir", str(Path(folder).resolve()))
    return jax.config.jax_compilation_cache_dir


def limit_threads(threads: int, tensorflow: bool = False) -> None:
    """Honour the rule's thread count in BLAS/OpenMP (set before numpy does heavy work) and,
    with `tensorflow` (a Keras job), in TensorFlow's op pools (before TensorFlow runs its
    first op); under JAX, keep its compiled programs in JAX_CACHE instead."""
    from threadpoolctl import threadpool_limits

    threads = max(int(threads), 1)
    threadpool_limits(threads)
    os.environ["OMP_NUM_THREADS"] = str(threads)
    if tensorflow:
        import keras

        backend = keras.backend.backend()
        if backend == "jax":
            use_jax_cache()
        if backend != "tensorflow":
            return
        import tensorflow as tf

        # one op at a time, each on `threads` cores: a 1-core job stays on one core
        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        except RuntimeError as exc:  # TensorFlow already ran an op in this process
            print(f"[zatlas] TensorFlow threads left as they were: {exc}", flush=True)


def write_not_run(reason: str, figures, title_text: str, summary, record: dict, tables=None):
    """An analysis that cannot run on its input still writes every output, saying why: the
    figures show the reason, the summary holds it as `not_run`, the tables have their
    columns and no rows (or the rows given). The report then shows it in place of results."""
    import pandas as pd

    from zatlas.plots.not_run import plot_not_run

    print(f"[zatlas] not run: {reason}", flush=True)
    for path in figures:
        plot_not_run(reason, title_text, path)
    for path, frame in (tables or {}).items():
        (frame if isinstance(frame, pd.DataFrame) else pd.DataFrame(columns=frame)).to_csv(
            path, index=False
        )
    write_json(summary, {**record, "not_run": reason})
