"""How many modes a one-dimensional sample has, and the peak numbers that only one mode has.

A centre and a full width at half maximum (FWHM) describe a single peak. On a bimodal axis
they describe nothing (the centre falls in the valley, or on whichever mode a seed favours),
so `peak_estimates` first counts the modes and gives a centre and a FWHM only where there
is exactly one; otherwise it lists the modes and leaves the single-peak numbers NaN.

Everything works on a fine histogram (edges, counts) far narrower than every bandwidth, so
a memory-mapped sample is read once and the bin width does not move the answers.

- Modes are counted on a Gaussian kernel density estimate (KDE) at Silverman's rule
  bandwidth, 0.9 min(sd, IQR/1.349) n^(-1/5). A local maximum counts as a mode when its
  prominence (its height above the higher of the two valleys that part it from higher
  ground) exceeds Z_MODE standard errors of the KDE at the peak and the valley,
  sqrt((f_peak + f_valley) R(K) / (n h)), R(K) = 1 / (2 sqrt(pi)), and its excess mass
  (the share of the points above the valley's level) reaches MIN_MASS. Noise bumps rarely
  pass the first; a dozen points bunched far out in a heavy tail (t(3) at 200,000 points)
  can, but carry a thousandth of the mass and leave the main peak's centre and width
  meaningful, so the second keeps them out. Two modes 4 sd apart pass both at any size.
- A support boundary (a side where the density stays high up to the sample's extreme, as
  for a half-normal) is reflected, so the KDE does not leak mass past it and a peak on the
  boundary stays there (mode 0, not a bandwidth inside).
- The mode's position is the maximum of a KDE at a bandwidth of order n^(-1/7) (the rate
  that minimises the error of a maximum's position; Silverman's n^(-1/5) is tuned for the
  density and leaves the maximum noisy).
- The peak height is a one-sided local-linear fit to the histogram on each side of the mode
  (one side at a boundary), averaged. A KDE smooths a cusp away (a Laplace peak loses 15%
  of its height at n = 3,000) and so widens the FWHM; a line fitted from each side up to
  the mode has a bias of order window^2 for smooth peaks and cusps alike.
- The FWHM is read off the KDE where it falls to half that height: the density's own
  width, for any shape (no Gaussian-only correction). The centre is the midpoint of the
  half-maximum crossings of the mode's smoother KDE (the mode itself on a boundary).
"""

from __future__ import annotations

import math

import numpy as np

SILVERMAN = 0.9
Z_MODE = 4.0  # standard errors of prominence a bump needs to count as a mode
MIN_MASS = 0.01  # ... and this share of the points above its valley (its excess mass)
R_GAUSS = 1 / (2 * math.sqrt(math.pi))  # roughness of the Gaussian kernel
MODE_RULE = 1.0  # bandwidth of the mode's position: MODE_RULE x scale x n^(-1/7)
HEIGHT_WINDOW = 2.0  # the local-linear fits reach HEIGHT_WINDOW Silverman bandwidths
EDGE_DENSITY = 0.5  # a side is a boundary when its density stays this share of the peak
EDGE_WINDOW = 0.25  # ... over this many bandwidths from the sample's extreme


def silverman(n: int, sd: float, iqr_sd: float) -> float:
    """Silverman's rule-of-thumb bandwidth."""
    scale = min(sd, iqr_sd) if iqr_sd > 0 else sd
    return SILVERMAN * scale * n ** (-0.2)


def kde(counts: np.ndarray, width: float, h: float, reflect=(False, False)) -> np.ndarray:
    """Gaussian KDE (density per unit length) at the bin centres; a reflected side mirrors
    the counts about the grid's edge, so no mass leaks past a support boundary."""
    n = max(float(counts.sum()), 1.0)
    sigma = h / width
    half = max(int(np.ceil(4 * sigma)), 1)
    kernel = np.exp(-0.5 * (np.arange(-half, half + 1) / sigma) ** 2)
    kernel /= kernel.sum()
    c = counts.astype(np.float64)
    pad = min(half, len(c))
    left = c[:pad][::-1] if reflect[0] else np.zeros(pad)
    right = c[-pad:][::-1] if reflect[1] else np.zeros(pad)
    padded = np.concatenate([np.zeros(half - pad), left, c, right, np.zeros(half - pad)])
    return np.convolve(padded, kernel, mode="valid") / (n * width)


def _mirrored(y: np.ndarray, reflect) -> tuple[np.ndarray, int]:
    """y continued by its mirror image at a boundary (so a maximum on it is a strict peak
    and its prominence is measured on the reflected density) and by one 0 elsewhere (the
    density beyond the grid); returns it and the offset of y inside it."""
    lo = y[:0:-1] if reflect[0] else np.zeros(1)
    hi = y[-2::-1] if reflect[1] else np.zeros(1)
    return np.concatenate([lo, y, hi]), len(lo)


