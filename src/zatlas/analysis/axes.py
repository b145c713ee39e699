"""Number density along every latent axis; per-axis modes, centre and width; dominant axes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from zatlas.analysis.histogram import FINE_BINS, bin_edges, mode_and_fwhm
from zatlas.analysis.modes import format_modes, peak_estimates
from zatlas.analysis.scale import factor as scale_factor

GAUSS_FWHM = 2 * np.sqrt(2 * np.log(2))  # FWHM / sd of a Gaussian


def axis_histograms(z: np.ndarray, bin_width: float, block: int = 16384):
    """Counts (z_dim, n_bins) on one shared grid, plus per-axis mean, std, min and max.

    Two passes over row blocks (range, then counts and moments), so a memory-mapped array
    is never copied whole.
    """
    mins = np.full(z.shape[1], np.inf)
    maxs = np.full(z.shape[1], -np.inf)
    for i in range(0, len(z), block):
        chunk = np.asarray(z[i : i + block])
        mins = np.minimum(mins, chunk.min(0))
        maxs = np.maximum(maxs, chunk.max(0))
    edges = bin_edges(float(mins.min()), float(maxs.max()), bin_width)
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
    return edges, counts.reshape(dim, n_bins), mean, std, mins, maxs


def fine_axis_histograms(
    z: np.ndarray, mean, std, mins, maxs, block: int = 16384
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per axis, FINE_BINS counts over its own [min, max] clipped to mean +- 8 sd (one pass
    over row blocks), so that a grid that starts at the sample's extreme can reflect a
    support boundary there.

    Returns (lo, width, counts): the grid of axis a starts at lo[a] with cells of width[a].
    Values outside the grid are dropped: they are too far out to move a peak.
    """
    dim = z.shape[1]
    scale = np.where(std > 0, std, 1.0)
    lo = np.maximum(mins, mean - 8 * scale)
    hi = np.minimum(maxs, mean + 8 * scale)
    width = np.where(hi > lo, hi - lo, scale) / FINE_BINS
    counts = np.zeros(dim * FINE_BINS, dtype=np.int64)
    offsets = np.arange(dim, dtype=np.int64) * FINE_BINS
    for i in range(0, len(z), block):
        chunk = np.asarray(z[i : i + block], dtype=np.float64)
        idx = np.floor((chunk - lo) / width).astype(np.int64)
        idx[(idx == FINE_BINS) & (chunk <= hi)] = FINE_BINS - 1  # the maximum itself
        inside = (idx >= 0) & (idx < FINE_BINS)
        counts += np.bincount((idx + offsets)[inside], minlength=dim * FINE_BINS)
    return lo, width, counts.reshape(dim, FINE_BINS)


def axis_table(z: np.ndarray, bin_width: float) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Per axis: its modes and, where it has one, centre, FWHM and half-width (bin-free);
    mean, std; plus the histograms.

    `n_modes` and `modes` come from `modes.peak_estimates` (a kernel density with
    Silverman's bandwidth, modes that pass a prominence test). Only a single-mode axis has
    a `mode`, a `center` (the midpoint of the half-maximum crossings; the mode on a support
    `boundary`) and a `fwhm` (read off the density at half the peak's height); elsewhere
    they are NaN and `note` says why. `center_binned` and `fwhm_binned` are the smoothed
    histogram's values at `bin_width`, as the figures show them (NaN where multimodal too).
    """
    edges, counts, mean, std, mins, maxs = axis_histograms(z, bin_width)
    lo, width, fine = fine_axis_histograms(z, mean, std, mins, maxs)
    centers = (edges[:-1] + edges[1:]) / 2
    rows = []
    for axis in range(z.shape[1]):
        fine_edges = lo[axis] + width[axis] * np.arange(FINE_BINS + 1)
        ends = (lo[axis] == mins[axis], lo[axis] + FINE_BINS * width[axis] >= maxs[axis])
        peak = peak_estimates(fine_edges, fine[axis], std[axis], ends)
        single = peak["n_modes"] == 1
        mode_b, fwhm_b = (
            mode_and_fwhm(centers, counts[axis], sigma_bins=2.0) if single else (np.nan, np.nan)
        )
        rows.append(
            {
                "axis": axis,
                "n_modes": peak["n_modes"],
                "modes": format_modes(peak["modes"]),
                "center": peak["center"],
                "mode": peak["mode"],
                "mean": mean[axis],
                "std": std[axis],
                "fwhm": peak["fwhm"],
                "half_width": peak["fwhm"] / 2,
                "boundary": peak["boundary"],
                "note": peak["note"],
                "center_binned": mode_b,
                "fwhm_binned": fwhm_b,
            }
        )
    return pd.DataFrame(rows), edges, counts


def _ranking_terms(table: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """|centre| and width for ranking; a multimodal axis (no centre, no FWHM) ranks by its
    mean and a Gaussian's FWHM for its sd, so that it still sorts among the others."""
    centre = table["center"].fillna(table["mean"]) if "mean" in table else table["center"]
    width = table["fwhm"].fillna(GAUSS_FWHM * table["std"]) if "std" in table else table["fwhm"]
    return centre.abs(), width


def dominant_axes(
    table: pd.DataFrame, center_threshold: float, width_factor: float, scale: str = "relative"
) -> pd.DataFrame:
    """Axes whose centre is far from 0, whose width is far above the median width, or that
    have more than one mode (`multimodal`: no centre or width to compare).

    "Far from 0" is |centre| > center_threshold in units of the median per-axis standard
    deviation (`scale="relative"`, see `zatlas.analysis.scale`) or literally (`"absolute"`,
    the blog's rule, meant for latents with a spread of about 1). `score` ranks them: the
    larger of |centre| / median width and width / median width (single-mode axes' FWHM).
    """
    median_width = float(table["fwhm"].median()) or 1.0
    centre, width = _ranking_terms(table)
    out = table.assign(
        width_ratio=table["fwhm"] / median_width,
        score=np.maximum(centre, width) / median_width,
    )
    limit = center_threshold * scale_factor(scale, table["std"])
    out["off_center"] = out["center"].abs() > limit
    out["broad"] = out["width_ratio"] > width_factor
    out["multimodal"] = out["n_modes"] > 1 if "n_modes" in out else False
    dominant = out[out["off_center"] | out["broad"] | out["multimodal"]]
    return dominant.sort_values("score", ascending=False).reset_index(drop=True)


def top_axes(table: pd.DataFrame, k: int = 2) -> list[int]:
    """The k most dominant axes by score, whether or not they pass the thresholds."""
    median_width = float(table["fwhm"].median()) or 1.0
    centre, width = _ranking_terms(table)
    score = np.maximum(centre, width) / median_width
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


def mode_positions(row) -> list[float]:
    """An axis row's modes (the table's space-separated `modes` cell), else its mode."""
    text = row.get("modes")
    if isinstance(text, str) and text.strip():
        return [float(v) for v in text.split()]
    mode = row.get("mode")
    return [float(mode)] if mode is not None and np.isfinite(mode) else []


def axis_label(row) -> str:
    """ "centre 0.12, FWHM 2.35" for a single-mode axis; "2 modes: -1.00, 1.00" otherwise,
    where no centre or FWHM applies."""
    n_modes = row.get("n_modes", 1)
    if n_modes is not None and np.isfinite(n_modes) and n_modes > 1:
        return f"{int(n_modes)} modes: " + ", ".join(f"{m:.2f}" for m in mode_positions(row))
    return f"centre {row['center']:.2f}, FWHM {row['fwhm']:.2f}"
