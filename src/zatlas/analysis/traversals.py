"""Latent traversals: walk real faces' codes along one direction and measure what changes.

A traversal starts from the code of a real face and sets its coordinate along a unit
direction u to values t spanning the data's 1st to 99th percentile along u, leaving the part
orthogonal to u untouched. Directions are original axes (the dominant ones of the `axes`
stage) and principal components. How much the decoded image changes per unit step along u
says which directions carry the most visible change.

Pure numpy: decoding goes through a `decode(z) -> uint8 images` callable that the stage
builds from the Keras decoder, so everything here runs with a fake decoder in the tests.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from zatlas.analysis.pca import principal_axes
from zatlas.errors import ZatlasError

Decode = Callable[[np.ndarray], np.ndarray]


def axis_direction(axis: int, z_dim: int) -> np.ndarray:
    """The unit vector of original axis `axis` (0-based)."""
    if not 0 <= axis < z_dim:
        raise ZatlasError(f"axis {axis} is outside 0..{z_dim - 1}; pick an axis below z_dim")
    u = np.zeros(z_dim)
    u[axis] = 1.0
    return u


def principal_directions(z: np.ndarray, n_components: int) -> np.ndarray:
    """(n_components, z_dim) unit principal directions of `z`, largest variance first, each
    signed so its largest loading is positive (the PCA stage's own axes)."""
    _, _, vectors = principal_axes(z)
    return vectors[:, :n_components].T


def percentile_range(
    z: np.ndarray, direction: np.ndarray, low: float = 1.0, high: float = 99.0
) -> tuple[float, float]:
    """The `low` and `high` percentiles of the data's coordinate along `direction`."""
    u = np.asarray(direction, dtype=np.float64)
    # blockwise, so a memory-mapped z is never copied whole
    t = np.concatenate(
        [np.asarray(z[i : i + 65536], dtype=np.float64) @ u for i in range(0, len(z), 65536)]
    )
    lo, hi = np.percentile(t, [low, high])
    return float(lo), float(hi)


def step_values(low: float, high: float, n_steps: int) -> np.ndarray:
    if n_steps < 2:
        raise ZatlasError(f"a traversal needs at least 2 steps, got {n_steps}")
    return np.linspace(low, high, n_steps)


def step_grid(starts: np.ndarray, direction: np.ndarray, t: np.ndarray) -> np.ndarray:
    """(n_starts, n_steps, z_dim) float32: each start with its coordinate along `direction`
    set to each value of `t`; the orthogonal part of the start is kept."""
    starts = np.asarray(starts, dtype=np.float64)
    u = np.asarray(direction, dtype=np.float64)
    u = u / np.linalg.norm(u)
    orth = starts - np.outer(starts @ u, u)
    grid = orth[:, None, :] + np.asarray(t, dtype=np.float64)[None, :, None] * u[None, None, :]
    return grid.astype(np.float32)


def decode_grid(decode: Decode, grid: np.ndarray) -> np.ndarray:
    """Decode a (n_starts, n_steps, z_dim) grid to (n_starts, n_steps, H, W, C) images."""
    n, s, d = grid.shape
    images = np.asarray(decode(grid.reshape(n * s, d)))
    return images.reshape(n, s, *images.shape[1:])


def step_changes(images: np.ndarray) -> np.ndarray:
    """(n_starts, n_steps - 1): mean absolute pixel difference (pixels scaled to [0, 1])
    between consecutive steps of each traversal."""
    x = np.asarray(images, dtype=np.float32)
    if np.issubdtype(np.asarray(images).dtype, np.integer):
        x = x / 255.0
    diff = np.abs(np.diff(x, axis=1))
    return diff.reshape(*diff.shape[:2], -1).mean(axis=2)


def change_row(name: str, kind: str, index: int, t: np.ndarray, images: np.ndarray) -> dict:
    """One table row: how much the decoded faces change along one direction."""
    changes = step_changes(images)
    step = float(t[1] - t[0])
    x = np.asarray(images, dtype=np.float32)
    scale = 255.0 if np.issubdtype(np.asarray(images).dtype, np.integer) else 1.0
    end_to_end = np.abs(x[:, -1] - x[:, 0]).reshape(len(x), -1).mean(axis=1) / scale
    return {
        "direction": name,
        "kind": kind,
        "index": int(index),
        "t_low": float(t[0]),
        "t_high": float(t[-1]),
        "step": step,
        "n_steps": int(len(t)),
        "n_starts": int(len(images)),
        "pixel_change_per_step": float(changes.mean()),
        "pixel_change_per_unit": float(changes.mean() / abs(step)) if step else float("nan"),
        "end_to_end_change": float(end_to_end.mean()),
    }


def traverse(
    decode: Decode,
    z: np.ndarray,
    starts: np.ndarray,
    directions: dict[str, tuple[str, int, np.ndarray]],
    n_steps: int,
    low: float = 1.0,
    high: float = 99.0,
) -> tuple[pd.DataFrame, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Every traversal: a table sorted by change per unit step (largest first), and per
    direction its decoded images (n_starts, n_steps, H, W, C) and its step values t.

    `directions` maps a display name to (kind, index, unit vector); `z` (or a subset of
    it) gives the percentile ranges.
    """
    rows, images, steps = [], {}, {}
    for name, (kind, index, u) in directions.items():
        t = step_values(*percentile_range(z, u, low, high), n_steps)
        imgs = decode_grid(decode, step_grid(starts, u, t))
        rows.append(change_row(name, kind, index, t, imgs))
        images[name], steps[name] = imgs, t
    table = pd.DataFrame(rows)
    if len(table):
        table = table.sort_values("pixel_change_per_unit", ascending=False, kind="stable")
    return table.reset_index(drop=True), images, steps
