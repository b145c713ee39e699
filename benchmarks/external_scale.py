"""A large latent space that zatlas did not train, through every image-free analysis.

Writes an N x D float32 array (default 1,000,000 x 512, 2 GB) in row blocks, straight to a
memory-mapped .npy (never whole in memory), with planted structure (a few offset clusters,
a category column in a metadata Parquet), then runs the workflow on it with
`data.dataset: none`: parse-time checks, ingest, radius, axes, pca, tsne, umap, kmeans,
structure, intrinsic_dim, attributes, explore, compare and the report. Prints every rule's
wall time, CPU time and peak memory (max_rss and max_uss from its Snakemake benchmark file)
and the largest. The analyses run on their configured subsets (t-SNE and UMAP on
--tsne-points rows; k-means, structure, intrinsic dimension and attributes on --subset
rows): their cost does not grow with N. The streaming ones (ingest, radius, axes, pca,
structure's and explore's projections) read every row in blocks.

    python benchmarks/external_scale.py                       # 1,000,000 x 512 on 2 cores
    python benchmarks/external_scale.py --n 100000 --dim 128  # a quick rehearsal
    python benchmarks/external_scale.py --analyse-only --workdir DIR

max_rss counts the pages of a memory-mapped file that a job has touched (they are page
cache, given back under pressure); max_uss counts only the job's own memory.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
BLOCK = 65_536
LIMIT_MB = 4096
STREAMING = ("radius", "axes", "pca")


def make_latents(path: Path, n: int, dim: int, seed: int, clusters: int = 8) -> np.ndarray:
    """N x dim float32 written in blocks; returns each row's cluster (the planted label)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 3, (clusters, dim)).astype(np.float32)
    label = rng.integers(0, clusters, n)
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, dim))
    for start in range(0, n, BLOCK):
        rows = label[start : start + BLOCK]
        block = rng.standard_normal((len(rows), dim), dtype=np.float32)
        block += centres[rows]
        out[start : start + len(rows)] = block
    out.flush()
    del out
    return label


def bench_config(args, work: Path) -> dict:
    tsne = {
        "n_points": [args.tsne_points],
        "params": [{"perplexity": 30, "early_exaggeration": 12}],
        "pca_components": [10],
        "n_iter": 500,
        "color_by": "kind",
    }
    return {
        "run": "scale",
        "seed": 1,
        "data": {"dataset": "none", "metadata": str(work / "metadata.parquet")},
        "models": {"big": {"type": "external", "z": str(work / "z.npy")}},
        # the subset-bound analyses on --subset rows: their cost does not grow with N
        "analysis": {
            "tsne": tsne,
            "explore": {"tsne": None, "k": 20, "kmeans_points": args.subset},
            "pca": {"planes": [[1, 2], [3, 4]]},
            "kmeans": {"max_points": args.subset, "fit_points": args.subset, "k_max": 40},
            "structure": {"max_points": args.subset},
            "intrinsic_dim": {"max_points": args.subset},
            "attributes": {"max_points": args.subset, "k": 20},
        },
    }


def prepare(args, work: Path) -> None:
    z = work / "z.npy"
    if args.reuse and z.is_file() and np.load(z, mmap_mode="r").shape == (args.n, args.dim):
        print(f"reusing {z}")
        (work / "c.yaml").write_text(yaml.safe_dump(bench_config(args, work)))
        return
    start = time.perf_counter()
    label = make_latents(work / "z.npy", args.n, args.dim, args.seed)
    kinds = np.array([f"kind{k}" for k in range(label.max() + 1)])
    pd.DataFrame({"kind": kinds[label], "score": label.astype(np.float32)}).to_parquet(
        work / "metadata.parquet"
    )
    gb = (work / "z.npy").stat().st_size / 1e9
    took = time.perf_counter() - start
    print(f"wrote {args.n:,} x {args.dim} float32 ({gb:.2f} GB) in {took:.0f} s")
    (work / "c.yaml").write_text(yaml.safe_dump(bench_config(args, work)))


def run_workflow(args, work: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    cmd = [
        str(Path(sys.executable).with_name("snakemake")),
        "-s",
        str(REPO / "Snakefile"),
        "--directory",
        str(work),
        "--configfile",
        str(work / "c.yaml"),
        "--cores",
        str(args.cores),
        # the rules that read every row first: the ones whose cost grows with N
        "--prioritize",
        *STREAMING,
    ]
    start = time.perf_counter()
    with open(work / "snakemake.log", "w") as log:
        proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    wall = time.perf_counter() - start
    if proc.returncode:
        tail = (work / "snakemake.log").read_text()[-4000:]
        raise SystemExit(f"the workflow failed (log: {work / 'snakemake.log'}):\n{tail}")
    return wall


def table(work: Path) -> pd.DataFrame:
    rows = []
    for tsv in sorted((work / "results" / "scale" / "benchmarks").glob("*/*.tsv")):
        b = pd.read_csv(tsv, sep="\t").iloc[0]
        rows.append(
            {
                "rule": tsv.parent.name,
                "job": tsv.stem,
                "wall_s": float(b["s"]),
                "cpu_s": float(b["cpu_time"]),
                "max_rss_mb": float(b["max_rss"]),
                "max_uss_mb": float(b["max_uss"]),
            }
        )
    return pd.DataFrame(rows)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--dim", type=int, default=512)
    p.add_argument("--tsne-points", type=int, default=10_000)
    p.add_argument("--subset", type=int, default=10_000, help="rows of subset-bound analyses")
    p.add_argument("--cores", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workdir", type=Path, default=None)
    p.add_argument("--analyse-only", action="store_true")
    p.add_argument("--reuse", action="store_true", help="keep a z.npy of the same shape")
    p.add_argument("--prepare-only", action="store_true", help="write the files, run nothing")
    args = p.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="zatlas-external-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    if not args.analyse_only:
        prepare(args, work)
        if args.prepare_only:
            return
        wall = run_workflow(args, work)
        print(f"workflow: {wall:.0f} s wall on {args.cores} cores (work dir {work})")
    out = table(work)
    pd.set_option("display.width", 120)
    print(out.to_string(index=False, float_format=lambda v: f"{v:.1f}"))
    print("\n| rule | wall s | CPU s | max_rss MB | max_uss MB |\n|---|---:|---:|---:|---:|")
    for r in out.itertuples():
        name = r.rule if r.job in ("all", "big") else f"{r.rule} ({r.job})"
        cells = [f"{v:.0f}" for v in (r.wall_s, r.cpu_s, r.max_rss_mb, r.max_uss_mb)]
        print(f"| {name} | " + " | ".join(cells) + " |")
    worst = out.loc[out["max_rss_mb"].idxmax()]
    print(
        f"largest job: {worst['rule']} ({worst['job']}), max_rss {worst['max_rss_mb']:.0f} MB, "
        f"max_uss {out['max_uss_mb'].max():.0f} MB (limit {LIMIT_MB} MB): "
        + ("within" if out["max_rss_mb"].max() <= LIMIT_MB else "ABOVE")
    )


if __name__ == "__main__":
    main()
