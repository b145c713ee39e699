"""Matplotlib figures, one function per figure; they draw data computed in `analysis`."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

DPI = 150


def save(fig, path: str | Path) -> None:
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    plt.close(fig)


def scatter_style(n: int) -> dict:
    """Small, translucent, rasterized points: light files that stay readable at 165k points."""
    size = 4.0 if n < 5_000 else (1.0 if n < 50_000 else 0.3)
    alpha = 0.6 if n < 5_000 else (0.3 if n < 50_000 else 0.15)
    return {"s": size, "alpha": alpha, "linewidths": 0, "rasterized": True}
