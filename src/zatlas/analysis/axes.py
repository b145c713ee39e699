"""Number density along every latent axis; per-axis centre and width; dominant axes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from zatlas.analysis.histogram import (
    FINE_BINS,
    KDE_BANDWIDTH,
    bin_edges,
    kde_peak,
    mode_and_fwhm,
)
from zatlas.analysis.scale import factor as scale_factor


def axis_histograms(z: np.ndarray, bin_width: float, block: int = 16384):
    """Counts (z_dim, n_bins) on one shared grid, plus per-axis mean and std.

    Two passes over row blocks (range, then counts and moments), so a memory-mapped array
    is never copied whole.
    """
    lo, hi = np.inf, -np.inf
    for i in range(0, len(z), block):
        chunk = np.asarray(z[i : i + block])
        lo, hi = min(lo, float(chunk.min())), max(hi, float(chunk.max()))
    edges = bin_edges(lo, hi, bin_width)
    n_bins, dim = len(edges) - 1, z.shape[1]
    counts = np.zeros(dim * n_bins, dtype=np.int64)
    total, squares = np.zeros(dim), np.zeros(dim)
    offsets = np.arange(dim, dtype=np.int64) * n_bins
    for i in range(0, len(z), block):
        chunk = np.asarray(z[i : i + block], dtype=np.float64)
        idx = np.clip(((chunk - edges[0]) / bin_width).astype(np.int64), 0, n_bins - 1)
        counts += np.bincount((idx + offsets).ravel(), minlength=dim * n_bins)
        total += chunk.sum(0)
        squares += (chunk**2).sum(0)
    mean = total / len(z)
    std = np.sqrt(np.maximum(squares / len(z) - mean**2, 0))
    return edges, counts.reshape(dim, n_bins), mean, std


def fine_axis_histograms(
    z: np.ndarray, mean: np.ndarray, std: np.ndarray, block: int = 16384
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per axis, FINE_BINS counts over its own mean +- 8 sd (one pass over row blocks).

    Returns (lo, width, counts): the grid of axis a starts at lo[a] with cells of width[a].
    Values outside the grid are dropped: they are too far out to move a peak.
    """
    dim = z.shape[1]
    scale = np.where(std > 0, std, 1.0)
    lo, width = mean - 8 * scale, 16 * scale / FINE_BINS
    counts = np.zeros(dim * FINE_BINS, dtype=np.int64)
    offsets = np.arange(dim, dtype=np.int64) * FINE_BINS
    for i in range(0, len(z), block):
        chunk = np.asarray(z[i : i + block], dtype=np.float64)
        idx = np.floor((chunk - lo) / width).astype(np.int64)
        inside = (idx >= 0) & (idx < FINE_BINS)
        counts += np.bincount((idx + offsets)[inside], minlength=dim * FINE_BINS)
    return lo, width, counts.reshape(dim, FINE_BINS)


def _robust_scale(edges: np.ndarray, counts: np.ndarray, sd: float) -> float:
    """min(sd, IQR / 1.349), the quartiles read off the fine histogram."""
    cum = np.concatenate([[0], np.cumsum(counts)]) / max(counts.sum(), 1)
    q1, q3 = np.interp([0.25, 0.75], cum, edges)
    iqr = (q3 - q1) / 1.349
    return float(min(sd, iqr)) if iqr > 0 else float(sd)


def axis_table(z: np.ndarray, bin_width: float) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Per axis: centre, FWHM and half-width (bin-free), mean, std; plus the histograms.

    `center` is the midpoint of the half-maximum crossings of a Gaussian KDE and `fwhm` its
    width with the kernel's widening removed (`histogram.kde_peak`), so neither moves with
    `bin_width`; `mode` is the KDE's maximum. `center_binned` and `fwhm_binned` are the
    smoothed histogram's values at `bin_width`, as the figures show them.
    """
    edges, counts, mean, std = axis_histograms(z, bin_width)
    lo, width, fine = fine_axis_histograms(z, mean, std)
    centers = (edges[:-1] + edges[1:]) / 2
    rows = []
    for axis in range(z.shape[1]):
        mode_b, fwhm_b = mode_and_fwhm(centers, counts[axis], sigma_bins=2.0)
        fine_edges = lo[axis] + width[axis] * np.arange(FINE_BINS + 1)
        scale = _robust_scale(fine_edges, fine[axis], std[axis])
        peak = kde_peak(fine_edges, fine[axis], KDE_BANDWIDTH * scale)
        rows.append(
            {
                "axis": axis,
                "center": peak["center"],
                "mode": peak["mode"],
                "mean": mean[axis],
                "std": std[axis],
                "fwhm": peak["fwhm"],
                "half_width": peak["fwhm"] / 2,
                "center_binned": mode_b,
                "fwhm_binned": fwhm_b,
            }
        )
    return pd.DataFrame(rows), edges, counts


def dominant_axes(
    table: pd.DataFrame, center_threshold: float, width_factor: float, scale: str = "relative"
) -> pd.DataFrame:
    """Axes whose centre is far from 0 or whose width is far above the median width.

    "Far from 0" is |centre| > center_threshold in units of the median per-axis standard
    deviation (`scale="relative"`, see `zatlas.analysis.scale`) or literally (`"absolute"`,
    the blog's rule, meant for latents with a spread of about 1). `score` ranks them: the
    larger of |centre| / median width and width / median width.
    """
    median_width = float(table["fwhm"].median()) or 1.0
    out = table.assign(
        width_ratio=table["fwhm"] / median_width,
        score=np.maximum(table["center"].abs() / median_width, table["fwhm"] / median_width),
    )
    limit = center_threshold * scale_factor(scale, table["std"])
    out["off_center"] = out["center"].abs() > limit
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


def density_long(edges: np.ndarray, counts: np.ndarray) -> pd.DataFrame:
    """The per-axis histograms as one long table: axis, bin, count and number density."""
    dim, n_bins = counts.shape
    width = edges[1] - edges[0]
    n = counts[0].sum() if dim else 0
    return pd.DataFrame(
        {
            "axis": np.repeat(np.arange(dim), n_bins),
            "bin_left": np.tile(edges[:-1], dim),
            "bin_right": np.tile(edges[1:], dim),
            "center": np.tile((edges[:-1] + edges[1:]) / 2, dim),
            "count": counts.ravel(),
            "density": counts.ravel() / (max(n, 1) * width),
        }
    )
