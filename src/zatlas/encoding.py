"""Encode every prepared image to z (and mu, logvar); decode z-points back to images."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zatlas.progress import progress


def load_model(path: str | Path):
    import keras

    import zatlas.models  # noqa: F401  (registers the custom layers)

    return keras.models.load_model(path, safe_mode=True, compile=False)


def encode_images(
    images_path: str | Path,
    encoder_path: str | Path,
    z_out: str | Path,
    mu_out: str | Path | None = None,
    logvar_out: str | Path | None = None,
    eps_clip: float | None = 5.0,
    seed: int = 0,
    batch_size: int = 512,
) -> int:
    """Write z (N, z_dim) float32, row i <-> image i; for a VAE also mu and logvar."""
    import keras

    from zatlas.models import Sampling

    keras.utils.set_random_seed(seed)
    images = np.load(images_path, mmap_mode="r", allow_pickle=False)
    encoder = load_model(encoder_path)
    variational = isinstance(encoder.output, list | tuple)
    z_dim = (encoder.output[0] if variational else encoder.output).shape[-1]
    n = len(images)
    outs = {"z": np.lib.format.open_memmap(z_out, mode="w+", dtype=np.float32, shape=(n, z_dim))}
    if variational:
        outs["mu"] = np.lib.format.open_memmap(
            mu_out, mode="w+", dtype=np.float32, shape=(n, z_dim)
        )
        outs["logvar"] = np.lib.format.open_memmap(
            logvar_out, mode="w+", dtype=np.float32, shape=(n, z_dim)
        )
        sampler = Sampling(eps_clip, seed=seed)
    for start in progress(range(0, n, batch_size), desc="encoding", total=-(-n // batch_size)):
        x = np.asarray(images[start : start + batch_size], dtype=np.float32) / 255.0
        # predict_on_batch runs the backend's compiled function (eager JAX is slow)
        if variational:
            mu, logvar = encoder.predict_on_batch(x)
            outs["mu"][start : start + len(x)] = mu
            outs["logvar"][start : start + len(x)] = logvar
            outs["z"][start : start + len(x)] = keras.ops.convert_to_numpy(sampler([mu, logvar]))
        else:
            outs["z"][start : start + len(x)] = encoder.predict_on_batch(x)
    for arr in outs.values():
        arr.flush()
    return n


def decode_points(decoder, z: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """uint8 images (n, H, W, 3) decoded from float z-points."""
    out = []
    for start in range(0, len(z), batch_size):
        batch = np.asarray(
            decoder(z[start : start + batch_size].astype(np.float32), training=False)
        )
        out.append(np.clip(np.rint(batch * 255.0), 0, 255).astype(np.uint8))
    return np.concatenate(out) if out else np.zeros((0,), np.uint8)
