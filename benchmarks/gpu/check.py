"""The device check: zatlas' training and encoding speed on one accelerator, in one command.

Runs zatlas' own model, input pipeline and callbacks on the Keras backend in use (JAX on a
bare GPU machine) over synthetic 96x96 faces, and prints and writes as JSON:
- training images/s of the default 96x96 model at batch 128 and 512, float32 and bfloat16,
  compiled (XLA) and, at batch 128 in float32, eager where the backend runs eagerly;
- encoding images/s (zatlas.encoding.encode_images, from a .npy file to z/mu/logvar);
- one full epoch over 202,599 images (CelebA's size) with its wall time.
Imports neither TensorFlow, Snakemake nor jsonschema. See README.md beside it.

    KERAS_BACKEND=jax python benchmarks/gpu/check.py --out gpu_check.json
    KERAS_BACKEND=jax JAX_PLATFORMS=cpu python benchmarks/gpu/check.py --quick   # rehearsal
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "src"))
CELEBA_N = 202_599


@dataclass(frozen=True)
class Spec:  # the fields of zatlas.config.ModelSpec; the defaults of the config schema
    name: str = "vae_tiny"
    kind: str = "vae"
    image_size: int = 96
    z_dim: int = 256
    filters: tuple = (32, 64, 128, 256)
    kernel_size: int = 3
    batch_norm: bool = True
    eps_clip: float | None = 5.0
    kl_factor: float = 1e-5

    @property
    def variational(self) -> bool:
        return self.kind == "vae"


@dataclass(frozen=True)
class Train:  # the fields of zatlas.config.TrainSpec that training reads
    epochs: int = 1
    batch_size: int = 128
    learning_rate: float = 5e-4
    clipnorm: float | None = None
    validation: bool = False
    seed: int = 0
    deterministic: bool = False
    mixed_precision: str | None = None
    jit_compile: bool | str = "auto"
    data_on_device: bool | str = "auto"
    steps_per_execution: int = 1
    explode_factor: float | None = 10.0
    extra: dict = field(default_factory=dict)


def synthetic_faces(n: int, size: int = 96, seed: int = 0, unique: int = 8192) -> np.ndarray:
    """uint8 (n, size, size, 3): skin-toned ellipses with hair, eyes and a mouth on a plain
    background; `unique` faces drawn, the rest are flipped and shifted copies (training
    speed does not depend on the content)."""
    rng = np.random.default_rng(seed)
    m = min(n, unique)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    out = np.empty((m, size, size, 3), np.uint8)
    for start in range(0, m, 1024):
        k = min(1024, m - start)
        r = rng.random((k, 12)).astype(np.float32)
        cx, cy = 0.45 + 0.1 * r[:, 0, None, None], 0.5 + 0.1 * r[:, 1, None, None]
        ax, ay = 0.25 + 0.08 * r[:, 2, None, None], 0.33 + 0.08 * r[:, 3, None, None]
        face = ((xx - cx) / ax) ** 2 + ((yy - cy) / ay) ** 2 < 1
        hair = (((xx - cx) / (ax * 1.15)) ** 2 + ((yy - cy + 0.06) / (ay * 1.1)) ** 2 < 1) & (
            yy < cy - 0.12 * r[:, 4, None, None]
        )
        eyes = sum(
            ((xx - cx - dx * ax) / 0.035) ** 2 + ((yy - cy + 0.1) / 0.025) ** 2 < 1
            for dx in (-0.4, 0.4)
        )
        mouth = (np.abs(xx - cx) < 0.12 * (0.6 + r[:, 5, None, None])) & (
            np.abs(yy - cy - 0.18) < 0.015
        )
        skin = np.stack([0.5 + 0.45 * r[:, 6], 0.35 + 0.4 * r[:, 6], 0.25 + 0.35 * r[:, 6]], -1)
        background = r[:, 7:10]
        hair_colour = r[:, 10:11] * np.array([0.5, 0.35, 0.2], np.float32)
        img = np.where(face[..., None], skin[:, None, None], background[:, None, None])
        img = np.where(hair[..., None], hair_colour[:, None, None], img)
        img = np.where((eyes > 0)[..., None] | mouth[..., None], 0.1, img)
        img = img + rng.normal(0, 0.03, img.shape).astype(np.float32)
        out[start : start + k] = np.clip(img * 255, 0, 255).astype(np.uint8)
    if n == m:
        return out
    idx = rng.integers(0, m, n)
    full = out[idx]
    flip = rng.random(n) < 0.5
    full[flip] = full[flip, :, ::-1]
    return full


def _train_rate(spec, train, images, steps: int, rounds: int = 2) -> dict:
    """Images/s of zatlas' training path (model, pipeline, guard) over `steps` batches,
    after one untimed pass that compiles; the median of `rounds` timed passes."""
    from zatlas import training as tr

    tr.seed_everything(train.seed, False)
    idx = np.arange(len(images))
    devices = tr.describe_devices()
    on_device = tr.wants_device_bank(train.data_on_device, images.nbytes, 1, devices)
    with tempfile.TemporaryDirectory() as tmp, tr._policy(train.mixed_precision):
        backup = tr.Backup(Path(tmp) / "backup", "check")
        model, data, _, history = tr.setup(spec, train, images, idx, idx[:0], on_device, backup)
        guard, _, _ = tr.training_callbacks(backup, history, None, len(idx), 1)
        feed = getattr(data.train, "dataset", data.train)

        def one(n):
            start = time.perf_counter()
            model.fit(
                feed, epochs=1, steps_per_epoch=n, shuffle=False, callbacks=[guard], verbose=0
            )
            return time.perf_counter() - start

        compile_s = one(max(2, train.steps_per_execution))
        seconds = sorted(one(steps) for _ in range(rounds))
    rate = steps * train.batch_size / seconds[len(seconds) // 2]
    return {
        "batch_size": train.batch_size,
        "policy": train.mixed_precision or "float32",
        "jit_compile": bool(model.jit_compile),
        "images": data.placement,
        "images_per_s": round(rate, 1),
        "first_call_s": round(compile_s, 2),
        "steps_timed": steps,
    }


def _full_epoch(spec, train, n: int) -> dict:
    """One epoch over n images through zatlas' training path, callbacks included."""
    from zatlas import training as tr

    t0 = time.perf_counter()
    images = synthetic_faces(n, spec.image_size, seed=1)
    made = time.perf_counter() - t0
    idx = np.arange(n)
    devices = tr.describe_devices()
    on_device = tr.wants_device_bank(train.data_on_device, images.nbytes, 1, devices)
    with tempfile.TemporaryDirectory() as tmp:
        backup = tr.Backup(Path(tmp) / "backup", "check")
        start = time.perf_counter()
        model, data, _, history = tr.setup(spec, train, images, idx, idx[:0], on_device, backup)
        callbacks = tr.training_callbacks(
            backup,
            history,
            tr.explode_limit(train, images.shape[1:]),
            n,
            1,
            explode_factor=train.explode_factor,
            batch_size=train.batch_size,
        )
        fit_start = time.perf_counter()
        model.fit(
            getattr(data.train, "dataset", data.train),
            epochs=1,
            steps_per_epoch=data.steps_per_epoch,
            shuffle=False,
            callbacks=list(callbacks),
            verbose=0,
        )
        end = time.perf_counter()
    return {
        "n_images": n,
        "batch_size": train.batch_size,
        "policy": train.mixed_precision or "float32",
        "images": data.placement,
        "synthesis_s": round(made, 1),
        "setup_s": round(fit_start - start, 2),
        "epoch_wall_s": round(end - fit_start, 2),
        "images_per_s_incl_compile": round(n / (end - fit_start), 1),
        "final_loss": float(history[-1]["loss"]) if history else None,
    }


