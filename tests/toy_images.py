"""Tiny image sets in the prepared layout (images.npy + attributes.parquet) for training tests."""

from pathlib import Path

import numpy as np
import pandas as pd


def write_dataset(folder: Path, n: int, size: int = 16, seed: int = 0) -> Path:
    """Coloured blobs on noise; every fifth image in the validation split."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    c = rng.random((n, 1, 1, 3))
    cx, cy, r = (rng.random((n, 1, 1)) for _ in range(3))
    blob = (((xx - cx) ** 2 + (yy - cy) ** 2) < 0.05 + 0.2 * r)[..., None]
    images = (255 * (0.15 + 0.6 * blob * c + 0.2 * rng.random((n, size, size, 3)))).astype(np.uint8)
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "images.npy", images)
    split = np.where(np.arange(n) % 5 == 0, "valid", "train")
    pd.DataFrame({"split": split}).to_parquet(folder / "attributes.parquet")
    return folder