def significant_peaks(
    y: np.ndarray, n: int, h: float, reflect=(False, False), width: float = 0.0
) -> np.ndarray:
    """Indices of the KDE's local maxima (a density on cells of `width`) whose prominence
    passes Z_MODE standard errors and whose excess mass reaches MIN_MASS."""
    # imported here: scipy.signal takes a second to import, in every job that imports a
    # module that imports this one (kl_sweep, compare, the report) and finds no peaks
    from scipy.signal import find_peaks, peak_prominences

    padded, offset = _mirrored(y, reflect)
    peaks, _ = find_peaks(padded)
    peaks = peaks[(peaks >= offset) & (peaks < offset + len(y))]
    if len(peaks) == 0:
        return np.array([int(np.argmax(y))])
    prominence, left, right = peak_prominences(padded, peaks)
    valley = np.maximum(padded[left], padded[right])
    se = np.sqrt((padded[peaks] + valley) * R_GAUSS / (n * h))
    # excess mass: the share of the points in the bump above its valley's level
    excess = np.array(
        [
            np.clip(padded[a : b + 1] - v, 0, None).sum()
            for a, b, v in zip(left, right, valley, strict=True)
        ]
    ) * (width or 1.0)
    keep = peaks[(prominence > Z_MODE * se) & (excess >= MIN_MASS)] - offset
    if len(keep) == 0:  # a flat top: its highest point is the one mode
        keep = np.array([int(np.argmax(y))])
    return keep


def _refine(centers: np.ndarray, y: np.ndarray, i: int, reflect) -> float:
    """Position of maximum i moved to the vertex of the parabola through its neighbours;
    at a reflected edge the maximum is the edge itself."""
    width = centers[1] - centers[0]
    if i == 0 and reflect[0]:
        return float(centers[0] - width / 2)
    if i == len(y) - 1 and reflect[1]:
        return float(centers[-1] + width / 2)
    if 0 < i < len(y) - 1:
        a, b, c = y[i - 1], y[i], y[i + 1]
        denom = a - 2 * b + c
        if denom < 0:
            return float(centers[i] + 0.5 * width * (a - c) / denom)
    return float(centers[i])


def _side_height(x: np.ndarray, d: np.ndarray) -> float:
    """Intercept at x = 0 of a least-squares line through (x, d), triangular weights."""
    if len(x) < 3:
        return float(np.mean(d)) if len(d) else math.nan
    w = 1 - np.abs(x) / (np.abs(x).max() * 1.0001)
    design = np.stack([np.ones_like(x), x], axis=1) * np.sqrt(w)[:, None]
    coef, *_ = np.linalg.lstsq(design, d * np.sqrt(w), rcond=None)
    return float(coef[0])


def peak_height(centers, counts, mode: float, reach: float, boundary) -> float:
    """Density at the mode: the mean of one-sided local-linear fits from left and right
    (the inner side only at a boundary), each over `reach` of the histogram."""
    width = centers[1] - centers[0]
    dens = counts / (counts.sum() * width)
    heights = []
    for side, at_edge in ((-1, boundary[0]), (1, boundary[1])):
        if at_edge and abs(mode - (centers[0] if side < 0 else centers[-1])) <= width:
            continue
        x = (centers - mode) * side
        inside = (x >= 0) & (x <= reach)
        if inside.sum() >= 3:
            heights.append(_side_height(x[inside], dens[inside]))
    return float(np.mean(heights)) if heights else math.nan


def _crossing(centers, y, start: int, level: float, step: int) -> float | None:
    """Where y first falls below `level` walking from `start`, linearly interpolated;
    None when the grid ends first."""
    i = start
    while 0 <= i + step < len(y) and y[i + step] >= level:
        i += step
    j = i + step
    if not 0 <= j < len(y):
        return None
    frac = (y[i] - level) / (y[i] - y[j]) if y[i] != y[j] else 0.5
    return float(centers[i] + step * frac * (centers[1] - centers[0]))


def boundaries(counts: np.ndarray, width: float, h: float, at_extremes=(True, True)):
    """Which ends of the grid are support boundaries: the grid starts (ends) at the
    sample's extreme and the density within EDGE_WINDOW bandwidths of it is at least
    EDGE_DENSITY of the KDE's peak (a smooth tail there holds a handful of points instead,
    even the tail of a peak narrower than the bandwidth)."""
    y = kde(counts, width, h)
    top = float(y.max())
    cells = max(int(round(EDGE_WINDOW * h / width)), 1)
    n = max(float(counts.sum()), 1.0)
    out = []
    for at, part in zip(at_extremes, (counts[:cells], counts[-cells:]), strict=True):
        out.append(bool(at) and part.sum() / (n * cells * width) >= EDGE_DENSITY * top)
    return tuple(out)