def _encode_rate(spec, n: int, batch_size: int) -> dict:
    from zatlas.encoding import encode_images
    from zatlas.models import build_encoder

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        np.save(tmp / "images.npy", synthetic_faces(n, spec.image_size, seed=2))
        build_encoder(spec).save(tmp / "encoder.keras")
        out = [tmp / f"{k}.npy" for k in ("z", "mu", "logvar")]
        encode_images(tmp / "images.npy", tmp / "encoder.keras", *out, batch_size=batch_size)
        start = time.perf_counter()  # second run: compiled
        encode_images(tmp / "images.npy", tmp / "encoder.keras", *out, batch_size=batch_size)
        seconds = time.perf_counter() - start
    return {"n_images": n, "batch_size": batch_size, "images_per_s": round(n / seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="gpu_check.json", help="JSON file to write")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: prove the command")
    parser.add_argument("--steps", type=int, default=50, help="timed batches per setting")
    parser.add_argument("--epoch-images", type=int, default=CELEBA_N)
    parser.add_argument("--encode-images", type=int, default=65_536)
    parser.add_argument("--parts", default="train,encode,epoch", help="which measurements")
    args = parser.parse_args()
    spec = Spec()
    if args.quick:  # a small model too: XLA on a CPU is slow at 96 px (this only proves it runs)
        args.steps, args.epoch_images, args.encode_images = 3, 1024, 1024
        spec = Spec(image_size=32, z_dim=16, filters=(8, 16, 32, 64))

    import keras

    from zatlas import training as tr

    result = {}
    devices = tr.describe_devices()
    result["environment"] = {
        "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
        "python": platform.python_version(),
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "devices": devices,
        "device_line": tr.device_line(devices),
        "quick": args.quick,
        "model": {"image_size": spec.image_size, "filters": spec.filters, "z_dim": spec.z_dim},
        "tensorflow_imported": "tensorflow" in sys.modules,
    }
    print(result["environment"]["device_line"], flush=True)
    start = time.perf_counter()
    n_bank = max(512 * (args.steps + 4), 4096) if not args.quick else 2048
    images = synthetic_faces(n_bank, spec.image_size)
    settings = [(b, p, "auto") for b in (128, 512) for p in (None, "bfloat16")]
    settings.append((128, None, False))  # eager, for the record (no XLA)
    result["train"] = []
    for batch, policy, jit in settings if "train" in args.parts else []:
        train = Train(batch_size=batch, mixed_precision=policy, jit_compile=jit)
        steps = args.steps if jit else min(args.steps, 5)
        row = _train_rate(spec, train, images, steps)
        result["train"].append(row)
        print(f"train  {json.dumps(row)}", flush=True)
    del images
    if "encode" in args.parts:
        result["encode"] = _encode_rate(spec, args.encode_images, 512)
        print(f"encode {json.dumps(result['encode'])}", flush=True)
    if "epoch" in args.parts:
        result["full_epoch"] = _full_epoch(spec, Train(), args.epoch_images)
        print(f"epoch  {json.dumps(result['full_epoch'])}", flush=True)
    result["total_s"] = round(time.perf_counter() - start, 1)
    result["environment"]["tensorflow_imported"] = "tensorflow" in sys.modules
    Path(args.out).write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out} in {result['total_s']} s", flush=True)


if __name__ == "__main__":
    os.environ.setdefault("KERAS_BACKEND", "jax")
    main()
