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
# summaries and the report quote come from a Gaussian kernel density estimate (KDE) on a grid
# far finer than its bandwidth, so they do not move with the bin width.

# Bandwidth in units of the robust standard deviation. Mode and half-maximum crossings of a
# KDE are noisier than the density itself (they depend on its slope), so the bandwidth is
# larger than Silverman's density rule; its widening of the peak is removed from the FWHM.
KDE_BANDWIDTH = 0.3
# The maximum alone is noisier still (its error falls only as bandwidth^-1.5): it is taken
# from a KDE twice as smooth, which moves the mode of a chi(256) radius by less than 0.003.
MODE_SMOOTHING = 2.0
FINE_BINS = 2048  # grid cells over +-8 robust sd: about 40 cells per bandwidth


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


def _refined_argmax(centers: np.ndarray, y: np.ndarray) -> float:
    """Grid maximum moved to the vertex of the parabola through it and its neighbours."""
    i = int(np.argmax(y))
    if 0 < i < len(y) - 1:
        a, b, c = y[i - 1], y[i], y[i + 1]
        denom = a - 2 * b + c
        if denom < 0:
            return float(centers[i] + 0.5 * (centers[1] - centers[0]) * (a - c) / denom)
    return float(centers[i])


def kde_peak(edges: np.ndarray, counts: np.ndarray, bandwidth: float) -> dict:
    """Mode, half-maximum centre and FWHM of the Gaussian KDE of finely binned values.

    `mode` is the maximum of a KDE MODE_SMOOTHING times smoother, refined by a parabola
    through the three grid points around it. `center` is the midpoint of the two
    half-maximum crossings: equal to the mode for a symmetric peak and several times less
    noisy, because an error in the peak height moves both crossings by the same amount in
    opposite directions. `fwhm` is the crossing distance with the kernel's (and the fine
    bins') widening subtracted in quadrature, exact for a Gaussian peak.
    """
    width = float(edges[1] - edges[0])
    centers = (edges[:-1] + edges[1:]) / 2
    if counts.sum() == 0 or bandwidth <= 0:
        mid = float(centers[np.argmax(counts)]) if counts.sum() else float(centers.mean())
        return {"mode": mid, "center": mid, "fwhm": 0.0, "bandwidth": float(bandwidth)}
    y = smooth(counts, bandwidth / width)
    mode = _refined_argmax(centers, smooth(counts, MODE_SMOOTHING * bandwidth / width))
    left, right = half_max_crossings(centers, y, int(np.argmax(y)))
    raw = right - left
    added = 8 * np.log(2) * (bandwidth**2 + width**2 / 12)
    fwhm = float(np.sqrt(max(raw**2 - added, 0.0)))
    return {
        "mode": mode,
        "center": (left + right) / 2,
        "fwhm": fwhm,
        "bandwidth": float(bandwidth),
    }


def exact_peak(values: np.ndarray) -> dict:
    """`kde_peak` of one sample, with the bandwidth KDE_BANDWIDTH x its robust sd."""
    values = np.asarray(values, dtype=np.float64)
    scale = robust_sd(values)
    if scale == 0:
        v = float(values[0])
        return {"mode": v, "center": v, "fwhm": 0.0, "bandwidth": 0.0}
    edges = fine_grid(float(np.median(values)), scale, float(values.min()), float(values.max()))
    counts, _ = np.histogram(values, bins=edges)
    return kde_peak(edges, counts, KDE_BANDWIDTH * scale)
