"""Batches of row numbers in a seeded per-epoch order, and the images they point at.

The images stay uint8 until they reach the device. On a GPU the whole uint8 array is kept
in GPU memory when it fits and batches are gathered inside the train step; elsewhere
tf.data gathers them from RAM (or from the memory-mapped file when too large) ahead of the
step.
"""

from __future__ import annotations

import math
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

HOST_MEMORY_LIMIT = 4 * 1024**3  # bytes of uint8 images copied into RAM (else memory-mapped)
DEVICE_SHARE = 0.4  # share of the GPU's memory the image bank may take


def gpu_memory_bytes() -> int | None:
    """Total memory of the first GPU, from nvidia-smi (None when unknown)."""
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=memory.total", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        ).stdout
        return int(out.split()[0]) * 1024**2
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def split_indices(attributes_path: str | Path, split: str) -> np.ndarray:
    table = pd.read_parquet(attributes_path, columns=["split"])
    return np.flatnonzero(table["split"].to_numpy() == split)


def epoch_order(n: int, batch_size: int, seed: int, epoch: int) -> np.ndarray:
    """Positions 0..n-1 in epoch `epoch`'s order: seeded by (seed, epoch), sorted per batch.

    Sorting inside each batch does not change what a batch holds but makes reads from a
    memory-mapped file sequential.
    """
    order = np.random.default_rng([seed, epoch]).permutation(n)
    for start in range(0, n, batch_size):
        order[start : start + batch_size].sort()
    return order.astype(np.int32)


@dataclass
class Pipelines:
    train: object
    valid: object | None
    steps_per_epoch: int
    placement: str  # "device", "host" or "mmap"
    bank: object | None = None


def make_pipelines(
    images: np.ndarray,
    train_idx: np.ndarray,
    valid_idx: np.ndarray,
    batch_size: int,
    seed: int,
    first_epoch: int,
    epochs: int,
    on_device: bool,
) -> Pipelines:
    """Pipelines of uint8 batches (or of row numbers into a device image bank).

    The training pipeline holds epochs `first_epoch`..`epochs - 1` back to back, each in the
    order of `epoch_order`, so Keras' iterator (kept across epochs when steps_per_epoch is
    given) needs no state that a resumed run could lose. TensorFlow: tf.data; elsewhere a
    keras.utils.PyDataset (JAX: batches gathered on the device by a jitted gather).
    """
    import keras

    used = np.union1d(train_idx, valid_idx).astype(np.int64)
    pos_train = np.searchsorted(used, train_idx).astype(np.int32)
    pos_valid = np.searchsorted(used, valid_idx).astype(np.int32)
    steps = math.ceil(len(train_idx) / batch_size)
    orders = np.stack(
        [
            pos_train[epoch_order(len(train_idx), batch_size, seed, e)]
            for e in range(first_epoch, max(epochs, first_epoch + 1))
        ]
    )
    if keras.backend.backend() != "tensorflow":
        return _plain_pipelines(images, used, orders, pos_valid, batch_size, steps, on_device)
    return _tf_pipelines(images, used, orders, pos_valid, batch_size, steps, on_device)


def _tf_pipelines(images, used, orders, pos_valid, batch_size, steps, on_device) -> Pipelines:
    import tensorflow as tf

    keys_train = tf.data.Dataset.from_tensor_slices(orders).flat_map(
        lambda order: tf.data.Dataset.from_tensor_slices(order).batch(batch_size)
    )
    keys_valid = (
        tf.data.Dataset.from_tensor_slices(pos_valid).batch(batch_size) if len(pos_valid) else None
    )
    shape = images.shape[1:]
    nbytes = len(used) * int(np.prod(shape))
    bank = None
    if on_device:
        with tf.device("/GPU:0" if tf.config.list_logical_devices("GPU") else "/CPU:0"):
            bank = tf.identity(tf.constant(np.asarray(images[used])))
        placement = "device"

        def finish(keys):
            return keys.prefetch(tf.data.AUTOTUNE)
    else:
        if nbytes <= HOST_MEMORY_LIMIT:
            source, placement = np.asarray(images[used]), "host"
        else:
            source, placement = images, "mmap"
            keys_train = keys_train.map(lambda k: tf.gather(used, k))
            keys_valid = keys_valid.map(lambda k: tf.gather(used, k)) if keys_valid else None

        def gather(keys):
            return source[keys]

        def finish(keys):
            return keys.map(
                lambda k: tf.ensure_shape(
                    tf.numpy_function(gather, [k], tf.uint8, stateful=False), (None, *shape)
                ),
                num_parallel_calls=tf.data.AUTOTUNE,
            ).prefetch(tf.data.AUTOTUNE)

    return Pipelines(
        finish(keys_train),
        finish(keys_valid) if keys_valid is not None else None,
        steps,
        placement,
        bank,
    )


class Batches:
    """Batches of `keys` (rows of `orders`, one per epoch, back to back), each fetched by
    `fetch`: a keras.utils.PyDataset for the backends without tf.data."""

    def __init__(self, orders: np.ndarray, batch_size: int, fetch):
        import keras

        # a PyDataset subclass made here: keras is imported only once training starts
        class _Dataset(keras.utils.PyDataset):
            def __len__(inner):
                return len(orders) * self.steps

            def __getitem__(inner, i):
                return (self.batch(i),)

        self.orders, self.batch_size, self.fetch = orders, batch_size, fetch
        self.steps = math.ceil(orders.shape[1] / batch_size)
        self.dataset = _Dataset()

    def batch(self, i: int):
        epoch, b = divmod(i, self.steps)
        return self.fetch(self.orders[epoch, b * self.batch_size : (b + 1) * self.batch_size])

    def __iter__(self):
        return (self.batch(i) for i in range(len(self.orders) * self.steps))


def _plain_pipelines(images, used, orders, pos_valid, batch_size, steps, on_device):
    import keras

    if on_device and keras.backend.backend() == "jax":
        import jax

        bank, placement = jax.device_put(np.asarray(images[used])), "device"
        gather = jax.jit(lambda bank, keys: bank[keys])

        def fetch(keys):
            return gather(bank, keys)
    elif len(used) * int(np.prod(images.shape[1:])) <= HOST_MEMORY_LIMIT:
        source, placement = np.asarray(images[used]), "host"

        def fetch(keys):
            return source[keys]
    else:
        source, placement = images, "mmap"

        def fetch(keys):
            return source[used[keys]]

    train = Batches(orders, batch_size, fetch)
    valid = Batches(pos_valid[None], batch_size, fetch) if len(pos_valid) else None
    return Pipelines(train, valid, steps, placement, None)


def wants_device_bank(
    setting: bool | str, images_bytes: int, replicas: int, devices: list[str]
) -> bool:
    """Keep the whole uint8 array on the compute device and gather batches in the step?

    'auto': on one GPU when the array takes under DEVICE_SHARE of its memory; on the CPU
    when it fits in HOST_MEMORY_LIMIT (one gather op per step is cheaper there than
    tf.data calling back into Python for every batch).
    """
    if replicas > 1:
        return False  # each replica would gather across devices; tf.data splits batches
    if setting != "auto":
        return bool(setting)
    if not any(d.startswith("GPU") for d in devices):
        return images_bytes <= HOST_MEMORY_LIMIT
    total = gpu_memory_bytes() or 16 * 1024**3
    return images_bytes <= DEVICE_SHARE * total
