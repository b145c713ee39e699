"""Train one AE/VAE from the prepared images: resumable, seeded, guarded, logged per epoch.

Resume. After every epoch the whole training state -- weights, optimizer, the sampling
layer's RNG state, the epoch and the history so far -- is written to a backup folder that is
not a Snakemake output (Snakemake would delete it before the rerun that needs it). The
weights go to a new file and `state.json`, which names that file, is replaced atomically, so
a kill at any instant leaves the last finished epoch restorable. Each epoch's shuffle is a
pure function of (seed, epoch), never of an iterator's state, so a resumed run sees exactly
the batches an uninterrupted run would: with op determinism on, the two end bitwise equal.

Speed. Batches are row numbers; the images stay uint8 until they reach the device. On a
GPU the whole uint8 array is kept in GPU memory when it fits and batches are gathered inside
the (optionally XLA-compiled) train step; elsewhere tf.data gathers them from RAM (or from
the memory-mapped file when too large) ahead of the step. Mixed precision, XLA and several
steps per execution are config switches; several GPUs train under MirroredStrategy.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from zatlas.config import ModelSpec, TrainSpec
from zatlas.errors import ZatlasError

HOST_MEMORY_LIMIT = 4 * 1024**3  # bytes of uint8 images copied into RAM (else memory-mapped)
DEVICE_SHARE = 0.4  # share of the GPU's memory the image bank may take
CPU_IMAGES_PER_S_PER_CORE = 80  # default 96 px model (benchmarks/train_throughput.py, 2-core x86)
STATE = "state.json"
HISTORY_COLUMNS = [
    "epoch",
    "loss",
    "reco_loss",
    "kl_loss",
    "val_loss",
    "val_reco_loss",
    "val_kl_loss",
]


# -- seeds, devices --------------------------------------------------------------------------


def seed_everything(seed: int, deterministic: bool) -> None:
    """Seed Python, NumPy, TensorFlow and Keras; optionally make TF ops deterministic."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()


def describe_devices() -> list[str]:
    import tensorflow as tf

    return [f"{d.device_type}:{d.name}" for d in tf.config.list_logical_devices()]


def make_strategy(devices: list[str] | None = None):
    """MirroredStrategy over `devices`, or over all GPUs when more than one is visible."""
    import tensorflow as tf

    if devices is None:
        gpus = tf.config.list_logical_devices("GPU")
        if len(gpus) <= 1:
            return tf.distribute.get_strategy()
        devices = [d.name for d in gpus]
    return tf.distribute.MirroredStrategy(devices)


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


def estimated_cpu_hours(n_train: int, epochs: int, image_size: int) -> float:
    cores = os.cpu_count() or 1
    rate = CPU_IMAGES_PER_S_PER_CORE * cores * (96 / image_size) ** 2
    return n_train * epochs / rate / 3600


def warn_if_cpu(devices: list[str], n_train: int, epochs: int, image_size: int) -> str | None:
    """A loud warning when a long training is about to run on the CPU alone."""
    if any(d.startswith("GPU") for d in devices):
        return None
    hours = estimated_cpu_hours(n_train, epochs, image_size)
    if hours < 1:
        return None
    bar = "!" * 88
    message = (
        f"{bar}\nWARNING: no GPU visible to TensorFlow: training {n_train} images x {epochs} "
        f"epochs at {image_size}px on {os.cpu_count()} CPU cores,\nestimated {hours:.1f} hours. "
        "A GPU is strongly advised (pip install 'zatlas[gpu]', or the slurm profile).\n"
        f"{bar}"
    )
    print(message, flush=True)
    return message


