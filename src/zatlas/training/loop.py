"""The training loop: one AE/VAE from the prepared images, resumable, seeded, guarded.

Each epoch's shuffle is a pure function of (seed, epoch), never of an iterator's state, so
a resumed run sees exactly the batches an uninterrupted run would: with op determinism on,
the two end bitwise equal. Mixed precision, XLA and several steps per execution are config
switches; several GPUs train under MirroredStrategy (TensorFlow).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from zatlas.errors import ZatlasError
from zatlas.training.backup import Backup, fingerprint
from zatlas.training.callbacks import divergence_message, training_callbacks
from zatlas.training.devices import (
    backend,
    describe_devices,
    device_line,
    make_strategy,
    on_gpu,
    seed_everything,
)
from zatlas.training.pipelines import make_pipelines, split_indices, wants_device_bank

if TYPE_CHECKING:  # the config module needs jsonschema; a bare GPU machine may not
    from zatlas.config import ModelSpec, TrainSpec

HISTORY_COLUMNS = [
    "epoch",
    "loss",
    "reco_loss",
    "kl_loss",
    "val_loss",
    "val_reco_loss",
    "val_kl_loss",
]


def resolve_jit(train: TrainSpec) -> bool | str:
    """TensorFlow's XLA is not deterministic; JAX compiles always (its CPU runs are)."""
    if backend() != "tensorflow":
        return train.jit_compile
    if train.deterministic and train.jit_compile is not False:
        if train.jit_compile is True:
            print("deterministic: true turns XLA (jit_compile) off", flush=True)
        return False
    return train.jit_compile


def compile_model(model, train: TrainSpec) -> None:
    import keras

    model.compile(
        optimizer=keras.optimizers.Adam(train.learning_rate, clipnorm=train.clipnorm),
        jit_compile=resolve_jit(train),
        steps_per_execution=train.steps_per_execution,
    )


def export(model, spec: ModelSpec, encoder_out, decoder_out) -> None:
    """Save float32 encoder/decoder (rebuilt when training used a mixed-precision policy)."""
    import keras

    from zatlas.models import build_decoder, build_encoder

    encoder, decoder = model.encoder, model.decoder
    if keras.mixed_precision.global_policy().name != "float32":
        with _policy(None):
            encoder, decoder = build_encoder(spec), build_decoder(spec)
        encoder.set_weights(model.encoder.get_weights())
        decoder.set_weights(model.decoder.get_weights())
    encoder.save(encoder_out)
    decoder.save(decoder_out)


class _policy:
    """Set Keras' global dtype policy for a block ('mixed_float16', ...; None = float32)."""

    def __init__(self, mixed: str | None):
        self.name = f"mixed_{mixed}" if mixed else "float32"

    def __enter__(self):
        import keras

        self.saved = keras.mixed_precision.global_policy().name
        keras.mixed_precision.set_global_policy(self.name)

    def __exit__(self, *exc):
        import keras

        keras.mixed_precision.set_global_policy(self.saved)


def explode_limit(train: TrainSpec, image_shape) -> float | None:
    """The first epoch's limit on the optimised loss: explode_factor x a blind guess (BCE of
    a grey image, log 2 per pixel and channel)."""
    if not train.explode_factor:
        return None
    return train.explode_factor * math.log(2) * float(np.prod(image_shape))


def setup(spec, train, images, train_idx, valid_idx, on_device: bool, backup: Backup):
    """Model (compiled, built, restored from `backup`) and its pipelines, in the caller's
    dtype policy and distribution scope. Returns (model, pipelines, epochs done, history)."""
    from zatlas.models import build_autoencoder

    model = build_autoencoder(spec, seed=train.seed)
    compile_model(model, train)
    model(np.zeros((1, *images.shape[1:]), np.uint8))  # build before restoring weights
    done, history = backup.load(model, train.epochs)
    data = make_pipelines(
        images, train_idx, valid_idx, train.batch_size, train.seed, done, train.epochs, on_device
    )
    if data.bank is not None:
        model.use_image_bank(data.bank)
    return model, data, done, history


