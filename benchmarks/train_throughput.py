"""Training throughput: a plain Keras `fit` VAE against zatlas' configured training path.

Baseline: the keras.io "Variational AutoEncoder" recipe (Keras 3, standard layers,
`BatchNormalization`) with the same encoder/decoder architecture, the same objective
(binary cross-entropy summed over pixels and channels, plus kl_factor x KL) and the same
precision policy, trained by the backend's own train step (`compute_loss`) and fed a
float32 NumPy array through `fit(x, batch_size=...)`. zatlas: the model, input pipeline
and callbacks of `zatlas.training.train_model` (uint8 batches in the per-epoch seeded
order, fused batch norm on TensorFlow, loss guard) with the speed switches of a config
file. Same images, same batch size. After one untimed warm-up epoch each (tracing), the two
alternate epoch by epoch, so that load from other processes hits both alike; prints the
median images/s (wall and per CPU-second) of each and their ratio. `--backends` runs the
comparison under each Keras backend in turn (one process each).

    python benchmarks/train_throughput.py                        # CPU-sized, about 2 minutes
    python benchmarks/train_throughput.py --backends tensorflow,jax
    python benchmarks/train_throughput.py --image-size 96 --n-images 16384 \
        --config config/config.yaml                              # the CelebA model (GPU)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import yaml  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def synthetic_images(n: int, size: int, seed: int = 0) -> np.ndarray:
    """Smooth coloured blobs on noise, uint8 (n, size, size, 3)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    c = rng.random((n, 1, 1, 3))
    cx, cy, r = (rng.random((n, 1, 1)) for _ in range(3))
    blob = (((xx - cx) ** 2 + (yy - cy) ** 2) < 0.05 + 0.2 * r)[..., None]
    noise = rng.random((n, size, size, 3))
    return (255 * (0.15 + 0.6 * blob * c + 0.2 * noise)).astype(np.uint8)


def baseline_model(spec, seed: int):
    """The keras.io VAE (Keras 3) around the same architecture with Keras' own layers."""
    import keras
    from keras import layers, ops

    from zatlas.models import Sampling

    keras.utils.set_random_seed(seed)
    x_in = keras.Input((spec.image_size, spec.image_size, 3))
    x = x_in
    for filters in spec.filters:
        x = layers.Conv2D(filters, spec.kernel_size, strides=2, padding="same")(x)
        x = layers.LeakyReLU()(layers.BatchNormalization()(x) if spec.batch_norm else x)
    x = layers.Flatten()(x)
    heads = [layers.Dense(spec.z_dim, dtype="float32")(x) for _ in range(2)]
    encoder = keras.Model(x_in, heads)
    side = spec.image_size // 2 ** len(spec.filters)
    z_in = keras.Input((spec.z_dim,))
    x = layers.Dense(side * side * spec.filters[-1])(z_in)
    x = layers.LeakyReLU()(layers.Reshape((side, side, spec.filters[-1]))(x))
    for filters in reversed(spec.filters[:-1]):
        x = layers.Conv2DTranspose(filters, spec.kernel_size, strides=2, padding="same")(x)
        x = layers.LeakyReLU()(layers.BatchNormalization()(x) if spec.batch_norm else x)
    x = layers.Conv2DTranspose(  # float32 output, as zatlas' (the BCE's clip needs it)
        3, spec.kernel_size, strides=2, padding="same", activation="sigmoid", dtype="float32"
    )(x)
    decoder = keras.Model(z_in, x)

    class VAE(keras.Model):
        def __init__(self, encoder, decoder, **kwargs):
            super().__init__(**kwargs)
            self.encoder, self.decoder = encoder, decoder
            self.sampling = Sampling(spec.eps_clip, seed=seed, dtype="float32")
            self.total_loss_tracker = keras.metrics.Mean(name="total_loss")
            self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
            self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

        @property
        def metrics(self):
            return [
                self.total_loss_tracker,
                self.reconstruction_loss_tracker,
                self.kl_loss_tracker,
            ]

        def call(self, data, training=False):
            z_mean, z_log_var = self.encoder(data, training=training)
            z = self.sampling([z_mean, z_log_var])
            return data, self.decoder(z, training=training), z_mean, z_log_var

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            data, reconstruction, z_mean, z_log_var = y_pred
            reconstruction = ops.cast(reconstruction, "float32")
            # summed over pixels and channels (keras' BCE averages its last axis: give it
            # one of size 1), as zatlas' objective
            reconstruction_loss = ops.mean(
                ops.sum(
                    keras.losses.binary_crossentropy(data[..., None], reconstruction[..., None]),
                    axis=(1, 2, 3),
                )
            )
            kl_loss = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
            kl_loss = ops.mean(ops.sum(kl_loss, axis=1))
            total_loss = reconstruction_loss + spec.kl_factor * kl_loss
            self.total_loss_tracker.update_state(total_loss)
            self.reconstruction_loss_tracker.update_state(reconstruction_loss)
            self.kl_loss_tracker.update_state(kl_loss)
            return total_loss

        def compute_metrics(self, x, y, y_pred, sample_weight=None):
            return {m.name: m.result() for m in self.metrics}

    vae = VAE(encoder, decoder)
    vae.compile(optimizer=keras.optimizers.Adam(5e-4))
    return vae