def _quantiles(edges, counts, qs):
    cum = np.concatenate([[0], np.cumsum(counts)]) / max(counts.sum(), 1)
    return np.interp(qs, cum, edges)


def peak_estimates(edges: np.ndarray, counts: np.ndarray, sd: float, at_extremes=(True, True)):
    """Modes of a finely binned sample and, where there is one, its centre and FWHM.

    `at_extremes` says whether the grid's first (last) edge is the sample's minimum
    (maximum) or a known support boundary, so that a boundary there may be reflected.
    Returns n_modes, modes (positions, ascending), mode, center (midpoint of the half-maximum
    crossings; the mode itself on a boundary), fwhm, height, boundary ("lower", "upper",
    "both" or ""), bandwidth (Silverman's) and note (why the single-peak numbers are NaN).
    """
    edges = np.asarray(edges, dtype=np.float64)
    counts = np.asarray(counts, dtype=np.float64)
    width = float(edges[1] - edges[0])
    centers = (edges[:-1] + edges[1:]) / 2
    n = int(counts.sum())
    q1, q3 = _quantiles(edges, counts, [0.25, 0.75])
    h = silverman(max(n, 2), float(sd), float(q3 - q1) / 1.349)
    nan = math.nan
    if n < 2 or not h > 0:
        # one value (zero spread): every count sits in the grid's first cell, at its edge
        mid = float(edges[int(np.argmax(counts))])
        return _result(1, [mid], mid, mid, 0.0, nan, "", 0.0, "no spread")
    h = max(h, width)
    reflect = boundaries(counts, width, h, at_extremes)
    where = {(True, False): "lower", (False, True): "upper", (True, True): "both"}
    y = kde(counts, width, h, reflect)
    peaks = significant_peaks(y, n, h, reflect, width)
    modes = sorted(_refine(centers, y, int(i), reflect) for i in peaks)
    if len(modes) > 1:
        note = f"{len(modes)} modes: no single centre or FWHM"
        return _result(len(modes), modes, nan, nan, nan, nan, where.get(reflect, ""), h, note)
    scale = min(float(sd), float(q3 - q1) / 1.349) or float(sd)
    y_mode = kde(counts, width, max(MODE_RULE * scale * n ** (-1 / 7), width), reflect)
    top = int(np.argmax(y_mode))
    mode = _refine(centers, y_mode, top, reflect)
    height = peak_height(centers, counts, mode, HEIGHT_WINDOW * h, reflect)
    start = int(np.clip(np.searchsorted(centers, mode), 0, len(y) - 1))
    left = _crossing(centers, y, start, height / 2, -1)
    right = _crossing(centers, y, start, height / 2, 1)
    # a peak whose half-maximum reaches a reflected boundary sits on it: its centre is
    # the mode, and its width runs from the boundary
    on_edge = (left is None and reflect[0]) or (right is None and reflect[1])
    left = float(edges[0]) if left is None else left
    right = float(edges[-1]) if right is None else right
    center = mode if on_edge else _half_max_midpoint(centers, y_mode, top, left, right)
    return _result(1, [mode], mode, center, right - left, height, where.get(reflect, ""), h, "")


def _half_max_midpoint(centers, y, top: int, left: float, right: float) -> float:
    """Midpoint of the half-maximum crossings of the smoother KDE y (the mode's): equal to
    the mode for a symmetric peak and less noisy than either, because the two crossings
    move together. Falls back to the FWHM's crossings where y's run off the grid."""
    lo = _crossing(centers, y, top, y[top] / 2, -1)
    hi = _crossing(centers, y, top, y[top] / 2, 1)
    return (lo + hi) / 2 if lo is not None and hi is not None else (left + right) / 2


def _result(n_modes, modes, mode, center, fwhm, height, boundary, h, note) -> dict:
    return {
        "n_modes": int(n_modes),
        "modes": [float(m) for m in modes],
        "mode": float(mode),
        "center": float(center),
        "fwhm": float(fwhm),
        "height": float(height),
        "boundary": boundary,
        "bandwidth": float(h),
        "note": note,
    }


def format_modes(modes, digits: int = 4) -> str:
    """Mode positions as one table cell: "-0.998 1.002"."""
    return " ".join(f"{m:.{digits}g}" for m in modes)