# -- data -------------------------------------------------------------------------------------


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
    """tf.data pipelines of uint8 batches (or of row numbers into a device image bank).

    The training pipeline holds epochs `first_epoch`..`epochs - 1` back to back, each in the
    order of `epoch_order`, so Keras' iterator (kept across epochs when steps_per_epoch is
    given) needs no state that a resumed run could lose.
    """
    import tensorflow as tf

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
    keys_train = tf.data.Dataset.from_tensor_slices(orders).flat_map(
        lambda order: tf.data.Dataset.from_tensor_slices(order).batch(batch_size)
    )
    keys_valid = (
        tf.data.Dataset.from_tensor_slices(pos_valid).batch(batch_size) if len(valid_idx) else None
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


# -- backup -----------------------------------------------------------------------------------


def fingerprint(spec: ModelSpec, train: TrainSpec, images: np.ndarray, train_idx) -> str:
    """What a backup must match to be resumed (not `epochs`: training longer is fine)."""
    keep = {k: v for k, v in asdict(train).items() if k in ("batch_size", "learning_rate")}
    keep.update(
        clipnorm=train.clipnorm,
        seed=train.seed,
        mixed_precision=train.mixed_precision,
        model=asdict(spec),
        images=list(images.shape),
        n_train=int(len(train_idx)),
        head=hashlib.md5(np.asarray(images[train_idx[:64]]).tobytes()).hexdigest(),
    )
    return hashlib.sha256(json.dumps(keep, sort_keys=True, default=str).encode()).hexdigest()


class Backup:
    """The training state after the last finished epoch, in a folder Snakemake never deletes."""

    def __init__(self, folder: str | Path, fingerprint: str):
        self.folder = Path(folder)
        self.fingerprint = fingerprint

    def load(self, model, epochs: int) -> tuple[int, list[dict]]:
        """Restore weights, optimizer and RNG into `model`; return (epochs done, history)."""
        path = self.folder / STATE
        if not path.exists():
            return 0, []
        try:
            state = json.loads(path.read_text())
            weights = self.folder / state["weights"]
            stale = (
                "another config or data"
                if state.get("fingerprint") != self.fingerprint
                else f"{state['epoch']} epochs, more than the {epochs} asked for"
                if state["epoch"] > epochs
                else None
            )
            if stale:
                print(f"backup in {self.folder} holds {stale}: starting from epoch 1", flush=True)
                self.clear()
                return 0, []
            if not model.optimizer.built:
                model.optimizer.build(model.trainable_variables)
            model.load_weights(weights)
        except (OSError, ValueError, KeyError) as exc:
            print(f"backup in {self.folder} is unreadable ({exc}): starting from epoch 1")
            self.clear()
            return 0, []
        model.set_rng_state(state.get("rng"))
        print(f"resuming from the backup of epoch {state['epoch']} in {self.folder}", flush=True)
        return int(state["epoch"]), list(state["history"])

    def save(self, model, epoch: int, history: list[dict]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"epoch-{epoch:04d}.weights.h5"
        model.save_weights(self.folder / name, overwrite=True)
        _fsync(self.folder / name)
        state = {
            "fingerprint": self.fingerprint,
            "epoch": epoch,
            "weights": name,
            "rng": model.rng_state(),
            "history": history,
        }
        tmp = self.folder / (STATE + ".tmp")
        tmp.write_text(json.dumps(state))
        _fsync(tmp)
        os.replace(tmp, self.folder / STATE)  # atomic: the old state stays valid until here
        for old in self.folder.glob("epoch-*.weights.h5"):
            if old.name != name:
                old.unlink()

    def clear(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- callbacks --------------------------------------------------------------------------------

OPTIMISED = ("loss", "val_loss")  # the objective itself: only these may "explode"


@dataclass
class Divergence:
    """Where and how training diverged."""

    epoch: int
    term: str
    where: str
    value: float
    limit: float | None  # None: the value was not finite
    batches: int  # batches finished in `epoch` when it stopped


class DivergenceCheck:
    """Stops on real divergence only, never on a term that the objective weights away.

    Any logged value that is not finite stops training. Only the optimised loss (`loss`,
    `val_loss`) can stop it for being large: above explode_factor x its own best epoch
    mean so far, or x a blind guess (`first_limit`) before the first epoch ends. The
    unweighted KL of a tiny-KL VAE is routinely far above the blind guess while adding
    next to nothing to the objective.
    """

    def __init__(self, first_limit: float | None, explode_factor: float | None, history=()):
        self.first_limit = first_limit
        self.factor = explode_factor
        self.best = {k: min((r[k] for r in history if k in r), default=None) for k in OPTIMISED}
        self.failure: Divergence | None = None
        self.epoch = 0
        self.batches = 0

    def limit(self, term: str) -> float | None:
        best = self.best.get(term)
        if best is None or self.factor is None:
            return self.first_limit
        return self.factor * max(best, 0.0) or self.first_limit

    def check(self, logs, where: str) -> Divergence | None:
        if self.failure is not None:
            return self.failure
        for key, value in (logs or {}).items():
            try:
                value = float(value)
            except (TypeError, ValueError):
                continue
            if not math.isfinite(value):
                self.failure = Divergence(self.epoch, key, where, value, None, self.batches)
                break
            limit = self.limit(key) if key in OPTIMISED else None
            if limit is not None and value > limit:
                self.failure = Divergence(self.epoch, key, where, value, limit, self.batches)
                break
        return self.failure

    def epoch_done(self, logs) -> None:
        """Remember the best epoch means of the optimised loss (after a clean epoch)."""
        for key in OPTIMISED:
            if key in (logs or {}):
                value = float(logs[key])
                self.best[key] = value if self.best[key] is None else min(self.best[key], value)


def term_weight(term: str, kl_factor: float | None) -> str:
    """How a logged term enters the optimised objective, for messages."""
    base = term.removeprefix("val_")
    if base == "loss":
        return "the optimised objective"
    if base == "kl_loss":
        return f"weight kl_factor={kl_factor:g}" if kl_factor is not None else "weight kl_factor"
    if base == "reco_loss":
        return "weight 1"
    return "not in the objective"


def divergence_message(
    name: str,
    failure: Divergence,
    kl_factor: float | None,
    mixed_precision: str | None,
    steps: int,
    kept_epoch: int,
    backup_folder: str | Path,
) -> str:
    """The error for a stopped run: what diverged, by how much, and what may help."""
    f = failure
    where = f"{f.where} of {steps}" if f.where.startswith("at batch") else f.where
    head = (
        f"model '{name}': the loss diverged in epoch {f.epoch}: {f.term} "
        f"({term_weight(f.term, kl_factor)}) {where} "
        f"became {f.value:.4g}"
    )
    if f.limit is not None:
        head += (
            f" (limit {f.limit:.4g} = training.explode_factor x its best epoch mean so far, "
            "or x a blind guess in the first epoch)"
        )
        advice = (
            "Lower training.learning_rate or set training.clipnorm (either starts training "
            "afresh); if such a rise is expected, raise training.explode_factor (null turns "
            "this check off)"
        )
    else:
        advice = (
            "Lower training.learning_rate or set training.clipnorm (either starts training "
            "afresh), or check the data"
        )
        if f.term.removeprefix("val_") == "kl_loss":
            advice = "The KL term overflowed: the encoder's log-variance ran away. " + advice
        if mixed_precision == "float16":
            advice += "; float16 overflows above 65504: try mixed_precision bfloat16 or null"
    kept = (
        f"The backup of epoch {kept_epoch} in {backup_folder} is kept: a rerun with the "
        "same settings resumes from it."
        if kept_epoch
        else "No epoch finished, so nothing was backed up."
    )
    return f"{head}. {advice}. {kept}"


def training_callbacks(
    backup: Backup,
    history: list[dict],
    limit: float | None,
    n_images: int,
    epochs: int,
    explode_factor: float | None = None,
    batch_size: int | None = None,
):
    """(loss guard, per-epoch backup, per-epoch logger), in the order fit must run them.

    `limit`: the explosion limit of the optimised loss until an epoch has finished (then
    `explode_factor` x its best epoch mean). The guard's `check` holds the failure.
    """
    import keras

    class LossGuard(keras.callbacks.Callback):
        """Checks every batch's and epoch's logs with a DivergenceCheck.

        Async-safe: batch logs are checked off the main thread, so the train step never
        waits for them; everything is settled before on_epoch_end.
        """

        async_safe = True

        def __init__(self):
            super().__init__()
            self.check = DivergenceCheck(limit, explode_factor, history)

        @property
        def failure(self) -> Divergence | None:
            return self.check.failure

        def on_epoch_begin(self, epoch, logs=None):
            self.check.epoch = epoch + 1
            self.check.batches = 0

        def _stop(self, logs, where):
            if self.check.check(logs, where) is not None:
                self.model.stop_training = True

        def on_train_batch_end(self, batch, logs=None):
            if self.check.failure is None:
                self.check.batches = batch + 1
            self._stop(logs, f"at batch {batch + 1}")

        def on_epoch_end(self, epoch, logs=None):
            self._stop(logs, "at the end of the epoch")
            if self.check.failure is None:
                self.check.epoch_done(logs)

    guard = LossGuard()

    class EpochBackup(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if guard.failure is None:
                history.append({"epoch": epoch + 1, **{k: float(v) for k, v in logs.items()}})
                backup.save(self.model, epoch + 1, history)

    class EpochLogger(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds: list[float] = []

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            seconds = time.perf_counter() - self.start
            if guard.failure is not None:  # report what ran, not a whole epoch
                done = guard.failure.batches
                images = min(done * (batch_size or 0), n_images) if batch_size else None
                rate = f", {images / seconds:.0f} images/s" if images and seconds > 0 else ""
                print(
                    f"epoch {epoch + 1}/{epochs} stopped after {done} batches "
                    f"({seconds:.1f} s{rate}): {guard.failure.term} {guard.failure.where} "
                    f"= {guard.failure.value:.5g}",
                    flush=True,
                )
                return
            self.seconds.append(seconds)
            left = (epochs - epoch - 1) * float(np.median(self.seconds))
            parts = ", ".join(f"{k}={float(v):.5g}" for k, v in (logs or {}).items())
            print(
                f"epoch {epoch + 1}/{epochs}: {seconds:.1f} s, {n_images / seconds:.0f} "
                f"images/s, about {left / 60:.1f} min left; {parts}",
                flush=True,
            )

    return guard, EpochBackup(), EpochLogger()


# -- training ---------------------------------------------------------------------------------


def resolve_jit(train: TrainSpec) -> bool | str:
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
) -> dict:
    """Fit the model, backing up every epoch in `backup_dir` (never a declared output).

    `strategy`: a tf.distribute strategy (default: MirroredStrategy when several GPUs are
    visible). `callbacks`: extra Keras callbacks, run after the backup of each epoch.
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
    print(f"TensorFlow {_tf_version()} sees: {', '.join(devices)}", flush=True)
    warn_if_cpu(devices, len(train_idx), train.epochs, spec.image_size)
    strategy = strategy or make_strategy()
    replicas = strategy.num_replicas_in_sync
    used_bytes = (len(train_idx) + len(valid_idx)) * int(np.prod(images.shape[1:]))
    on_device = wants_device_bank(train.data_on_device, used_bytes, replicas, devices)

    steps = math.ceil(len(train_idx) / train.batch_size)
    train = _with(train, steps_per_execution=_steps_per_execution(train.steps_per_execution, steps))
    backup = Backup(backup_dir, fingerprint(spec, train, images, train_idx))
    with _policy(train.mixed_precision), strategy.scope():
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
        )
        start = time.perf_counter()
        if done < train.epochs:
            model.fit(
                data.train,
                validation_data=data.valid,
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

    history = [row for row in history if row["epoch"] <= train.epochs]
    table = pd.DataFrame(history)
    first = [c for c in HISTORY_COLUMNS if c in table]
    table[first + sorted(set(table) - set(first))].to_csv(history_out, index=False)
    trained = len(logger.seconds)
    summary = {
        "model": spec.name,
        "kind": spec.kind,
        "kl_factor": spec.kl_factor,
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
        "resumed_from_epoch": done,
        "seconds_this_run": round(seconds, 2),
        "epoch_seconds": [round(s, 3) for s in logger.seconds],
        "images_per_second": (
            round(len(train_idx) * trained / sum(logger.seconds), 1) if trained else None
        ),
        "final": {k: v for k, v in history[-1].items() if k != "epoch"},
    }
    Path(summary_out).write_text(json.dumps(summary, indent=2))
    backup.clear()
    return summary


def _with(train: TrainSpec, **changes) -> TrainSpec:
    from dataclasses import replace

    return replace(train, **changes)


def _tf_version() -> str:
    import tensorflow as tf

    return tf.__version__