def zatlas_runner(spec, train, images: np.ndarray, work: Path):
    """One epoch of zatlas' configured path per call (its model, pipeline and loss guard),
    and the seconds one end-of-epoch backup takes (a cost per epoch, not per image)."""
    from zatlas import training as tr

    tr.seed_everything(train.seed, train.deterministic)
    devices = tr.describe_devices()
    idx = np.arange(len(images))
    on_device = tr.wants_device_bank(train.data_on_device, images.nbytes, 1, devices)
    with tr._policy(train.mixed_precision):
        backup = tr.Backup(work / "backup", "benchmark")
        model, data, _, history = tr.setup(spec, train, images, idx, idx[:0], on_device, backup)
    limit = tr.explode_limit(train, images.shape[1:])
    guard, _, _ = tr.training_callbacks(backup, history, limit, len(idx), train.epochs)

    def epoch() -> None:
        model.fit(
            getattr(data.train, "dataset", data.train),  # JAX, PyTorch: a PyDataset
            epochs=1,
            steps_per_epoch=data.steps_per_epoch,
            shuffle=False,
            callbacks=[guard],
            verbose=0,
        )

    def backup_seconds() -> float:
        start = time.perf_counter()
        backup.save(model, 1, [])
        return time.perf_counter() - start

    info = {
        "images": data.placement,
        "policy": train.mixed_precision or "float32",
        "jit_compile": bool(model.jit_compile),
        "steps_per_execution": train.steps_per_execution,
    }
    return epoch, backup_seconds, info


def run_per_backend(backends: list[str]) -> None:
    """This benchmark once per Keras backend (a process each: Keras picks its backend once),
    with the other arguments as given; then the ratios side by side."""
    argv, skip = [], False
    for arg in sys.argv[1:]:  # drop --backends and its value
        if skip or arg.startswith("--backends"):
            skip = arg == "--backends"
            continue
        argv.append(arg)
    rows = []
    for backend in backends:
        print(f"== KERAS_BACKEND={backend}", flush=True)
        proc = subprocess.run(
            [sys.executable, __file__, *argv],
            env={**os.environ, "KERAS_BACKEND": backend},
            capture_output=True,
            text=True,
        )
        print(proc.stdout, flush=True)
        if proc.returncode:
            print(proc.stderr[-2000:])
            continue
        ratio = next(line for line in proc.stdout.splitlines() if line.startswith("ratio"))
        rows.append(f"{backend:11s}{ratio[5:]}")
    print("ratio zatlas / baseline, per backend:")
    print("\n".join(rows))


