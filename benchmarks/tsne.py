"""t-SNE: convergence of the project's openTSNE path per schedule, against scikit-learn's TSNE.

For each number of points and each optimisation schedule, one openTSNE run is stopped at
every requested iteration count (the schedules have no decay, so the embedding after 750 of
1,000 iterations is the 750-iteration result). Each stop reports the wall and CPU time so
far (the kNN recall computed at earlier stops not counted), the KL divergence, and the kNN
recall@k: the share of a point's k nearest neighbours in the latents z that are also among
its k nearest in 2-D, over the same random query points. scikit-learn's `TSNE` (the
baseline) runs on the same points with the same perplexity, early exaggeration, seed and
thread count unless --skip-sklearn.

recall@k also falls with N for a reason that convergence does not touch: among 165,000
points the k nearest neighbours are an 8 x finer neighbourhood than among 20,000. So each
stop also reports
`recall_at_20k`: recall@k of the same embedding within a seeded subsample of 20,000 of its
points (k nearest among the subsample, in z and in 2-D), the scale a 20,000-point run sees.

    python benchmarks/tsne.py                      # 20,000 points, scikit-learn vs zatlas
    python benchmarks/tsne.py --n 5000             # a quick run
    python benchmarks/tsne.py --n 20000 80000 --schedules sklearn opentsne \\
        --iters 500 750 1000 1500 --skip-sklearn --csv tsne_curve.csv   # the convergence curve
    python benchmarks/tsne.py --z results/celeba/latents/ae/z.npy   # real latents
    python benchmarks/tsne.py ... --save-embeddings DIR    # keep each stop's embedding (.npy)

Schedules: those of `zatlas.analysis.tsne` ("sklearn": the blog's, "opentsne": openTSNE's
learning_rate="auto") and "opentsne-lr" (openTSNE's learning rates with scikit-learn's
momenta 0.5/0.8), which tells the two changes apart.

Without --z the points are "Gaussian-ish" latents like an AE's: a mixture of 64 broad
Gaussian clusters in 256 dimensions with two planted off-centre/broad axes (radius near 16).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import os
import time


def gaussianish_latents(n: int, dim: int, seed: int):
    """A mixture of broad, overlapping Gaussian clusters with two planted dominant axes."""
    import numpy as np

    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 0.6, (64, dim))
    scales = rng.lognormal(0.0, 0.2, dim) * 0.8
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, 32768):
        m = min(32768, n - start)
        labels = rng.integers(0, len(centres), m)
        out[start : start + m] = centres[labels] + rng.standard_normal((m, dim)) * scales
    sigma = 8 / (2 * np.sqrt(2 * np.log(2)))  # FWHM 8
    for axis, centre in ((52, 5.0), (221, -1.0)):
        if axis < dim:
            out[:, axis] = rng.normal(centre, sigma, n)
    return out


def schedule_for(name: str, n: int, early_exaggeration: float):
    from zatlas.analysis import tsne as tsne_an

    if name == "opentsne-lr":
        sklearn = tsne_an.resolve_schedule("sklearn", n, early_exaggeration)
        opentsne = tsne_an.resolve_schedule("opentsne", n, early_exaggeration)
        return dataclasses.replace(
            opentsne,
            name=name,
            exaggerated_momentum=sklearn.exaggerated_momentum,
            momentum=sklearn.momentum,
        )
    return tsne_an.resolve_schedule(name, n, early_exaggeration)


def latents(args, n: int):
    import numpy as np

    from zatlas.analysis.subsample import subset

    if args.z:
        z = np.load(args.z, mmap_mode="r", allow_pickle=False)
        return np.asarray(z[subset(len(z), n, args.seed)], dtype=np.float32), args.z
    source = "Gaussian-ish latents (mixture of 64 broad clusters, 2 planted axes)"
    return gaussianish_latents(n, args.dim, args.seed), source


def recalls(args, z, emb) -> dict:
    """recall@k against z itself (never a PCA-reduced input), over all points and at 20k."""
    from zatlas.analysis import tsne as tsne_an
    from zatlas.analysis.subsample import subset

    k, queries, seed = args.recall_k, args.recall_queries, args.seed
    sub = subset(len(z), SUBSAMPLE, seed)
    return {
        "recall": tsne_an.knn_recall(z, emb, k, queries, seed),
        "recall_at_20k": tsne_an.knn_recall(z[sub], emb[sub], k, queries, seed),
    }


SUBSAMPLE = 20_000


def sklearn_row(args, z, n_iter: int) -> dict:
    from sklearn.manifold import TSNE

    start, cpu = time.perf_counter(), time.process_time()
    base = TSNE(
        n_components=2,
        perplexity=args.perplexity,
        early_exaggeration=args.early_exaggeration,
        max_iter=n_iter,
        learning_rate="auto",
        init="pca",
        method="barnes_hut",
        random_state=args.seed,
        n_jobs=args.threads,
    )
    emb = base.fit_transform(z)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {
        "method": "scikit-learn TSNE (Barnes-Hut)",
        "schedule": "sklearn",
        "iterations": n_iter,
        "wall_s": wall,
        "cpu_s": cpu,
        "kl": float(base.kl_divergence_),
        **recalls(args, z, emb),
    }


def zatlas_rows(args, z, name: str):
    """One row per stop of one openTSNE run, yielded as the run reaches it."""
    import numpy as np

    from zatlas.analysis import tsne as tsne_an

    schedule = schedule_for(name, len(z), args.early_exaggeration)
    steps = tsne_an.optimise(
        z, args.perplexity, args.early_exaggeration, args.iters, args.seed, args.threads, schedule
    )
    wall = cpu = 0.0
    while True:
        start, cpu_start = time.perf_counter(), time.process_time()
        step = next(steps, None)
        wall += time.perf_counter() - start
        cpu += time.process_time() - cpu_start
        if step is None:
            return
        n_iter, emb, kl = step
        if args.save_embeddings:
            os.makedirs(args.save_embeddings, exist_ok=True)
            np.save(os.path.join(args.save_embeddings, f"n{len(z)}-{name}-{n_iter}.npy"), emb)
        yield {
            "method": "zatlas (openTSNE)",
            "schedule": name,
            "iterations": n_iter,
            "wall_s": wall,
            "cpu_s": cpu,
            "kl": kl,
            **recalls(args, z, emb),
            "learning_rates": f"{schedule.exaggerated_learning_rate:g}/{schedule.learning_rate:g}",
            "momenta": f"{schedule.exaggerated_momentum:g}/{schedule.momentum:g}",
        }


COLUMNS = ["n", "method", "schedule", "iterations", "learning_rates", "momenta"]
COLUMNS += ["wall_s", "cpu_s", "kl", "recall", "recall_at_20k"]


def markdown(rows: list[dict], k: int) -> str:
    head = ["N", "method", "schedule", "iterations", "learning rate (EE/after)", "momentum"]
    head += ["wall s", "CPU s", "KL", f"recall@{k}", f"recall@{k} at 20k"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [f"{r['n']:,}", r["method"], r["schedule"], str(r["iterations"])]
        cells += [r.get("learning_rates", "-"), r.get("momenta", "-")]
        cells += [f"{r['wall_s']:.0f}", f"{r['cpu_s']:.0f}", f"{r['kl']:.3f}"]
        cells += [f"{r['recall']:.3f}", f"{r['recall_at_20k']:.3f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[20_000], help="points (20000)")
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--z", help="a z.npy to sample the points from instead")
    parser.add_argument("--perplexity", type=float, default=30.0)
    parser.add_argument("--early-exaggeration", type=float, default=12.0)
    parser.add_argument(
        "--iters", type=int, nargs="+", default=[750], help="counted like sklearn max_iter"
    )
    parser.add_argument(
        "--schedules",
        nargs="+",
        default=["sklearn", "opentsne"],
        choices=["sklearn", "opentsne", "opentsne-lr"],
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--recall-k", type=int, default=10)
    parser.add_argument("--recall-queries", type=int, default=2000)
    parser.add_argument("--skip-sklearn", action="store_true", help="time the project's path only")
    parser.add_argument("--csv", help="also write the rows to this CSV")
    parser.add_argument("--save-embeddings", help="a folder for each stop's embedding (.npy)")
    args = parser.parse_args()

    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    from threadpoolctl import threadpool_limits

    threadpool_limits(args.threads)
    print(
        f"perplexity {args.perplexity:g}, early exaggeration {args.early_exaggeration:g}, "
        f"stops at {args.iters} iterations (250 exaggerated), {args.threads} threads, "
        f"seed {args.seed}; recall against z over {args.recall_queries} query points"
    )
    rows: list[dict] = []

    def keep(n: int, row: dict) -> None:
        rows.append({"n": n, **row})
        print(
            f"  n={n} {row['schedule']:12s} {row['method']:30s} {row['iterations']:5d} it "
            f"wall {row['wall_s']:7.1f} s CPU {row['cpu_s']:7.1f} s KL {row['kl']:.3f} "
            f"recall {row['recall']:.3f} at 20k {row['recall_at_20k']:.3f}",
            flush=True,
        )
        if args.csv:
            with open(args.csv, "w", newline="") as fh:
                writer = csv.DictWriter(fh, COLUMNS, extrasaction="ignore")
                writer.writeheader()
                writer.writerows(rows)

    for n in args.n:
        z, source = latents(args, n)
        print(f"data: {z.shape[0]} x {z.shape[1]} {source}", flush=True)
        if not args.skip_sklearn:
            keep(n, sklearn_row(args, z, max(args.iters)))
        for name in args.schedules:
            for row in zatlas_rows(args, z, name):
                keep(n, row)

    print()
    print(markdown(rows, args.recall_k))
    print("\n(CPU s = process CPU time of all threads: on a busy machine the wall time of the")
    print(" same work on otherwise idle cores is at most about this)")


if __name__ == "__main__":
    main()
