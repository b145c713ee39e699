"""Train one AE/VAE from the prepared images: resumable, seeded, logged per epoch."""

from __future__ import annotations

import json
import math
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd

from zatlas.config import ModelSpec, TrainSpec
from zatlas.errors import ZatlasError

IN_MEMORY_LIMIT = 2 * 1024**3  # bytes of uint8 images gathered into RAM for tf.data


def seed_everything(seed: int, deterministic: bool) -> None:
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()


def split_indices(attributes_path: str | Path, split: str) -> np.ndarray:
    table = pd.read_parquet(attributes_path, columns=["split"])
    return np.flatnonzero(table["split"].to_numpy() == split)


def make_dataset(
    images: np.ndarray, indices: np.ndarray, batch_size: int, shuffle: bool, seed: int
):
    """tf.data pipeline of float32 images in [0, 1] from rows `indices` of a uint8 array."""
    import tensorflow as tf

    indices = np.sort(indices)
    row_bytes = int(np.prod(images.shape[1:]))
    if len(indices) * row_bytes <= IN_MEMORY_LIMIT:
        ds = tf.data.Dataset.from_tensor_slices(np.asarray(images[indices]))
        if shuffle:
            ds = ds.shuffle(len(indices), seed=seed, reshuffle_each_iteration=True)
        ds = ds.batch(batch_size)
    else:
        shape = images.shape[1:]

        def gather(idx):
            return np.asarray(images[np.sort(idx)])

        ds = tf.data.Dataset.from_tensor_slices(indices)
        if shuffle:
            ds = ds.shuffle(len(indices), seed=seed, reshuffle_each_iteration=True)
        ds = ds.batch(batch_size).map(
            lambda idx: tf.ensure_shape(tf.numpy_function(gather, [idx], tf.uint8), (None, *shape)),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    return ds.map(lambda x: tf.cast(x, tf.float32) / 255.0).prefetch(tf.data.AUTOTUNE)


def _epoch_logger(n_images: int):
    import keras

    class EpochLogger(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            seconds = time.perf_counter() - self.start
            parts = ", ".join(f"{k}={v:.4g}" for k, v in (logs or {}).items())
            print(
                f"epoch {epoch + 1}: {seconds:.1f} s, {n_images / seconds:.0f} images/s; {parts}",
                flush=True,
            )

    return EpochLogger()


def describe_devices() -> list[str]:
    import tensorflow as tf

    return [f"{d.device_type}:{d.name}" for d in tf.config.list_physical_devices()]


def train_model(
    images_path: str | Path,
    attributes_path: str | Path,
    spec: ModelSpec,
    train: TrainSpec,
    encoder_out: str | Path,
    decoder_out: str | Path,
    history_out: str | Path,
    summary_out: str | Path,
    backup_dir: str | Path,
) -> dict:
    """Fit the model, backing up every epoch in `backup_dir` (never a declared output)."""
    import keras

    seed_everything(train.seed, train.deterministic)
    from zatlas.models import build_autoencoder

    images = np.load(images_path, mmap_mode="r", allow_pickle=False)
    if images.shape[1] != spec.image_size:
        raise ZatlasError(
            f"{images_path} holds {images.shape[1]}px images but the config asks for "
            f"{spec.image_size}px: rerun 'prepare'"
        )
    train_idx = split_indices(attributes_path, "train")
    valid_idx = split_indices(attributes_path, "valid") if train.validation else np.array([])
    if len(train_idx) == 0:
        raise ZatlasError(f"{attributes_path} has no images in the 'train' split")
    devices = describe_devices()
    print(f"TensorFlow devices: {devices}", flush=True)
    if not any(d.startswith("GPU") for d in devices) and len(train_idx) * train.epochs > 2_000_000:
        est_h = len(train_idx) * train.epochs / 150 / 3600  # ~150 images/s on a 2-core CPU
        print(
            f"WARNING: training {len(train_idx)} images x {train.epochs} epochs on the CPU; "
            f"expect roughly {est_h:.0f} hours. A GPU is strongly advised.",
            flush=True,
        )

    ds_train = make_dataset(images, train_idx, train.batch_size, shuffle=True, seed=train.seed)
    ds_valid = (
        make_dataset(images, valid_idx, train.batch_size, shuffle=False, seed=train.seed)
        if len(valid_idx)
        else None
    )
    model = build_autoencoder(spec, seed=train.seed)
    model.compile(optimizer=keras.optimizers.Adam(train.learning_rate, clipnorm=train.clipnorm))
    # BackupAndRestore needs built weights to restore into.
    model(np.zeros((1, spec.image_size, spec.image_size, 3), np.float32))

    backup = Path(backup_dir)
    backup.mkdir(parents=True, exist_ok=True)
    log_csv = backup / "history.csv"
    callbacks = [
        keras.callbacks.BackupAndRestore(str(backup / "state"), save_freq="epoch"),
        keras.callbacks.CSVLogger(str(log_csv), append=True),
        keras.callbacks.TerminateOnNaN(),
        _epoch_logger(len(train_idx)),
    ]
    start = time.perf_counter()
    hist = model.fit(
        ds_train,
        validation_data=ds_valid,
        epochs=train.epochs,
        shuffle=False,  # the tf.data pipeline shuffles, seeded
        callbacks=callbacks,
        verbose=2,
    )
    seconds = time.perf_counter() - start
    for epoch, loss in enumerate(hist.history.get("loss", [])):
        if not math.isfinite(loss):
            raise ZatlasError(
                f"model '{spec.name}': the loss became {loss} in epoch {epoch + 1}; lower "
                "training.learning_rate, set training.clipnorm, or check the data"
            )
    history = pd.read_csv(log_csv)
    history = history.drop_duplicates("epoch", keep="last").sort_values("epoch")
    history["epoch"] = history["epoch"] + 1
    history.to_csv(history_out, index=False)
    model.encoder.save(encoder_out)
    model.decoder.save(decoder_out)
    summary = {
        "model": spec.name,
        "kind": spec.kind,
        "kl_factor": spec.kl_factor,
        "devices": devices,
        "n_train": int(len(train_idx)),
        "n_valid": int(len(valid_idx)),
        "epochs": train.epochs,
        "seconds_this_run": round(seconds, 2),
        "final": {k: float(v) for k, v in history.iloc[-1].items() if k != "epoch"},
    }
    Path(summary_out).write_text(json.dumps(summary, indent=2))
    shutil.rmtree(backup, ignore_errors=True)
    return summary
