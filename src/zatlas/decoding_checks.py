"""Decode -> encode -> decode: does a z-point decode to an image the encoder recognises?

A z-point on the learned manifold decodes to an image x1 that the encoder maps back to
(nearly) the same point, so decoding again gives x2 close to x1. A point in a void decodes
to something the encoder does not know and the cycle drifts. Needs TensorFlow, so it lives
outside `analysis/`.
"""

from __future__ import annotations

import numpy as np

from zatlas.encoding import decode_points


def encoder_means(encoder, images_uint8: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """E[z | x]: z for an AE, mu for a VAE, from uint8 images."""
    out = []
    for start in range(0, len(images_uint8), batch_size):
        x = np.asarray(images_uint8[start : start + batch_size], dtype=np.float32) / 255.0
        code = encoder(x, training=False)
        out.append(np.asarray(code[0] if isinstance(code, list | tuple) else code))
    return np.concatenate(out).astype(np.float32)


def cycle_errors(encoder, decoder, z: np.ndarray) -> dict[str, np.ndarray]:
    """Per point: pixel MSE between decode(z) and decode(encode(decode(z))) (pixels in [0, 1]),
    and the latent drift ||z' - z|| / ||z||; also returns the first decoded images."""
    x1 = decode_points(decoder, np.asarray(z, dtype=np.float32))
    z2 = encoder_means(encoder, x1)
    x2 = decode_points(decoder, z2)
    diff = (x1.astype(np.float32) - x2.astype(np.float32)) / 255.0
    mse = (diff.reshape(len(diff), -1) ** 2).mean(axis=1)
    norm = np.maximum(np.linalg.norm(z, axis=1), 1e-12)
    drift = np.linalg.norm(z2 - z, axis=1) / norm
    return {"images": x1, "pixel_mse": mse, "latent_drift": drift}
