"""Filaments and voids against a matched-Gaussian null.

Every structure claim is put beside the same statistic on a sample of equal size from a
Gaussian with the data's mean and covariance: nearest-neighbour (NN) distances in z, the void
fraction of the PC-plane scatters at each zoom, and the TwoNN dimension. `verdicts` turns the
comparisons into one table that says, per statistic, whether the data differ from the null,
with the test, its p-value and an effect size. A verdict needs both: a p-value below `alpha`
*and* an effect beyond `min_effect`, so that a huge N does not make a negligible difference
"significant" (the tests also run on a seeded subsample of `n_test` points per side).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.covariance import ledoit_wolf
from sklearn.neighbors import NearestNeighbors

CLUSTERED = "more clustered than the null"
SPREAD = "more evenly spread than the null"
CONSISTENT = "consistent with the null"


def gaussian_sample(
    mean: np.ndarray, cov: np.ndarray, n: int, rng: np.random.Generator
) -> np.ndarray:
    """n points of N(mean, cov); works for singular covariances (data on a curve, dead units)."""
    w, v = np.linalg.eigh(cov)
    scale = np.sqrt(np.clip(w, 0.0, None))
    g = rng.standard_normal((n, len(mean)))
    return (mean + (g * scale) @ v.T).astype(np.float32)


def matched_gaussian(x: np.ndarray, seed: int, n: int | None = None) -> np.ndarray:
    """The null: as many points as x (or n) from a Gaussian with x's mean and covariance.

    The covariance is the Ledoit-Wolf estimate: a plain sample covariance spreads the
    eigenvalues (Marchenko-Pastur) when n is not much larger than z_dim, which makes the null
    more anisotropic than the data's source, so that even a true Gaussian sample would look
    different from its own null. With n >> z_dim both estimates agree.
    """
    x = np.asarray(x, dtype=np.float64)
    cov, _ = ledoit_wolf(x)
    return gaussian_sample(
        x.mean(axis=0), cov, len(x) if n is None else n, np.random.default_rng(seed)
    )


def knn_distances(x: np.ndarray, k: int, n_jobs: int = 1) -> np.ndarray:
    """(n, k) distances of each point to its k nearest *other* points, ascending."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    nn = NearestNeighbors(n_neighbors=k, n_jobs=n_jobs).fit(x)
    return nn.kneighbors(return_distance=True)[0].astype(np.float64)


def _pick(n: int, n_test: int, rng: np.random.Generator) -> np.ndarray:
    return np.arange(n) if n <= n_test else rng.choice(n, n_test, replace=False)


def _verdict(significant: bool, effect: float, low: float, high: float, labels) -> str:
    if significant and effect < low:
        return labels[0]
    if significant and effect > high:
        return labels[1]
    return CONSISTENT


def nn_distance_tests(
    d_data: np.ndarray,
    d_null: np.ndarray,
    n_test: int,
    alpha: float,
    min_effect: float,
    seed: int,
) -> list[dict]:
    """Mann-Whitney U and KS two-sample tests of NN distances, data against null.

    Effect size: ratio of the median NN distances (data / null); below 1 - min_effect with a
    significant Mann-Whitney test means the data crowd together more than the null does.
    """
    rng = np.random.default_rng(seed)
    a = d_data[_pick(len(d_data), n_test, rng)]
    b = d_null[_pick(len(d_null), n_test, rng)]
    ratio = float(np.median(d_data) / np.median(d_null))
    mw = stats.mannwhitneyu(a, b, alternative="two-sided")
    ks = stats.ks_2samp(a, b)
    common = {
        "data_value": float(np.median(d_data)),
        "null_value": float(np.median(d_null)),
        "n_test": int(min(len(a), len(b))),
        "alpha": alpha,
    }
    labels = (CLUSTERED, SPREAD)
    rows = []
    for test, res, extra in (
        ("Mann-Whitney U, two-sided", mw, {"auc": float(mw.statistic / (len(a) * len(b)))}),
        ("two-sample Kolmogorov-Smirnov", ks, {"ks_d": float(ks.statistic)}),
    ):
        significant = bool(res.pvalue < alpha)
        rows.append(
            {
                "statistic": "nn_distance_median",
                "detail": "all points",
                "test": test,
                **common,
                "effect_name": "median ratio data/null",
                "effect_size": ratio,
                "p_value": float(res.pvalue),
                "significant": significant,
                "verdict": _verdict(significant, ratio, 1 - min_effect, 1 + min_effect, labels),
                **extra,
            }
        )
    return rows