def _switch(value: str):
    return {"true": True, "false": False, "null": None, "none": None}.get(value.lower(), value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default=str(REPO / "config" / "demo.yaml"))
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--n-images", type=int, default=512)
    parser.add_argument("--batch-size", type=int, default=None, help="default: the config's")
    parser.add_argument("--rounds", type=int, default=5, help="timed epochs of each")
    parser.add_argument("--model", default=None, help="a VAE of the config (default: first)")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="TensorFlow op threads, as the workflow sets them (default: TensorFlow's own)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a training switch of the config, e.g. --set mixed_precision=bfloat16",
    )
    parser.add_argument(
        "--backends",
        default=None,
        help="comma-separated Keras backends to compare in turn, e.g. tensorflow,jax",
    )
    args = parser.parse_args()
    if args.backends:
        run_per_backend(args.backends.split(","))
        return

    from dataclasses import replace

    from zatlas.config import ModelSpec, TrainSpec, validate_config

    raw = yaml.safe_load(Path(args.config).read_text())
    raw.setdefault("data", {})["image_size"] = args.image_size
    for item in args.set:
        key, _, value = item.partition("=")
        raw.setdefault("training", {})[key] = _switch(value)
    cfg = validate_config(raw, REPO / "workflow" / "schemas" / "config.schema.yaml")
    name = args.model or next(k for k, m in cfg["models"].items() if m["type"] == "vae")
    spec = ModelSpec.from_config(cfg, name)
    train = TrainSpec.from_config(cfg)
    train = replace(
        train,
        epochs=args.rounds + 1,
        validation=False,
        batch_size=args.batch_size or train.batch_size,
    )
    images = synthetic_images(args.n_images, args.image_size)

    import keras

    from zatlas import training as tr

    if args.threads and keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    print(tr.device_line(tr.describe_devices()))
    print(
        f"model '{name}' ({spec.kind}, filters {list(spec.filters)}, z_dim {spec.z_dim}, batch "
        f"norm {spec.batch_norm}), {len(images)} images of {args.image_size}px, batch "
        f"{train.batch_size}, policy {train.mixed_precision or 'float32'}, "
        f"{args.rounds} timed epochs each"
    )
    x = images.astype(np.float32) / 255.0
    with tr._policy(train.mixed_precision):  # the same precision policy as zatlas'
        base = baseline_model(spec, train.seed)
    with tempfile.TemporaryDirectory() as tmp:
        ours, backup_seconds, info = zatlas_runner(spec, train, images, Path(tmp))
        runs = {
            "baseline": lambda: base.fit(x, batch_size=train.batch_size, epochs=1, verbose=0),
            "zatlas": ours,
        }
        wall: dict[str, list[float]] = {k: [] for k in runs}
        cpu: dict[str, list[float]] = {k: [] for k in runs}
        for r in range(args.rounds + 1):
            for key, run in runs.items():
                start, start_cpu = time.perf_counter(), time.process_time()
                run()
                if r:  # the first round traces and compiles
                    wall[key].append(len(images) / (time.perf_counter() - start))
                    cpu[key].append(len(images) / (time.process_time() - start_cpu))
        backup = backup_seconds()

    def med(rates):
        return float(np.median(rates))

    b, z = med(wall["baseline"]), med(wall["zatlas"])
    bc, zc = med(cpu["baseline"]), med(cpu["zatlas"])
    print(f"switches of the zatlas path: {info}")
    print(f"{'':10s} {'images/s (wall)':>16s} {'images per CPU-second':>22s}")
    print(f"{'baseline':10s} {b:16.0f} {bc:22.0f}   keras.io VAE, float32 NumPy array")
    print(f"{'zatlas':10s} {z:16.0f} {zc:22.0f}")
    print(f"{'ratio':10s} {z / b:15.2f}x {zc / bc:21.2f}x   (medians of {args.rounds} epochs)")
    print(
        f"not in the rates: zatlas' end-of-epoch backup, {backup:.2f} s per epoch "
        f"(+{100 * backup * z / len(images):.1f}% on these {len(images)}-image epochs)"
    )


if __name__ == "__main__":
    main()
