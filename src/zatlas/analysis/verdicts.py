"""Calibrated structure verdicts, a hierarchy of nulls each removing one explanation.

| verdict (statistic) | null                                | test                             |
|---------------------|-------------------------------------|----------------------------------|
| radii_not_gaussian  | matched Gaussian                    | KS of Mahalanobis radii vs exact |
| not_gaussian_nn     | matched Gaussian                    | Mann-Whitney of NN distances     |
| not_elliptical      | elliptical (radial profile kept)    | Mann-Whitney of NN distances     |
| clumping (per rank) | smoothed data (large-scale shape)   | Mann-Whitney of r-th NN distances|
| holes (per window)  | smoothed marginal of the plane      | Monte Carlo, largest hole        |

Not Gaussian -> not elliptical (a SHAPE finding: a box, crossed broad Gaussians and
independent Laplace coordinates are not elliptical and have no filament or cluster) ->
clumped at small scale. Only the last speaks of filaments or clusters. Neighbour tests live
in the robust top `nn_dims` principal components (see `clumping`); the clumping test looks
at several neighbour ranks among all points and reports the first rank where it fires.

Every p-value is Bonferroni-corrected for all m tests of the table (`n_tests`), and a
verdict also needs an effect beyond its minimum; benchmarks/structure_calibration.py runs
`judge_latents`, the very function the stage calls, on structureless and planted clouds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial import cKDTree

from zatlas.analysis import clumping, holes, nulls
from zatlas.analysis.findings import ordinal, profile_table, summary, with_overall
from zatlas.analysis.scale import lengths
from zatlas.analysis.subsample import subset

__all__ = [
    "CLUMPED", "CONSISTENT", "LABELS", "VerdictSettings", "judge_latents", "profile_table",
    "summary", "with_overall",
]  # fmt: skip

CONSISTENT = "consistent with the null"
CLUMPED = "clumped at small scale (filaments or clusters)"
LABELS = {
    "radii_not_gaussian": ("radii not Gaussian", "radii not Gaussian"),
    "not_gaussian_nn": (
        "NN distances shorter than a Gaussian's (anything non-Gaussian)",
        "NN distances longer than a Gaussian's (anything non-Gaussian)",
    ),
    "not_elliptical": (
        "shape not elliptical (a shape finding, not filaments or clusters)",
        "shape not elliptical (more evenly spread than the elliptical null)",
    ),
    "clumping": (CLUMPED, "more evenly spread at small scale than the smoothed data"),
}


@dataclass(frozen=True)
class VerdictSettings:
    alpha: float = 0.01
    nn_dims: int = 5
    nn_k: int = 20
    test_points: int = 2000
    min_nn_effect: float = 0.035
    min_radius_ks: float = 0.05
    clump_ranks: tuple = (1, 2, 4, 8, 16, 32, 64)
    clump_bandwidth: float = 0.3
    min_clump_effect: float = 0.1
    grid: int = 40
    bandwidth: float = 0.5
    min_expected: float = 3.0
    min_hole_expected: float = 25.0
    window_quantile: float = 0.99
    null_replicates: int = 50

    def replicates(self, n_tests: int) -> int:
        return max(self.null_replicates, math.ceil(2 * n_tests / self.alpha))

    @classmethod
    def from_config(cls, block: Mapping) -> VerdictSettings:
        """The settings among the keys of analysis.structure (others are ignored)."""
        names = {f.name for f in fields(cls)}
        kw = {k: v for k, v in block.items() if k in names}
        if "clump_ranks" in kw:
            kw["clump_ranks"] = tuple(int(r) for r in kw["clump_ranks"])
        return cls(**kw)


def nn_samples(y: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """The subset's top-PC scores y, and both nulls, where NN distances are compared.

    `gaussian`: y whitened with its sample covariance beside N(0, I). `elliptical`: y
    whitened with Tyler's shape beside its own Mahalanobis radii on uniform random
    directions (Tyler's, not the covariance: a heavy-tailed sample's covariance is stretched
    along its few most extreme points)."""
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


def query_nn_distances(points, n_queries: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """Distance of n_queries random points to their k-th nearest other point of `points`."""
    points = np.ascontiguousarray(points, dtype=np.float64)
    q = rng.choice(len(points), min(n_queries, len(points)), replace=False)
    k = min(k, len(points) - 1)  # a tiny subset: its farthest neighbour
    return cKDTree(points).query(points[q], k=k + 1)[0].reshape(len(q), -1)[:, k]


def radius_row(x: np.ndarray, s: VerdictSettings) -> dict:
    """Mahalanobis radii of the data against their exact distribution for a Gaussian sample."""
    r, p = nulls.mahalanobis_radii(x)
    ks = stats.kstest(r**2, lambda v: nulls.gaussian_radius_cdf(v, len(x), p))
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
        "n_test": len(x),
        "direction": 0,
    }


def nn_row(name: str, null_name: str, d_data, d_null, s: VerdictSettings) -> dict:
    ratio = float(np.median(d_data) / np.median(d_null))
    return {
        "statistic": name,
        "null": null_name,
        "detail": f"distance to the {ordinal(s.nn_k)} neighbour in the robust top {s.nn_dims} PCs",
        "test": "Mann-Whitney U, two-sided",
        "data_value": float(np.median(d_data)),
        "null_value": float(np.median(d_null)),
        "effect_name": "median NN distance ratio data/null",
        "effect_size": ratio,
        "min_effect": s.min_nn_effect,
        "p_raw": float(stats.mannwhitneyu(d_data, d_null, alternative="two-sided").pvalue),
        "n_test": int(min(len(d_data), len(d_null))),
        "direction": -1 if ratio < 1 else 1,
    }


def hole_rows(table: pd.DataFrame, s: VerdictSettings) -> list[dict]:
    return [
        {
            "statistic": "holes",
            "null": f"smoothed marginal (bandwidth {s.bandwidth:g} robust sd)",
            "plane": v["plane"],
            "detail": f"{v['plane']} zoom {v['zoom']}",
            "test": f"Monte Carlo, {v['replicates']} replicates, largest enclosed hole",
            "data_value": float(v["hole_area"]),
            "null_value": float(v["null_mean"]),
            "effect_name": "points the null expects in the largest hole",
            "effect_size": float(v["hole_expected"]),
            "min_effect": s.min_hole_expected,
            "p_raw": float(v["p_monte_carlo"]),
            "n_test": int(v["n_inside"]),
            "direction": 1,
        }
        for _, v in table.iterrows()
    ]


def _judge(row: dict, m: int, alpha: float) -> dict:
    p = min(1.0, row["p_raw"] * m)
    name = row["statistic"]
    if name in ("holes", "radii_not_gaussian"):
        big = row["effect_size"] >= row["min_effect"]
    else:
        big = abs(row["effect_size"] - 1) >= row["min_effect"]
    fired = bool(p < alpha and big)
    if not fired:
        verdict = CONSISTENT
    elif name == "holes":
        verdict = f"holes inside the support of {row['plane']}"
    else:
        verdict = LABELS[name][0 if row["direction"] <= 0 else 1]
    return {**row, "p_value": p, "alpha": alpha, "n_tests": m, "significant": p < alpha,
            "fired": fired, "verdict": verdict}  # fmt: skip


KEEP = [
    "statistic", "null", "detail", "test", "rank", "data_value", "null_value", "effect_name",
    "effect_size", "min_effect", "p_raw", "p_value", "alpha", "n_tests", "n_test",
    "significant", "direction", "fired", "verdict",
]  # fmt: skip


def judge_latents(
    zs, s: VerdictSettings, planes, zooms, scale: str, max_points: int, seed: int, workers=1
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """What the structure stage concludes about the latents zs (every row; a memory map is
    read in blocks): the verdict table (with its `overall` row), the hole table, and the
    neighbour distances behind the tests.

    The radius and shape tests use a seeded subset of `max_points` rows; the robust axes
    come from that subset; the clumping and hole tests use every row, projected."""
    x = np.asarray(zs[subset(len(zs), max_points, seed)], dtype=np.float64)
    axes = clumping.RobustAxes(x)
    n_comp = max(max(max(p) for p in planes), s.nn_dims)
    scores = axes.scores(zs, n_comp)
    planes_xy = {
        f"PC{a}/PC{b}": scores[:, [a - 1, b - 1]] for a, b in planes if max(a, b) <= axes.rank
    }
    # zoom windows in the data's robust unit (median per-axis robust sd): outliers do not
    # stretch them
    sides = lengths(zooms, scale, holes.robust_sd(x))
    k = min(s.nn_dims, axes.rank)
    y_all = scores[:, :k] / np.sqrt(axes.values[:k]).astype(np.float32)
    y_sub = axes.scores(x, k).astype(np.float64)

    m = 3 + len(s.clump_ranks) + len(planes_xy) * len(sides)
    rng = np.random.default_rng(seed + 1)
    samples = nn_samples(y_sub, seed + 2)
    n_q = min(s.test_points, len(x) // 4)
    d = {name: query_nn_distances(v, n_q, s.nn_k, rng) for name, v in samples.items()}
    n_clump = min(s.test_points, len(y_all) // 4)
    dc = clumping.clumping_distances(
        y_all, s.clump_ranks, s.clump_bandwidth, n_clump, seed + 3, workers
    )
    rows = [
        radius_row(x, s),
        nn_row("not_gaussian_nn", "matched Gaussian", d["data_plain"], d["gaussian"], s),
        nn_row(
            "not_elliptical",
            "elliptical (radial profile kept)",
            d["data_robust"],
            d["elliptical"],
            s,
        ),  # fmt: skip
        *clumping.clumping_rows(dc, s.clump_ranks, s.clump_bandwidth, s.min_clump_effect),
    ]
    table = holes.hole_table(
        planes_xy, sides, s.grid, s.bandwidth, s.min_expected, s.min_hole_expected,
        s.replicates(m), s.window_quantile, seed + 4,
    )  # fmt: skip
    rows += hole_rows(table, s)
    judged = pd.DataFrame([_judge(r, m, s.alpha) for r in rows]).reindex(columns=KEEP)
    return with_overall(judged), table, {**d, "clumping": dc, "trimmed": axes.n_trimmed}
