"""Calibration of the structure verdicts: false positives and power over many seeds.

Structureless clouds (no filament, cluster or hole anywhere) and clouds with planted
structure, in 256 dimensions. Every cloud is judged with the verdicts of
zatlas.analysis.verdicts (default settings; voids on the PC1/PC2, PC1/PC3 and PC2/PC3
planes at the full view), and the script prints, per verdict, the share of seeds on which
it fired: a false-positive rate where the cloud does not have what the verdict names, a
power where it does ("-" where either answer is right, e.g. "radii not Gaussian" on a flat
disk whose 2 of 256 coordinates are not Gaussian). Each cloud's table holds m = 6 tests
(3 on the whole cloud, 3 void tests), so every p-value is multiplied by 6 and the void
tests draw 1,200 replicates; the study's own tables (3 + planes x zooms tests) correct for
more tests, which only lowers the false-positive rate.

    python benchmarks/structure_calibration.py                  # 5,000 and 20,000 points, 20 seeds
    python benchmarks/structure_calibration.py --quick          # 5,000 points, 5 seeds
    python benchmarks/structure_calibration.py --csv out.csv    # the rates' CSV elsewhere

Clouds (all 256-d; "noise" coordinates N(0, 1)):
  gauss_iso      N(0, I)
  gauss_aniso    N(0, C), C with eigenvalues log-spaced 3^2 .. 0.3^2 on random axes
  t5             multivariate t with 5 degrees of freedom (elliptical, heavy-tailed radii)
  ball           uniform in a ball of radius 16
  disk           coordinates 1-2 uniform in a disk of radius 6 (PC1/PC2), the rest N(0, 1)
  filaments      coordinates 1-4 on 6 random segments of length 12 (sd 0.3 across them)
  hole           coordinates 1-2 N(0, diag(3^2, 2.5^2)) with no point inside 0.75 sd
  tight_clusters coordinates 1-4 in 10 clusters (sd 0.3) with centres N(0, 3^2)
  broad_clusters coordinates 1-3 in 4 overlapping clusters (sd 1, the noise's) at the
                 corners of a regular simplex of edge SEPARATION (the hard case)
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time

import numpy as np

DIM = 256
SEPARATION = 4.0
PLANES = ((1, 2), (1, 3), (2, 3))

# truth per cloud: which verdicts should fire (True), must not (False), either (None)
VERDICTS = ("radii_not_gaussian", "not_gaussian_nn", "clumping", "holes")
TRUTH = {
    "gauss_iso": (False, False, False, False),
    "gauss_aniso": (False, False, False, False),
    "t5": (True, None, False, False),
    "ball": (True, None, False, False),
    "disk": (None, None, False, False),
    "filaments": (None, True, True, None),
    "hole": (None, None, None, True),
    "tight_clusters": (None, True, True, None),
    "broad_clusters": (None, True, True, None),
}


def _rotation(rng: np.random.Generator) -> np.ndarray:
    return np.linalg.qr(rng.standard_normal((DIM, DIM)))[0]


def cloud(name: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """n points of the named cloud (see the module docstring)."""
    g = rng.standard_normal((n, DIM))
    if name == "gauss_iso":
        return g
    if name == "gauss_aniso":
        return (g * np.geomspace(3, 0.3, DIM)) @ _rotation(rng).T
    if name == "t5":
        return g / np.sqrt(rng.chisquare(5, (n, 1)) / 5)
    if name == "ball":
        return (
            16
            * g
            / np.linalg.norm(g, axis=1, keepdims=True)
            * rng.uniform(0, 1, (n, 1)) ** (1 / DIM)
        )
    if name == "disk":
        r, a = 6 * np.sqrt(rng.uniform(0, 1, n)), rng.uniform(0, 2 * np.pi, n)
        g[:, 0], g[:, 1] = r * np.cos(a), r * np.sin(a)
        return g
    if name == "filaments":
        centres = rng.normal(0, 1.5, (6, 4))
        dirs = rng.standard_normal((6, 4))
        dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
        k = rng.integers(0, 6, n)
        t = rng.uniform(-6, 6, (n, 1))
        g[:, :4] = centres[k] + t * dirs[k] + 0.3 * rng.standard_normal((n, 4))
        return g
    if name == "hole":
        out = np.empty((0, 2))
        while len(out) < n:
            p = rng.standard_normal((2 * n, 2))
            out = np.concatenate([out, p[np.hypot(p[:, 0], p[:, 1]) > 0.75]])
        g[:, :2] = out[:n] * [3.0, 2.5]
        return g
    if name == "tight_clusters":
        centres = rng.normal(0, 3, (10, 4))
        g[:, :4] = centres[rng.integers(0, 10, n)] + 0.3 * rng.standard_normal((n, 4))
        return g
    if name == "broad_clusters":
        simplex = np.eye(4) - 0.25  # 4 points, pairwise distance sqrt(2), in a 3-d subspace
        basis = np.linalg.svd(simplex)[2][:3]
        corners = simplex @ basis.T * SEPARATION / np.sqrt(2)
        g[:, :3] += corners[rng.integers(0, 4, n)]
        return g
    raise ValueError(f"unknown cloud {name!r}")


def pc_planes(x: np.ndarray) -> dict[str, np.ndarray]:
    centred = x - x.mean(axis=0)
    w, v = np.linalg.eigh(centred.T @ centred)
    scores = centred @ v[:, ::-1][:, :3]
    return {f"PC{a}/PC{b}": scores[:, [a - 1, b - 1]] for a, b in PLANES}


def evaluate(name: str, n: int, seed: int, trials: list | None = None) -> dict[str, bool]:
    """Which verdicts fire on one cloud; each test's row is appended to `trials`."""
    from zatlas.analysis.verdicts import CONSISTENT, VerdictSettings, structure_verdicts

    x = cloud(name, n, np.random.default_rng(seed))
    table, _, _ = structure_verdicts(x, pc_planes(x), [None], VerdictSettings(), seed)
    if trials is not None:
        cols = ["statistic", "detail", "effect_size", "p_value", "verdict"]
        trials += [
            {"cloud": name, "n": n, "seed": seed, **r} for r in table[cols].to_dict("records")
        ]
    fired = table["verdict"] != CONSISTENT
    return {v: bool(fired[table["statistic"] == v].any()) for v in VERDICTS}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="5,000 points and 5 seeds only")
    ap.add_argument("--sizes", type=int, nargs="+", default=[5000, 20000])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument(
        "--first-seed", type=int, default=0, help="seeds first-seed .. first-seed + seeds - 1"
    )
    ap.add_argument("--clouds", nargs="+", default=list(TRUTH))
    ap.add_argument(
        "--csv",
        default="results/benchmarks/structure_calibration.csv",
        help="write the rates to this CSV file (default: %(default)s)",
    )
    ap.add_argument("--trials", help="write every test of every cloud to this CSV file")
    args = ap.parse_args(argv)
    sizes, seeds = ([5000], 5) if args.quick else (args.sizes, args.seeds)

    rows, trials, start = [], [], time.perf_counter()
    for n in sizes:
        for name in args.clouds:
            t0 = time.perf_counter()
            chosen = range(args.first_seed, args.first_seed + seeds)
            hits = [evaluate(name, n, seed, trials) for seed in chosen]
            row = {"cloud": name, "n": n, "seeds": seeds}
            for v, truth in zip(VERDICTS, TRUTH[name], strict=True):
                row[v] = float(np.mean([h[v] for h in hits]))
                row[f"{v}_kind"] = {True: "power", False: "FPR", None: "-"}[truth]
            row["seconds_per_cloud"] = (time.perf_counter() - t0) / seeds
            rows.append(row)
            print(f"{name} n={n}: {row['seconds_per_cloud']:.1f} s per cloud", file=sys.stderr)
    print(table_markdown(rows))
    print()
    print(summary_markdown(rows))
    print(f"\n{len(rows) * seeds} clouds in {time.perf_counter() - start:.0f} s")
    for path, records in ((args.csv, rows), (args.trials, trials)):
        if path:
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            with open(path, "w", newline="") as fh:
                w = csv.DictWriter(fh, fieldnames=list(records[0]))
                w.writeheader()
                w.writerows(records)


def table_markdown(rows: list[dict]) -> str:
    head = "| cloud | n | seeds | " + " | ".join(VERDICTS) + " |"
    lines = [head, "|" + "---|" * (3 + len(VERDICTS))]
    for r in rows:
        cells = []
        for v in VERDICTS:
            kind = r[f"{v}_kind"]
            cells.append(f"{r[v]:.2f} ({kind})" if kind != "-" else f"{r[v]:.2f} -")
        lines.append(f"| {r['cloud']} | {r['n']} | {r['seeds']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def summary_markdown(rows: list[dict]) -> str:
    """Per verdict and size: the worst false-positive rate and the lowest power."""
    lines = [
        "| verdict | n | worst false-positive rate (cloud) | lowest power (cloud) |",
        "|---|---|---|---|",
    ]
    for v in VERDICTS:
        for n in dict.fromkeys(r["n"] for r in rows):
            cells = []
            for kind, pick in (("FPR", max), ("power", min)):
                hits = [r for r in rows if r["n"] == n and r[f"{v}_kind"] == kind]
                best = pick(hits, key=lambda r: r[v]) if hits else None
                cells.append(f"{best[v]:.2f} ({best['cloud']})" if best else "-")
            lines.append(f"| {v} | {n} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
