"""Fixed-width number-density histograms shared by the radius and axis analyses."""

from __future__ import annotations

import numpy as np
import pandas as pd


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


def mode_and_fwhm(centers: np.ndarray, counts: np.ndarray, sigma_bins: float = 2.0):
    """Mode (peak position) and full width at half maximum of a smoothed histogram."""
    y = smooth(counts, sigma_bins)
    peak = int(np.argmax(y))
    half = y[peak] / 2
    width = centers[1] - centers[0] if len(centers) > 1 else 1.0

    def crossing(direction: int) -> float:
        i = peak
        while 0 <= i + direction < len(y) and y[i + direction] > half:
            i += direction
        j = i + direction
        if not 0 <= j < len(y):
            return centers[i] + direction * width / 2
        # linear interpolation between the last bin above and the first below half maximum
        frac = (y[i] - half) / (y[i] - y[j]) if y[i] != y[j] else 0.5
        return centers[i] + direction * frac * width

    # Smoothing and binning widen a peak; for a Gaussian-like peak the variances add, so
    # subtract them to report the width of the data rather than of the kernel.
    raw = crossing(1) - crossing(-1)
    added = 8 * np.log(2) * ((sigma_bins * width) ** 2 + width**2 / 12)
    return float(centers[peak]), float(np.sqrt(max(raw**2 - added, (width) ** 2)))
