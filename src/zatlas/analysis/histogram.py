"""Fixed-width number-density histograms shared by the radius and axis analyses."""

from __future__ import annotations

import numpy as np
import pandas as pd

from zatlas.analysis.modes import peak_estimates


def bin_edges(lo: float, hi: float, width: float) -> np.ndarray:
    """Edges on the grid k * width that cover [lo, hi]."""
    start = np.floor(lo / width) * width
    stop = np.ceil(hi / width) * width
    if stop <= start:
        stop = start + width
    n = int(round((stop - start) / width))
    return start + width * np.arange(n + 1)


def density_table(values: np.ndarray, width: float) -> pd.DataFrame:
    """Counts of `values` in bins of `width`; `density` is count / (N * width)."""
    values = np.asarray(values, dtype=np.float64)
    edges = bin_edges(values.min(), values.max(), width)
    counts, _ = np.histogram(values, bins=edges)
    return pd.DataFrame(
        {
            "bin_left": edges[:-1],
            "bin_right": edges[1:],
            "center": (edges[:-1] + edges[1:]) / 2,
            "count": counts.astype(np.int64),
            "density": counts / (len(values) * width),
        }
    )


def smooth(counts: np.ndarray, sigma_bins: float) -> np.ndarray:
    """Gaussian smoothing in bin units, so modes and half-maxima are not single-bin noise."""
    if sigma_bins <= 0:
        return counts.astype(np.float64)
    half = int(np.ceil(4 * sigma_bins))
    kernel = np.exp(-0.5 * (np.arange(-half, half + 1) / sigma_bins) ** 2)
    kernel /= kernel.sum()
    padded = np.pad(counts.astype(np.float64), half)
    return np.convolve(padded, kernel, mode="valid")


def half_max_crossings(
    centers: np.ndarray, y: np.ndarray, peak: int, edge_pad: float = 0.0
) -> tuple[float, float]:
    """Where the curve y falls to half its height at `peak`, left and right, interpolated
    linearly between the last bin above and the first below; at the grid's end, the last
    centre moved `edge_pad` outward."""
    half = y[peak] / 2
    width = centers[1] - centers[0] if len(centers) > 1 else 1.0

    def crossing(direction: int) -> float:
        i = peak
        while 0 <= i + direction < len(y) and y[i + direction] > half:
            i += direction
        j = i + direction
        if not 0 <= j < len(y):
            return float(centers[i] + direction * edge_pad)
        frac = (y[i] - half) / (y[i] - y[j]) if y[i] != y[j] else 0.5
        return float(centers[i] + direction * frac * width)

    return crossing(-1), crossing(1)


def mode_and_fwhm(centers: np.ndarray, counts: np.ndarray, sigma_bins: float = 2.0):
    """Mode (peak position) and full width at half maximum of a smoothed histogram."""
    y = smooth(counts, sigma_bins)
    peak = int(np.argmax(y))
    width = centers[1] - centers[0] if len(centers) > 1 else 1.0
    left, right = half_max_crossings(centers, y, peak, edge_pad=width / 2)
    # Smoothing and binning widen a peak; for a Gaussian-like peak the variances add, so
    # subtract them to report the width of the data rather than of the kernel.
    raw = right - left
    added = 8 * np.log(2) * ((sigma_bins * width) ** 2 + width**2 / 12)
    return float(centers[peak]), float(np.sqrt(max(raw**2 - added, (width) ** 2)))


# Bin-free peak estimates. The figures keep the configured bin widths; the numbers that the
# summaries and the report quote come from `modes.peak_estimates` on a histogram far finer
# than its bandwidths, so they do not move with the bin width.
FINE_BINS = 2048  # grid cells over at most +-8 robust sd: several per bandwidth at n = 200,000


def robust_sd(values: np.ndarray) -> float:
    """min(sd, IQR / 1.349): the sd of a Gaussian, and not inflated by a few outliers."""
    q1, q3 = np.quantile(values, [0.25, 0.75])
    sd = float(np.std(values))
    iqr = float(q3 - q1) / 1.349
    return min(sd, iqr) if iqr > 0 else sd


def fine_grid(center: float, scale: float, lo: float, hi: float) -> np.ndarray:
    """FINE_BINS + 1 edges over center +- 8 scale, clipped to [lo, hi] (values outside the
    grid are too far out to move the peak)."""
    lo, hi = max(lo, center - 8 * scale), min(hi, center + 8 * scale)
    if hi <= lo:
        hi = lo + 1e-12
    return np.linspace(lo, hi, FINE_BINS + 1)


def exact_peak(values: np.ndarray) -> dict:
    """`modes.peak_estimates` of one sample in memory: its modes and, where it has one
    mode, its position, centre and FWHM (NaN otherwise, with a note)."""
    values = np.asarray(values, dtype=np.float64)
    scale = robust_sd(values)
    lo, hi = float(values.min()), float(values.max())
    if scale == 0:
        return peak_estimates(np.array([lo, lo + 1.0]), np.array([len(values)]), 0.0)
    edges = fine_grid(float(np.median(values)), scale, lo, hi)
    counts, _ = np.histogram(values, bins=edges)
    return peak_estimates(edges, counts, float(np.std(values)), (edges[0] == lo, edges[-1] == hi))
