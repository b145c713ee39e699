"""Training throughput: a plain Keras `fit` VAE against zatlas' configured training path.

Baseline: the keras.io "Variational AutoEncoder" recipe (Keras 3) with the same encoder and
decoder, fed a float32 NumPy array through `fit(x, batch_size=...)` with default settings.
zatlas: `zatlas.training.train_model` itself (uint8 batches, per-epoch seeded order, backup
every epoch) with the speed switches of a config file. Both train the same architecture on
the same images at the same batch size; the first epoch (tracing, compilation) is left out
of the rate. Prints images/s for both and the ratio.

    python benchmarks/train_throughput.py                       # CPU-sized defaults
    python benchmarks/train_throughput.py --image-size 96 --n-images 20000 --epochs 3 \\
        --config config/config.yaml                             # the CelebA model on a GPU
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
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


def baseline_rate(spec, images: np.ndarray, batch_size: int, epochs: int, seed: int) -> float:
    """images/s of the keras.io VAE recipe on a float32 array (epochs after the first)."""
    import keras
    from keras import ops

    from zatlas.models import Sampling, build_decoder, build_encoder

    keras.utils.set_random_seed(seed)

    class VAE(keras.Model):
        def __init__(self, encoder, decoder, **kwargs):
            super().__init__(**kwargs)
            self.encoder, self.decoder = encoder, decoder
            self.sampling = Sampling(spec.eps_clip, seed=seed)
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

        def train_step(self, data):
            import tensorflow as tf

            with tf.GradientTape() as tape:
                z_mean, z_log_var = self.encoder(data)
                z = self.sampling([z_mean, z_log_var])
                reconstruction = self.decoder(z)
                reconstruction_loss = ops.mean(
                    ops.sum(keras.losses.binary_crossentropy(data, reconstruction), axis=(1, 2))
                )
                kl_loss = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
                kl_loss = ops.mean(ops.sum(kl_loss, axis=1))
                total_loss = reconstruction_loss + spec.kl_factor * kl_loss
            grads = tape.gradient(total_loss, self.trainable_weights)
            self.optimizer.apply_gradients(zip(grads, self.trainable_weights, strict=True))
            self.total_loss_tracker.update_state(total_loss)
            self.reconstruction_loss_tracker.update_state(reconstruction_loss)
            self.kl_loss_tracker.update_state(kl_loss)
            return {m.name: m.result() for m in self.metrics}

    class Timer(keras.callbacks.Callback):
        seconds: list[float] = []

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self.start)

    x = images.astype(np.float32) / 255.0
    vae = VAE(build_encoder(spec), build_decoder(spec))
    vae.compile(optimizer=keras.optimizers.Adam(5e-4))
    timer = Timer()
    vae.fit(x, epochs=epochs, batch_size=batch_size, callbacks=[timer], verbose=0)
    return len(x) * (epochs - 1) / sum(timer.seconds[1:])


def zatlas_rate(spec, train, images: np.ndarray, work: Path) -> tuple[float, dict]:
    """images/s of zatlas.training.train_model (epochs after the first) and its summary."""
    from zatlas.training import train_model

    np.save(work / "images.npy", images)
    pd.DataFrame({"split": ["train"] * len(images)}).to_parquet(work / "attributes.parquet")
    out = work / "out"
    out.mkdir()
    summary = train_model(
        work / "images.npy",
        work / "attributes.parquet",
        spec,
        train,
        out / "encoder.keras",
        out / "decoder.keras",
        out / "history.csv",
        out / "train.json",
        out / "backup",
    )
    seconds = summary["epoch_seconds"][1:]
    return len(images) * len(seconds) / sum(seconds), summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default=str(REPO / "config" / "demo.yaml"))
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--n-images", type=int, default=4096)
    parser.add_argument("--batch-size", type=int, default=None, help="default: the config's")
    parser.add_argument("--epochs", type=int, default=3, help="the first one is not timed")
    parser.add_argument("--model", default=None, help="a VAE of the config (default: first)")
    args = parser.parse_args()

    from dataclasses import replace

    from zatlas.config import ModelSpec, TrainSpec, validate_config

    raw = yaml.safe_load(Path(args.config).read_text())
    raw.setdefault("data", {})["image_size"] = args.image_size
    cfg = validate_config(raw, REPO / "workflow" / "schemas" / "config.schema.yaml")
    name = args.model or next(k for k, m in cfg["models"].items() if m["type"] == "vae")
    spec = ModelSpec.from_config(cfg, name)
    train = TrainSpec.from_config(cfg)
    train = replace(
        train,
        epochs=args.epochs,
        validation=False,
        batch_size=args.batch_size or train.batch_size,
    )
    images = synthetic_images(args.n_images, args.image_size)

    import tensorflow as tf

    print(f"TensorFlow {tf.__version__}; devices: {tf.config.list_logical_devices()}")
    print(
        f"model '{name}' ({spec.kind}, filters {list(spec.filters)}, z_dim {spec.z_dim}) on "
        f"{len(images)} images of {args.image_size}px, batch {train.batch_size}, "
        f"{args.epochs} epochs (first not timed)"
    )
    base = baseline_rate(spec, images, train.batch_size, args.epochs, train.seed)
    print(f"baseline (keras.io VAE, float32 NumPy array, fit defaults): {base:10.0f} images/s")
    with tempfile.TemporaryDirectory() as tmp:
        ours, summary = zatlas_rate(spec, train, images, Path(tmp))
    switches = {
        k: summary[k]
        for k in ("images_placement", "policy", "jit_compile", "steps_per_execution", "replicas")
    }
    print(f"zatlas (configured path {switches}): {ours:10.0f} images/s")
    print(f"ratio zatlas / baseline: {ours / base:.2f}x")


if __name__ == "__main__":
    main()
