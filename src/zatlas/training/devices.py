"""Seeds, devices and distribution for the Keras backend in use (TensorFlow, JAX, PyTorch).

Every TensorFlow-only piece sits behind `backend() == "tensorflow"` with a plain
equivalent beside it.
"""

from __future__ import annotations

import contextlib


def backend() -> str:
    import keras

    return keras.backend.backend()


def seed_everything(seed: int, deterministic: bool) -> None:
    """Seed Python, NumPy and Keras (and the backend); optionally make TF ops deterministic.

    JAX on a CPU is deterministic as it is; PyTorch gets its deterministic algorithms.
    """
    import keras

    keras.utils.set_random_seed(seed)
    if not deterministic:
        return
    if backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    elif backend() == "torch":
        import torch

        torch.use_deterministic_algorithms(True, warn_only=True)


def describe_devices() -> list[str]:
    """'KIND:name' of each device the backend computes on ('CPU:...', 'GPU:...')."""
    name = backend()
    if name == "tensorflow":
        import tensorflow as tf

        return [f"{d.device_type}:{d.name}" for d in tf.config.list_logical_devices()]
    if name == "jax":
        import jax

        return [
            f"{'GPU' if d.platform in ('gpu', 'cuda', 'rocm') else 'CPU'}:{d}"
            for d in jax.devices()
        ]
    if name == "torch":
        import torch

        gpus = [f"GPU:cuda:{i}" for i in range(torch.cuda.device_count())]
        return gpus or ["CPU:cpu"]
    return [f"CPU:{name}"]


def on_gpu(devices: list[str]) -> bool:
    return any(d.startswith("GPU") for d in devices)


def device_line(devices: list[str]) -> str:
    """The one line a log needs about where training runs."""
    import keras

    name = backend()
    version = _backend_version(name)
    gpus = [d.split(":", 1)[1] for d in devices if d.startswith("GPU")]
    where = f"{len(gpus)} GPU ({', '.join(gpus)})" if gpus else "CPU only (no GPU visible)"
    return f"devices: {where}; Keras {keras.__version__} on {name} {version}"


def _backend_version(name: str) -> str:
    import importlib

    try:
        return importlib.import_module(name).__version__
    except (ImportError, AttributeError):
        return ""


class _OneDevice:
    """What training needs of a tf.distribute strategy, for one device on any backend."""

    num_replicas_in_sync = 1

    def scope(self):
        return contextlib.nullcontext()


def make_strategy(devices: list[str] | None = None):
    """TensorFlow: MirroredStrategy over `devices`, or over all GPUs when several are
    visible. Other backends: one device."""
    if backend() != "tensorflow":
        return _OneDevice()
    import tensorflow as tf

    if devices is None:
        gpus = tf.config.list_logical_devices("GPU")
        if len(gpus) <= 1:
            return tf.distribute.get_strategy()
        devices = [d.name for d in gpus]
    return tf.distribute.MirroredStrategy(devices)
