"""Calibration of the structure verdicts through the stage: family-wise error and power.

Every cloud is judged by `zatlas.analysis.verdicts.judge_latents`, the very function the
structure stage calls, with the stage's default config read from the config schema
(analysis.structure, every analysis.pca plane and zoom, the subset of `max_points`, the
relative scale). Per cloud and size the script prints the FAMILY-WISE error rate (the share
of seeds on which any verdict fired that the cloud does not deserve) and, for planted
clouds, the power (the share on which the planted structure's verdict fired).

    python benchmarks/structure_calibration.py --sizes 5000 --seeds 50 --first-seed 100
    python benchmarks/structure_calibration.py --quick     # 5,000 points, 3 seeds
    python benchmarks/structure_calibration.py --progress runs.jsonl ...  # one line per cloud
    python benchmarks/structure_calibration.py --table runs*.jsonl        # their table

The thresholds (min_clump_effect, min_hole_expected, ...) were tuned on seeds 0-19; report
on seeds from 100 on. Clouds (256-d; "noise" coordinates N(0, 1); planted structure in the
first coordinates, scaled so that they are the top principal components):
  gauss_iso        N(0, I)
  gauss_aniso      N(0, C), C with eigenvalues log-spaced 3^2 .. 0.3^2 on random axes
  t5               multivariate t(5), anisotropic and rotated like gauss_aniso
  ball             uniform in a ball of radius 16
  disk             coordinates 1-2 uniform in a disk of radius 6
  hypercube        coordinates 1-5 uniform in [-3, 3]
  crossed          coordinates 1-4: half N(0, diag(9, 9, 1, 1)), half N(0, diag(1, 1, 9, 9))
  laplace          coordinates 1-5 independent Laplace, sd 3
  outliers         N(0, I) with 0.2% of the points scaled x30
  filaments        coordinates 1-4 on 6 random segments of length 12 (sd 0.3 across them)
  tight_clusters   coordinates 1-4 in 10 clusters (sd 0.3), centres N(0, 3^2)
  broad_clusters   coordinates 1-3 in 4 clusters (sd 1, the noise's) at the corners of a
                   regular simplex of edge 4: a large-scale shape (their deserved verdict
                   is "not elliptical"; a local test cannot tell them from crossed)
  clusters10       coordinates 1-4 in clusters of 10 points (sd 0.05), centres N(0, 3^2)
  hole_centre      coordinates 1-2 N(0, diag(3^2, 2.5^2)), no point within 0.5 sd of 0
  hole_offcentre   the same, the hole centred 1.5 sd out along coordinate 1
  <planted>+out    the planted cloud with 0.2% of its points scaled x30
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import yaml

DIM = 256
SCHEMA = Path(__file__).resolve().parents[1] / "workflow/schemas/config.schema.yaml"
VERDICTS = ("radii_not_gaussian", "not_gaussian_nn", "not_elliptical", "clumping", "holes")
# per cloud: verdicts it must not get (False) and the one planted verdict it must get (True);
# unnamed verdicts may go either way (a box's radii are not Gaussian, a hole is not elliptical)
NOT_GAUSS = {"clumping": False, "holes": False}
TRUTH = {
    "gauss_iso": dict.fromkeys(VERDICTS, False),
    "gauss_aniso": dict.fromkeys(VERDICTS, False),
    "t5": {"not_elliptical": False, **NOT_GAUSS},
    "ball": {"not_elliptical": False, **NOT_GAUSS},
    "disk": NOT_GAUSS,
    "hypercube": NOT_GAUSS,
    "crossed": NOT_GAUSS,
    "laplace": NOT_GAUSS,
    "outliers": {"not_elliptical": False, **NOT_GAUSS},
    "filaments": {"clumping": True},
    "tight_clusters": {"clumping": True},
    "broad_clusters": {"not_elliptical": True},
    "clusters10": {"clumping": True},
    "hole_centre": {"holes": True, "clumping": False},
    "hole_offcentre": {"holes": True, "clumping": False},
}
PLANTED = [c for c, t in TRUTH.items() if True in t.values()]
TRUTH.update({f"{c}+out": TRUTH[c] for c in PLANTED})


def _rotation(rng: np.random.Generator) -> np.ndarray:
    return np.linalg.qr(rng.standard_normal((DIM, DIM)))[0]


def _holed(n: int, rng, centre: float) -> np.ndarray:
    out = np.empty((0, 2))
    while len(out) < n:
        p = rng.standard_normal((2 * n, 2))
        out = np.concatenate([out, p[np.hypot(p[:, 0] - centre, p[:, 1]) > 0.5]])
    return out[:n] * [3.0, 2.5]


def cloud(name: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """n points of the named cloud (see the module docstring), float32."""
    if name.endswith("+out"):
        return with_outliers(cloud(name[:-4], n, rng), rng)
    g = rng.standard_normal((n, DIM)).astype(np.float32)
    if name == "gauss_aniso":
        g = (g * np.geomspace(3, 0.3, DIM).astype(np.float32)) @ _rotation(rng).T.astype(np.float32)
    elif name == "t5":
        g = g / np.sqrt(rng.chisquare(5, (n, 1)) / 5).astype(np.float32)
        g = (g * np.geomspace(3, 0.3, DIM).astype(np.float32)) @ _rotation(rng).T.astype(np.float32)
    elif name == "ball":
        g = (
            16
            * g
            / np.linalg.norm(g, axis=1, keepdims=True)
            * rng.uniform(0, 1, (n, 1)) ** (1 / DIM)
        )
    elif name == "disk":
        r, a = 6 * np.sqrt(rng.uniform(0, 1, n)), rng.uniform(0, 2 * np.pi, n)
        g[:, 0], g[:, 1] = r * np.cos(a), r * np.sin(a)
    elif name == "hypercube":
        g[:, :5] = rng.uniform(-3, 3, (n, 5))
    elif name == "crossed":
        first = rng.random(n) < 0.5
        sd = np.where(first[:, None], [3, 3, 1, 1], [1, 1, 3, 3])
        g[:, :4] = rng.standard_normal((n, 4)) * sd
    elif name == "laplace":
        g[:, :5] = rng.laplace(0, 3 / np.sqrt(2), (n, 5))
    elif name == "outliers":
        g = with_outliers(g, rng)
    elif name == "filaments":
        centres, dirs = rng.normal(0, 1.5, (6, 4)), rng.standard_normal((6, 4))
        dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
        k, t = rng.integers(0, 6, n), rng.uniform(-6, 6, (n, 1))
        g[:, :4] = centres[k] + t * dirs[k] + 0.3 * rng.standard_normal((n, 4))
    elif name == "tight_clusters":
        g[:, :4] = rng.normal(0, 3, (10, 4))[rng.integers(0, 10, n)] + rng.normal(0, 0.3, (n, 4))
    elif name == "broad_clusters":
        simplex = np.eye(4) - 0.25  # 4 points, pairwise distance sqrt(2), in a 3-d subspace
        corners = simplex @ np.linalg.svd(simplex)[2][:3].T * 4.0 / np.sqrt(2)
        g[:, :3] += corners[rng.integers(0, 4, n)]
    elif name == "clusters10":
        centres = rng.normal(0, 3, (-(-n // 10), 4))
        g[:, :4] = np.repeat(centres, 10, axis=0)[:n] + rng.normal(0, 0.05, (n, 4))
    elif name in ("hole_centre", "hole_offcentre"):
        g[:, :2] = _holed(n, rng, 0.0 if name == "hole_centre" else 1.5)
    elif name != "gauss_iso":
        raise ValueError(f"unknown cloud {name!r}")
    return np.asarray(g, dtype=np.float32)


def with_outliers(x: np.ndarray, rng: np.random.Generator, share: float = 0.002) -> np.ndarray:
    """x with a random `share` of its rows scaled x30 about the mean (far outliers)."""
    x = x.copy()
    rows = rng.choice(len(x), max(1, round(share * len(x))), replace=False)
    mean = x.mean(axis=0)
    x[rows] = mean + 30 * (x[rows] - mean)
    return x


def stage_defaults() -> dict:
    """The structure stage's default config, from the config schema."""
    analysis = yaml.safe_load(SCHEMA.read_text())["properties"]["analysis"]["properties"]

    def defaults(block):
        return {k: v["default"] for k, v in block["properties"].items() if "default" in v}

    pca = defaults(analysis["pca"])
    return {
        "structure": defaults(analysis["structure"]),
        "planes": pca["planes"],
        "zooms": pca["zooms"],
        "scale": analysis["scale"]["default"],
    }


