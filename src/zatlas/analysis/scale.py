"""Lengths in the data's own scale: the unit behind zoom windows and dominant-axis thresholds.

The blog's lengths (zoom squares of side 5, 1 and 0.5; "dominant" meaning a centre farther
than 1 from 0) were chosen for latents whose axes have a spread of about 1. Another training
can put the same structure at a spread of 30: the absolute numbers then select nothing (empty
zooms) or everything (half of all axes "dominant"). In the `relative` mode every such length
is read in units of the median per-axis standard deviation, which is about 1 for the blog's
AE, so the relative mode reproduces the blog there and stays meaningful elsewhere; the
`absolute` mode takes the numbers literally, as the blog did. The axes' histogram bin is
such a length too: a bin of 0.25 cannot resolve centres of latents whose spread is 0.04.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from zatlas.errors import ZatlasError

MODES = ("relative", "absolute")

UNIT_DEFINITION = "median over axes of the per-axis standard deviation"


def spread_unit(stds: Sequence[float] | np.ndarray) -> float:
    """The median per-axis standard deviation: robust to a minority of broad or shifted axes."""
    values = np.asarray(stds, dtype=np.float64)
    values = values[np.isfinite(values)]
    unit = float(np.median(values)) if len(values) else float("nan")
    if not unit > 0:
        raise ZatlasError(
            "the latents have no spread (median per-axis standard deviation "
            f"{unit:g}), so lengths relative to it are undefined; check the encoder's output "
            "or set analysis.scale: absolute"
        )
    return unit


def axis_stds(z, block: int = 16384) -> np.ndarray:
    """Per-axis standard deviation over row blocks (a memory map is never copied whole)."""
    total = np.zeros(z.shape[1])
    squares = np.zeros(z.shape[1])
    for i in range(0, len(z), block):
        chunk = np.asarray(z[i : i + block], dtype=np.float64)
        total += chunk.sum(0)
        squares += (chunk**2).sum(0)
    mean = total / max(len(z), 1)
    return np.sqrt(np.maximum(squares / max(len(z), 1) - mean**2, 0.0))


def _check(mode: str) -> None:
    if mode not in MODES:
        raise ZatlasError(f"analysis.scale is {mode!r}; use one of {', '.join(MODES)}")


def factor(mode: str, stds: Sequence[float] | np.ndarray) -> float:
    """What a configured length is multiplied by to get a length in the latents' units."""
    _check(mode)
    return spread_unit(stds) if mode == "relative" else 1.0


def lengths(values: Sequence[float | None], mode: str, stds) -> list[float | None]:
    """Configured lengths (None = no limit, e.g. a full view) in the latents' units."""
    f = factor(mode, stds)
    return [None if v is None else float(v) * f for v in values]


def describe(mode: str, stds) -> dict:
    """The mode and its unit, for a stage's JSON and the report."""
    _check(mode)
    return {
        "scale": mode,
        "unit": factor(mode, stds),
        "unit_definition": UNIT_DEFINITION if mode == "relative" else "1 (absolute lengths)",
        "median_axis_std": float(np.nanmedian(np.asarray(stds, dtype=np.float64))),
    }