def twonn_log_ratios(d: np.ndarray) -> np.ndarray:
    """log(r2 / r1) per point from its two NN distances (points with r1 = 0 dropped)."""
    r1, r2 = d[:, 0], d[:, 1]
    keep = r1 > 0
    return np.log(r2[keep] / r1[keep])


def twonn_test(
    d_data: np.ndarray,
    d_null: np.ndarray,
    n_test: int,
    alpha: float,
    min_effect: float,
    seed: int,
) -> dict:
    """TwoNN dimension of data against null, with an exact F-test.

    log(r2/r1) is exponential with rate d (Facco et al. 2017), so the ratio of two sample
    means of m and n values follows F(2m, 2n) when both dimensions are equal.
    """
    rng = np.random.default_rng(seed + 1)
    la, lb = twonn_log_ratios(d_data), twonn_log_ratios(d_null)
    dim_a, dim_b = (len(la) - 1) / la.sum(), (len(lb) - 1) / lb.sum()
    a = la[_pick(len(la), n_test, rng)]
    b = lb[_pick(len(lb), n_test, rng)]
    f = a.mean() / b.mean()
    cdf = stats.f.cdf(f, 2 * len(a), 2 * len(b))
    p = float(min(1.0, 2 * min(cdf, 1 - cdf)))
    ratio = float(dim_a / dim_b)
    significant = bool(p < alpha)
    return {
        "statistic": "twonn_dimension",
        "detail": "all points",
        "test": "F-test of exponential rates",
        "data_value": float(dim_a),
        "null_value": float(dim_b),
        "n_test": int(min(len(a), len(b))),
        "alpha": alpha,
        "effect_name": "dimension ratio data/null",
        "effect_size": ratio,
        "p_value": p,
        "significant": significant,
        "verdict": _verdict(
            significant,
            ratio,
            1 - min_effect,
            1 + min_effect,
            ("lower-dimensional than the null", "higher-dimensional than the null"),
        ),
    }


# -- void fraction of PC-plane scatters ------------------------------------------------------


def window_half(xy: np.ndarray, zoom: float | None) -> float:
    """Half side of the square window around 0: zoom / 2, or the data's extent (full view)."""
    if zoom is not None:
        return zoom / 2
    return float(np.abs(xy).max()) or 1.0


def void_fraction(xy: np.ndarray, half: float, grid: int) -> float:
    """Share of the grid x grid cells of the square [-half, half]^2 that hold no point."""
    counts, _, _ = np.histogram2d(
        xy[:, 0], xy[:, 1], bins=grid, range=[[-half, half], [-half, half]]
    )
    return float((counts == 0).mean())