def evaluate(name: str, n: int, seed: int, config: dict, trials: list | None = None) -> dict:
    """Which verdicts fire on one cloud (seeded by `seed`)."""
    from zatlas.analysis.verdicts import VerdictSettings, judge_latents

    st = config["structure"]
    x = cloud(name, n, np.random.default_rng(seed))
    table, _, _ = judge_latents(
        x, VerdictSettings.from_config(st), config["planes"], config["zooms"],
        config["scale"], st["max_points"], seed,
    )  # fmt: skip
    tests = table[table["statistic"] != "overall"]
    if trials is not None:
        cols = ["statistic", "detail", "rank", "effect_size", "p_value", "fired"]
        trials += [
            {"cloud": name, "n": n, "seed": seed, **r} for r in tests[cols].to_dict("records")
        ]
    fired = tests["fired"].astype(bool)
    return {v: bool(fired[tests["statistic"] == v].any()) for v in VERDICTS}


def score(name: str, hits: list[dict]) -> dict:
    """FWER (any undeserved verdict) and power (the planted verdict) over seeds."""
    truth = TRUTH[name]
    wrong = [any(h[v] for v, t in truth.items() if t is False) for h in hits]
    want = [v for v, t in truth.items() if t is True]
    out = {"fwer": float(np.mean(wrong)), "power": None}
    if want:
        out["power"] = float(np.mean([all(h[v] for v in want) for h in hits]))
    out["fired"] = {v: float(np.mean([h[v] for h in hits])) for v in VERDICTS}
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="5,000 points and 3 seeds only")
    ap.add_argument("--sizes", type=int, nargs="+", default=[5000])
    ap.add_argument("--seeds", type=int, default=50)
    ap.add_argument("--first-seed", type=int, default=100)
    ap.add_argument("--clouds", nargs="+", default=list(TRUTH))
    ap.add_argument("--csv", default="results/benchmarks/structure_calibration.csv")
    ap.add_argument("--trials", help="write every test of every cloud to this CSV file")
    ap.add_argument(
        "--progress",
        help="append one JSON line per judged cloud to this file as it is done, seeds in the "
        "outer loop, so that a run stopped early holds equally many seeds of every cloud",
    )
    ap.add_argument("--table", nargs="+", help="print the table of these --progress files")
    args = ap.parse_args(argv)
    if args.table:
        print(table_markdown(progress_table(args.table)))
        return None
    if args.progress:
        return run_progress(args)
    sizes, seeds = ([5000], 3) if args.quick else (args.sizes, args.seeds)
    config = stage_defaults()

    rows, trials, start, cpu = [], [], time.perf_counter(), time.process_time()
    for n in sizes:
        for name in args.clouds:
            t0 = time.perf_counter()
            chosen = range(args.first_seed, args.first_seed + seeds)
            hits = [evaluate(name, n, seed, config, trials) for seed in chosen]
            s = score(name, hits)
            row = {"cloud": name, "n": n, "seeds": seeds, "fwer": s["fwer"], "power": s["power"]}
            row.update({f"fired_{v}": r for v, r in s["fired"].items()})
            row["seconds_per_cloud"] = (time.perf_counter() - t0) / seeds
            rows.append(row)
            print(markdown_row(row), file=sys.stderr, flush=True)
    print(table_markdown(rows))
    wall, used = time.perf_counter() - start, time.process_time() - cpu
    print(f"\n{len(rows) * seeds} clouds in {wall:.0f} s wall, {used:.0f} s CPU")
    for path, records in ((args.csv, rows), (args.trials, trials)):
        if path and records:
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            with open(path, "w", newline="") as fh:
                w = csv.DictWriter(fh, fieldnames=list(records[0]))
                w.writeheader()
                w.writerows(records)


