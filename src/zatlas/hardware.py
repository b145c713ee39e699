"""What the workflow knows of this machine's accelerator before any job runs, without
importing a deep-learning library (seconds at every parse): whether a GPU is there, and
how many threads a training or encoding job gets."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping


def nvidia_device_present(environ: Mapping[str, str] | None = None) -> bool:
    """An NVIDIA device the CUDA libraries can see: its driver's device node or
    nvidia-smi, unless CUDA_VISIBLE_DEVICES hides every device."""
    environ = os.environ if environ is None else environ
    if environ.get("CUDA_VISIBLE_DEVICES", "x").strip() in ("", "-1"):
        return False
    return os.path.exists("/dev/nvidiactl") or shutil.which("nvidia-smi") is not None


def model_threads(cores: int | None, gpu: bool, most: int = 8) -> int:
    """Threads of one training or encoding job on `cores` cores (None: not yet known).

    With a GPU the models take turns on it, and a job's threads only feed it: up to
    `most`. On CPUs alone TensorFlow's small convolutions scale poorly (the demo's
    training keeps 1.1 of 2 cores busy), so each job gets half the cores and two models
    train side by side, or one trains beside the analyses of a finished one.
    """
    if cores is None:
        return most
    return max(1, min(most, cores if gpu else cores // 2))


def trainings_at_once(cores: int | None, gpu: bool, threads: int) -> int:
    """How many training jobs run at once: one with a GPU (they take turns on it), else as
    many as `cores` hold at `threads` each (one where the cores are not known)."""
    if gpu or cores is None:
        return 1
    return max(1, cores // max(1, threads))


# Below this many points an analysis job reserves one thread: openTSNE's Barnes-Hut
# synchronises its threads every iteration (two threads cost 2.2 times the CPU time of one
# at 3,000 points), and the other analyses' parallel parts (BLAS, kNN queries) are too
# short to pay for a second thread. Two one-thread jobs side by side keep both cores busy.
SMALL_POINTS = 10_000


# The most threads a job of each rule reserves (analysis rules: from SMALL_POINTS up); the
# rules not named take one. One table for the rules and for the full study's wall-time
# estimate (benchmarks/full_scale.py).
MOST_THREADS = {
    "prepare": 4,
    "pca": 2,
    "tsne": 4,
    "kmeans": 4,
    "structure": 4,
    "intrinsic_dim": 4,
    "sampling": 4,
    "attributes": 4,
    "traversals": 2,
    "interpolations": 4,
    "explore": 2,
}


def analysis_threads(n_points: int, most: int) -> int:
    """Threads an analysis job reserves for `n_points` latent points (its rule's `most`
    from SMALL_POINTS up)."""
    return 1 if n_points < SMALL_POINTS else most