def void_table(planes: dict[str, np.ndarray], zooms, grid: int, n_replicates: int, seed: int):
    """Void fraction of each 2-D scatter (e.g. a PC plane) at each zoom, against nulls.

    The matched Gaussian's projection on a plane is the Gaussian matched to the projected
    points (same mean, same 2x2 covariance), so each of `n_replicates` nulls draws as many
    2-D points as the plane has. p_value: one-sided (more voids than the null), from the
    z-score over the replicates; p_monte_carlo: the rank of the data among the replicates.
    Returns a DataFrame, one row per plane and zoom.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for label, xy in planes.items():
        xy = np.asarray(xy, dtype=np.float64)
        mean, cov = xy.mean(axis=0), np.cov(xy, rowvar=False, bias=True)
        halves = [window_half(xy, zoom) for zoom in zooms]
        null = np.empty((n_replicates, len(zooms)))
        for r in range(n_replicates):
            g = gaussian_sample(mean, cov, len(xy), rng)
            null[r] = [void_fraction(g, h, grid) for h in halves]
        for j, (zoom, half) in enumerate(zip(zooms, halves, strict=True)):
            data = void_fraction(xy, half, grid)
            mu, spread = float(null[:, j].mean()), float(null[:, j].std(ddof=1))
            if spread > 0:
                z = (data - mu) / spread
                p = float(stats.norm.sf(z))
            else:
                z = 0.0 if data == mu else float(np.sign(data - mu) * np.inf)
                p = 1.0 if data <= mu else 0.0
            rows.append(
                {
                    "plane": label,
                    "zoom": "full" if zoom is None else zoom,
                    "half_side": half,
                    "grid": grid,
                    "n_inside": int((np.abs(xy) <= half).all(axis=1).sum()),
                    "void_data": data,
                    "void_null_mean": mu,
                    "void_null_sd": spread,
                    "excess": data - mu,
                    "z_score": z,
                    "p_value": p,
                    "p_monte_carlo": float((1 + (null[:, j] >= data).sum()) / (1 + n_replicates)),
                }
            )
    return pd.DataFrame(rows)


def void_verdicts(table: pd.DataFrame, alpha: float, min_effect: float) -> list[dict]:
    """One verdict per plane and zoom; Bonferroni over all of them (m tests, alpha / m)."""
    m = max(len(table), 1)
    rows = []
    for _, r in table.iterrows():
        p = min(1.0, r["p_value"] * m)
        significant = bool(p < alpha)
        rows.append(
            {
                "statistic": "void_fraction",
                "detail": f"{r['plane']} zoom {r['zoom']}",
                "test": f"z-score over null replicates, Bonferroni x{m}",
                "data_value": r["void_data"],
                "null_value": r["void_null_mean"],
                "n_test": int(r["n_inside"]),
                "alpha": alpha,
                "effect_name": "void excess data-null",
                "effect_size": r["excess"],
                "p_value": p,
                "significant": significant,
                "verdict": "more voids than the null"
                if significant and r["excess"] > min_effect
                else CONSISTENT,
            }
        )
    return rows


def verdicts(model: str, rows: list[dict]) -> pd.DataFrame:
    """The verdict table; its last row, `overall`, restates the primary (Mann-Whitney) test."""
    table = pd.DataFrame(rows)
    primary = table[
        (table["statistic"] == "nn_distance_median") & table["test"].str.startswith("Mann")
    ].iloc[0]
    voids = table[table["statistic"] == "void_fraction"]
    n_void = int((voids["verdict"] != CONSISTENT).sum())
    overall = primary.to_dict()
    overall.update(
        {
            "statistic": "overall",
            "detail": f"primary test: NN distances; {n_void} of {len(voids)} void tests beyond "
            "the null",
            "verdict": primary["verdict"],
        }
    )
    table = pd.concat([table, pd.DataFrame([overall])], ignore_index=True)
    table.insert(0, "model", model)
    keep = [
        "model",
        "statistic",
        "detail",
        "test",
        "data_value",
        "null_value",
        "effect_name",
        "effect_size",
        "p_value",
        "alpha",
        "n_test",
        "significant",
        "verdict",
    ]
    return table[keep]


def nn_histograms(d_data: np.ndarray, d_null: np.ndarray, bins: int = 60) -> pd.DataFrame:
    """NN-distance histograms of data and null on shared bins (the figure's numbers)."""
    edges = np.histogram_bin_edges(np.concatenate([d_data, d_null]), bins=bins)
    return pd.DataFrame(
        {
            "left": edges[:-1],
            "right": edges[1:],
            "count_data": np.histogram(d_data, edges)[0],
            "count_null": np.histogram(d_null, edges)[0],
        }
    )
