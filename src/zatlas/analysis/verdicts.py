"""Calibrated structure verdicts, each named for the null it rejects.

| verdict (statistic)   | null                          | test                              |
|-----------------------|-------------------------------|-----------------------------------|
| radii_not_gaussian    | matched Gaussian              | KS of Mahalanobis radii vs exact  |
| not_gaussian_nn       | matched Gaussian              | Mann-Whitney of NN distances      |
| clumping              | elliptical (radial profile)   | Mann-Whitney of NN distances      |
| holes (per window)    | smoothed marginal of the plane| Monte Carlo, enclosed empty cells |

Neighbour distances (to the `nn_k`-th nearest other point) are measured in the data's top
`nn_dims` principal components, whitened: with the sample covariance against the matched
Gaussian, with Tyler's robust shape against the elliptical null (see `nn_samples`). Filaments
and clusters live in the leading PCs, where 251 noise dimensions do not drown them. Only
`test_points` seeded query points per side (at most a quarter of the sample) are compared,
each against all points of its sample, so that the test's independence assumption nearly
holds. Only the clumping verdict against the elliptical null can speak of filaments or
clusters: heavy tails and shells are elliptical and pass it.

Every p-value is Bonferroni-corrected for all m tests of the table (`n_tests`), and a
verdict also needs an effect beyond its minimum (the calibration benchmark,
benchmarks/structure_calibration.py, shows these minima keep false positives at or below
alpha on structureless clouds). Monte Carlo tests draw at least 2 m / alpha replicates, so
that their smallest p-value, 1 / (1 + B), can pass the corrected level.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.neighbors import NearestNeighbors

from zatlas.analysis import nulls, pca, voids

CONSISTENT = "consistent with the null"
LABELS = {
    "radii_not_gaussian": ("radii not Gaussian", "radii not Gaussian"),
    "not_gaussian_nn": (
        "NN distances shorter than a Gaussian's (anything non-Gaussian)",
        "NN distances longer than a Gaussian's (anything non-Gaussian)",
    ),
    "clumping": (
        "structure beyond the radial profile and covariance (clumping: filaments/clusters)",
        "more evenly spread than the elliptical null",
    ),
}


@dataclass(frozen=True)
class VerdictSettings:
    alpha: float = 0.01
    nn_dims: int = 5
    nn_k: int = 20
    test_points: int = 2000
    min_nn_effect: float = 0.035
    min_radius_ks: float = 0.05
    grid: int = 40
    bandwidth: float = 0.5
    min_expected: float = 3.0
    min_void_share: float = 0.02
    null_replicates: int = 0

    def replicates(self, n_tests: int) -> int:
        return max(self.null_replicates, math.ceil(2 * n_tests / self.alpha))


def top_pc_scores(x: np.ndarray, k: int, rel_floor: float = 1e-9) -> np.ndarray:
    """Centred scores on the sample's k largest principal components (at most as many as
    the covariance has eigenvalues above `rel_floor` x the largest)."""
    mean, values, vectors = pca.principal_axes(x)
    k = min(k, int((values > rel_floor * max(float(values[0]), 1e-300)).sum()))
    return (np.asarray(x, dtype=np.float64) - mean) @ vectors[:, :k]


def nn_samples(y: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """Data and both nulls in the coordinates where NN distances are compared.

    y: the data's top-PC scores. `gaussian`: the data whitened with its sample covariance,
    beside N(0, I). `elliptical`: the data whitened with Tyler's shape, beside its own
    Mahalanobis radii on uniform random directions. Tyler's shape rather than the sample
    covariance: a heavy-tailed sample's covariance is stretched along its few most extreme
    points, and a null built on it would differ from an elliptical cloud's own sample.
    """
    rng = np.random.default_rng(seed)
    plain = nulls.Whitening(y).whiten(y)
    robust = nulls.Whitening(y, scatter=nulls.tyler_shape(y)).whiten(y)
    radii = np.linalg.norm(robust, axis=1, keepdims=True)
    u = rng.standard_normal(robust.shape)
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    return {
        "data_plain": plain,
        "gaussian": rng.standard_normal(plain.shape),
        "data_robust": robust,
        "elliptical": radii * u,
    }


def query_nn_distances(
    points: np.ndarray, n_queries: int, k: int, rng: np.random.Generator
) -> np.ndarray:
    """Distance of n_queries random points to their k-th nearest other point of `points`."""
    points = np.ascontiguousarray(points, dtype=np.float64)
    q = rng.choice(len(points), min(n_queries, len(points)), replace=False)
    k = min(k, len(points) - 1)  # a tiny subset: its farthest neighbour
    nn = NearestNeighbors(n_neighbors=k + 1).fit(points)
    return nn.kneighbors(points[q], return_distance=True)[0][:, k]


def radius_row(x: np.ndarray, s: VerdictSettings) -> dict:
    """Mahalanobis radii of the data against their exact distribution for a Gaussian sample."""
    r, p = nulls.mahalanobis_radii(x)
    n = len(x)
    ks = stats.kstest(r**2, lambda v: nulls.gaussian_radius_cdf(v, n, p))
    return {
        "statistic": "radii_not_gaussian",
        "null": "matched Gaussian",
        "detail": f"Mahalanobis radii in {p} dimensions (values: their sd)",
        "test": "one-sample Kolmogorov-Smirnov against the exact Beta law",
        "data_value": float(np.std(r)),
        "null_value": float(stats.chi(p).std()),
        "effect_name": "KS distance",
        "effect_size": float(ks.statistic),
        "min_effect": s.min_radius_ks,
        "p_raw": float(ks.pvalue),
        "n_test": n,
        "direction": 0,
    }


def nn_row(name: str, null_name: str, d_data, d_null, s: VerdictSettings) -> dict:
    mw = stats.mannwhitneyu(d_data, d_null, alternative="two-sided")
    ratio = float(np.median(d_data) / np.median(d_null))
    return {
        "statistic": name,
        "null": null_name,
        "detail": f"distance to the {s.nn_k}th neighbour in the top {s.nn_dims} PCs, whitened",
        "test": "Mann-Whitney U, two-sided",
        "data_value": float(np.median(d_data)),
        "null_value": float(np.median(d_null)),
        "effect_name": "median NN distance ratio data/null",
        "effect_size": ratio,
        "min_effect": s.min_nn_effect,
        "p_raw": float(mw.pvalue),
        "n_test": int(min(len(d_data), len(d_null))),
        "direction": -1 if ratio < 1 else 1,
    }


def _judge(row: dict, m: int, alpha: float) -> dict:
    p = min(1.0, row["p_raw"] * m)
    significant = bool(p < alpha)
    name = row["statistic"]
    if name == "holes":
        big = row["effect_size"] >= row["min_effect"]
        verdict = f"holes inside the support of {row['plane']}" if significant and big else None
    elif name == "radii_not_gaussian":
        big = row["effect_size"] >= row["min_effect"]
        verdict = LABELS[name][0] if significant and big else None
    else:
        big = abs(row["effect_size"] - 1) >= row["min_effect"]
        verdict = LABELS[name][0 if row["direction"] < 0 else 1] if significant and big else None
    return {
        **row,
        "p_value": p,
        "alpha": alpha,
        "n_tests": m,
        "significant": significant,
        "verdict": verdict or CONSISTENT,
    }


def structure_verdicts(
    x: np.ndarray, planes: dict[str, np.ndarray], zooms, s: VerdictSettings, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """The verdict table, the void table, and the NN distances (for the figure).

    x: the (sub)sample of points in z; planes: 2-D projections of the points (e.g. PC
    planes, possibly of more points than x) whose voids are tested at every zoom.
    """
    rng = np.random.default_rng(seed)
    m = 3 + len(planes) * len(zooms)
    x = np.asarray(x, dtype=np.float64)
    samples = nn_samples(top_pc_scores(x, s.nn_dims), seed + 1)
    n_queries = min(s.test_points, len(x) // 4)
    d = {k: query_nn_distances(v, n_queries, s.nn_k, rng) for k, v in samples.items()}
    rows = [
        radius_row(x, s),
        nn_row("not_gaussian_nn", "matched Gaussian", d["data_plain"], d["gaussian"], s),
        nn_row(
            "clumping", "elliptical (radial profile kept)", d["data_robust"], d["elliptical"], s
        ),
    ]
    table = voids.void_table(
        planes, zooms, s.grid, s.bandwidth, s.min_expected, s.replicates(m), seed + 3
    )
    for _, v in table.iterrows():
        rows.append(
            {
                "statistic": "holes",
                "null": f"smoothed marginal (bandwidth {s.bandwidth:g} sd)",
                "plane": v["plane"],
                "detail": f"{v['plane']} zoom {v['zoom']}",
                "test": f"Monte Carlo, {v['replicates']} replicates, enclosed empty cells",
                "data_value": float(v["voids_data"]),
                "null_value": float(v["voids_null_mean"]),
                "effect_name": "excess void cells / eligible cells",
                "effect_size": float(v["excess_share"]),
                "min_effect": s.min_void_share,
                "p_raw": float(v["p_monte_carlo"]),
                "n_test": int(v["n_inside"]),
                "direction": 1,
            }
        )
    judged = pd.DataFrame([_judge(r, m, s.alpha) for r in rows])
    keep = [
        "statistic",
        "null",
        "detail",
        "test",
        "data_value",
        "null_value",
        "effect_name",
        "effect_size",
        "min_effect",
        "p_raw",
        "p_value",
        "alpha",
        "n_tests",
        "n_test",
        "significant",
        "verdict",
    ]
    return judged[keep], table, d


def nn_histograms(d: dict[str, np.ndarray]) -> pd.DataFrame:
    """Histograms of the k-th-neighbour distances of data and both nulls on shared bins."""
    bins = int(np.clip(np.sqrt(min(map(len, d.values()))), 10, 60))
    edges = np.histogram_bin_edges(np.concatenate(list(d.values())), bins=bins)
    out = pd.DataFrame({"left": edges[:-1], "right": edges[1:]})
    for name, values in d.items():
        out[f"count_{name}"] = np.histogram(values, edges)[0]
    return out


def with_overall(table: pd.DataFrame) -> pd.DataFrame:
    """The table with a last row, `overall`, that says in one line what was found."""
    fired = table[table["verdict"] != CONSISTENT]
    holes = table[table["statistic"] == "holes"]
    n_holes = int((holes["verdict"] != CONSISTENT).sum())
    found = [v for v in dict.fromkeys(fired.loc[fired["statistic"] != "holes", "verdict"])]
    if n_holes:
        found.append(f"holes in {n_holes} of {len(holes)} PC-plane windows")
    overall = {
        "statistic": "overall",
        "null": "all of the above",
        "detail": f"{len(table)} tests, Bonferroni-corrected",
        "test": "see the rows above",
        "alpha": table["alpha"].iloc[0],
        "n_tests": len(table),
        "p_value": float(table["p_value"].min()),
        "significant": bool(table["significant"].any()),
        "verdict": "; ".join(found) if found else CONSISTENT,
    }
    return pd.concat([table, pd.DataFrame([overall])], ignore_index=True)


def summary(table: pd.DataFrame) -> dict:
    """The verdict table in a few numbers (for summary.json)."""
    by = table.drop_duplicates("statistic").set_index("statistic")
    holes = table[table["statistic"] == "holes"]
    out = {
        "verdict": str(by.loc["overall", "verdict"]) if "overall" in by.index else None,
        "n_tests": int(table["n_tests"].iloc[0]),
        "alpha": float(table["alpha"].iloc[0]),
        "n_void_tests": int(len(holes)),
        "n_void_beyond_null": int((holes["verdict"] != CONSISTENT).sum()),
    }
    for name in ("radii_not_gaussian", "not_gaussian_nn", "clumping"):
        if name in by.index:
            out[f"{name}_verdict"] = str(by.loc[name, "verdict"])
            out[f"{name}_effect"] = float(by.loc[name, "effect_size"])
            out[f"{name}_p_value"] = float(by.loc[name, "p_value"])
    return out
