"""Number density along every latent axis; per-axis centre and width; dominant axes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from zatlas.analysis.histogram import bin_edges, mode_and_fwhm


def axis_histograms(z: np.ndarray, bin_width: float, block: int = 65536):
    """Counts (z_dim, n_bins) on one shared grid, accumulated over row blocks."""
    lo, hi = np.inf, -np.inf
    for i in range(0, len(z), block):
        chunk = np.asarray(z[i : i + block])
        lo, hi = min(lo, float(chunk.min())), max(hi, float(chunk.max()))
    edges = bin_edges(lo, hi, bin_width)
    counts = np.zeros((z.shape[1], len(edges) - 1), dtype=np.int64)
    for i in range(0, len(z), block):
        chunk = np.asarray(z[i : i + block], dtype=np.float64)
        idx = np.clip(((chunk - edges[0]) / bin_width).astype(np.int64), 0, len(edges) - 2)
        for axis in range(z.shape[1]):
            counts[axis] += np.bincount(idx[:, axis], minlength=len(edges) - 1)
    return edges, counts


def axis_table(z: np.ndarray, bin_width: float) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Per axis: centre (mode), mean, std, FWHM and half-width; plus the histograms."""
    edges, counts = axis_histograms(z, bin_width)
    centers = (edges[:-1] + edges[1:]) / 2
    rows = []
    mean = np.zeros(z.shape[1])
    sq = np.zeros(z.shape[1])
    for i in range(0, len(z), 65536):
        chunk = np.asarray(z[i : i + 65536], dtype=np.float64)
        mean += chunk.sum(0)
        sq += (chunk**2).sum(0)
    mean /= len(z)
    std = np.sqrt(np.maximum(sq / len(z) - mean**2, 0))
    for axis in range(z.shape[1]):
        mode, fwhm = mode_and_fwhm(centers, counts[axis], sigma_bins=2.0)
        rows.append(
            {
                "axis": axis,
                "center": mode,
                "mean": mean[axis],
                "std": std[axis],
                "fwhm": fwhm,
                "half_width": fwhm / 2,
            }
        )
    return pd.DataFrame(rows), edges, counts


def dominant_axes(
    table: pd.DataFrame, center_threshold: float, width_factor: float
) -> pd.DataFrame:
    """Axes whose centre is far from 0 or whose width is far above the median width.

    `score` ranks them: the larger of |centre| / median width and width / median width.
    """
    median_width = float(table["fwhm"].median()) or 1.0
    out = table.assign(
        width_ratio=table["fwhm"] / median_width,
        score=np.maximum(table["center"].abs() / median_width, table["fwhm"] / median_width),
    )
    out["off_center"] = out["center"].abs() > center_threshold
    out["broad"] = out["width_ratio"] > width_factor
    dominant = out[out["off_center"] | out["broad"]]
    return dominant.sort_values("score", ascending=False).reset_index(drop=True)


def top_axes(table: pd.DataFrame, k: int = 2) -> list[int]:
    """The k most dominant axes by score, whether or not they pass the thresholds."""
    median_width = float(table["fwhm"].median()) or 1.0
    score = np.maximum(table["center"].abs(), table["fwhm"]) / median_width
    return [
        int(a) for a in table["axis"].to_numpy()[np.argsort(-score.to_numpy(), kind="stable")[:k]]
    ]