def _steps_per_execution(requested: int, steps: int) -> int:
    """Largest divisor of the steps per epoch <= requested: executions never span epochs."""
    return max(d for d in range(1, min(requested, steps) + 1) if steps % d == 0)


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
    strategy=None,
    callbacks: list | None = None,
    later_models: int = 0,
    threads: int | None = None,
    side_by_side: int = 1,
) -> dict:
    """Fit the model, backing up every epoch in `backup_dir` (never a declared output).

    `strategy`: a tf.distribute strategy (default: MirroredStrategy when several GPUs are
    visible). `callbacks`: extra Keras callbacks, run after the backup of each epoch.
    `later_models`: models still to train after this one (progress and CPU warning);
    `threads`: the CPU threads this job may use (for the warning); `side_by_side`: how
    many trainings the run has going at once (for the run's ETA).
    """
    import keras

    seed_everything(train.seed, train.deterministic)
    images = np.load(images_path, mmap_mode="r", allow_pickle=False)
    if images.shape[1] != spec.image_size:
        raise ZatlasError(
            f"{images_path} holds {images.shape[1]}px images but the config asks for "
            f"{spec.image_size}px: rerun 'prepare'"
        )
    train_idx = split_indices(attributes_path, "train")
    valid_idx = (
        split_indices(attributes_path, "valid") if train.validation else np.array([], np.int64)
    )
    if len(train_idx) == 0:
        raise ZatlasError(f"{attributes_path} has no images in the 'train' split")

    devices = describe_devices()
    print(device_line(devices), flush=True)
    strategy = strategy or make_strategy()
    replicas = strategy.num_replicas_in_sync
    used_bytes = (len(train_idx) + len(valid_idx)) * int(np.prod(images.shape[1:]))
    on_device = wants_device_bank(train.data_on_device, used_bytes, replicas, devices)

    steps = math.ceil(len(train_idx) / train.batch_size)
    train = _with(train, steps_per_execution=_steps_per_execution(train.steps_per_execution, steps))
    backup = Backup(backup_dir, fingerprint(spec, train, images, train_idx))
    with backup, _policy(train.mixed_precision), strategy.scope():
        model, data, done, history = setup(
            spec, train, images, train_idx, valid_idx, on_device, backup
        )
        print(
            f"model '{spec.name}': {len(train_idx)} train / {len(valid_idx)} validation images, "
            f"images {data.placement}, replicas {replicas}, "
            f"policy {keras.mixed_precision.global_policy().name}, "
            f"jit_compile {model.jit_compile}, steps/execution {train.steps_per_execution}, "
            f"deterministic {train.deterministic}, epochs {done + 1}..{train.epochs}",
            flush=True,
        )
        limit = explode_limit(train, images.shape[1:])
        guard, keeper, logger = training_callbacks(
            backup,
            history,
            limit,
            len(train_idx),
            train.epochs,
            explode_factor=train.explode_factor,
            batch_size=train.batch_size,
            later_models=later_models,
            threads=threads,
            on_cpu=not on_gpu(devices),
            side_by_side=side_by_side,
        )
        start = time.perf_counter()
        if done < train.epochs:
            model.fit(
                getattr(data.train, "dataset", data.train),  # a Batches' PyDataset
                validation_data=getattr(data.valid, "dataset", data.valid),
                epochs=train.epochs,
                initial_epoch=done,
                steps_per_epoch=data.steps_per_epoch,
                shuffle=False,  # epoch_order shuffles, seeded by (seed, epoch)
                callbacks=[guard, keeper, logger, *(callbacks or [])],
                # Keras' progress bar ends a stopped epoch as if it had run in full
                verbose=0,
            )
        seconds = time.perf_counter() - start
        if guard.failure is not None:
            raise ZatlasError(
                divergence_message(
                    spec.name,
                    guard.failure,
                    spec.kl_factor if spec.kind == "vae" else None,
                    train.mixed_precision,
                    data.steps_per_epoch,
                    len(history) and history[-1]["epoch"],
                    backup.folder,
                )
            )
        if done >= train.epochs:
            print(f"the backup already holds all {train.epochs} epochs", flush=True)
        export(model, spec, encoder_out, decoder_out)
        write_history(history, train.epochs, history_out)
        summary = _summary(spec, train, devices, replicas, data, model, train_idx, valid_idx)
        summary.update(
            resumed_from_epoch=done,
            seconds_this_run=round(seconds, 2),
            epoch_seconds=[round(s, 3) for s in logger.seconds],
            images_per_second=(
                round(len(train_idx) * len(logger.seconds) / sum(logger.seconds), 1)
                if logger.seconds
                else None
            ),
            cpu_warning=bool(logger.warning),
            final={k: v for k, v in history[-1].items() if k != "epoch"},
        )
        Path(summary_out).write_text(json.dumps(summary, indent=2))
        backup.remove()
    return summary


def write_history(history: list[dict], epochs: int, path) -> None:
    table = pd.DataFrame([row for row in history if row["epoch"] <= epochs])
    first = [c for c in HISTORY_COLUMNS if c in table]
    table[first + sorted(set(table) - set(first))].to_csv(path, index=False)


def _summary(spec, train, devices, replicas, data, model, train_idx, valid_idx) -> dict:
    import keras

    return {
        "model": spec.name,
        "kind": spec.kind,
        "kl_factor": spec.kl_factor,
        "backend": keras.backend.backend(),
        "devices": devices,
        "replicas": int(replicas),
        "images_placement": data.placement,
        "policy": train.mixed_precision or "float32",
        "jit_compile": bool(model.jit_compile),
        "steps_per_execution": train.steps_per_execution,
        "deterministic": train.deterministic,
        "n_train": int(len(train_idx)),
        "n_valid": int(len(valid_idx)),
        "epochs": train.epochs,
    }


def _with(train: TrainSpec, **changes) -> TrainSpec:
    return replace(train, **changes)