def run_progress(args) -> None:
    """Seeds outer, clouds inner; one JSON line per judged cloud (see --progress)."""
    config = stage_defaults()
    sizes, seeds = ([5000], 3) if args.quick else (args.sizes, args.seeds)
    for seed in range(args.first_seed, args.first_seed + seeds):
        for n in sizes:
            for name in args.clouds:
                t0, c0 = time.perf_counter(), time.process_time()
                hits = evaluate(name, n, seed, config)
                line = {"cloud": name, "n": n, "seed": seed, **hits}
                line["wall_s"] = round(time.perf_counter() - t0, 2)
                line["cpu_s"] = round(time.process_time() - c0, 2)
                with open(args.progress, "a") as fh:
                    fh.write(json.dumps(line) + "\n")


def progress_table(paths) -> list[dict]:
    """Rows like main()'s from --progress files (every seed found once, per cloud and size;
    runs with overlapping seeds may share the work)."""
    hits: dict = {}
    for path in paths:
        for text in Path(path).read_text().splitlines():
            line = json.loads(text)
            hits.setdefault((line["cloud"], line["n"]), {})[line["seed"]] = line
    hits = {k: list(v.values()) for k, v in hits.items()}
    rows = []
    for (name, n), found in sorted(
        hits.items(), key=lambda kv: (kv[0][1], list(TRUTH).index(kv[0][0]))
    ):
        s = score(name, found)
        row = {"cloud": name, "n": n, "seeds": len(found), "fwer": s["fwer"], "power": s["power"]}
        row.update({f"fired_{v}": r for v, r in s["fired"].items()})
        row["seconds_per_cloud"] = float(np.mean([f["cpu_s"] for f in found]))
        rows.append(row)
    return rows


def markdown_row(r: dict) -> str:
    power = "-" if r["power"] is None else f"{r['power']:.2f}"
    fired = " ".join(f"{r[f'fired_{v}']:.2f}" for v in VERDICTS)
    return (
        f"| {r['cloud']} | {r['n']} | {r['seeds']} | {r['fwer']:.2f} | {power} | {fired} | "
        f"{r['seconds_per_cloud']:.1f} |"
    )


def table_markdown(rows: list[dict]) -> str:
    head = (
        "| cloud | n | seeds | FWER | power | share fired: radii, Gaussian NN, not elliptical,"
        " clumping, holes | s per cloud |"
    )
    return "\n".join([head, "|---|---|---|---|---|---|---|", *map(markdown_row, rows)])


if __name__ == "__main__":
    main()
