"""k-means sweep: scikit-learn's MiniBatchKMeans (the baseline) against the project's fits.

Both run on the same points, for the same k and seeds, in one process. For each (k, seed)
the script prints the wall time and the inertia on *all* points (both computed by the same
function), then the totals, the time ratio and the mean inertia ratio. With --sweep it also
times the project's whole sweep as the pipeline runs it (k = 2..80 step 2, 3 seeds).

    python benchmarks/kmeans.py                    # 162,770 x 256, k in 2,10,20,40,60,80
    python benchmarks/kmeans.py --n 20000 --ks 2,20,80   # a quick run
    python benchmarks/kmeans.py --sweep            # + the full 120-fit sweep, project only
    python benchmarks/kmeans.py --full-kmeans      # + scikit-learn KMeans on all points
    python benchmarks/kmeans.py --z results/celeba/latents/ae/z.npy   # real latents

Without --z the points are "Gaussian-ish" latents like an AE's (see benchmarks/tsne.py).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=162_770, help="points (default: CelebA train)")
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--z", help="a z.npy to take the points from instead")
    parser.add_argument("--ks", default="2,10,20,40,60,80")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=1024, help="MiniBatchKMeans batch")
    parser.add_argument("--fit-points", type=int, default=20_000, help="project: subset per fit")
    parser.add_argument("--refine-iter", type=int, default=3, help="project: full-data Lloyd")
    parser.add_argument("--sweep", action="store_true", help="also time the 120-fit sweep")
    parser.add_argument(
        "--full-kmeans", action="store_true", help="also fit plain KMeans on all points (slow)"
    )
    args = parser.parse_args()

    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    import numpy as np
    from sklearn.cluster import KMeans, MiniBatchKMeans
    from threadpoolctl import threadpool_limits

    from zatlas.analysis import kmeans as km

    sys.path.insert(0, str(Path(__file__).parent))
    from tsne import gaussianish_latents

    threadpool_limits(args.threads)
    if args.z:
        z = np.load(args.z, mmap_mode="r", allow_pickle=False)
        x = np.array(z[: args.n], dtype=np.float32)
        source = args.z
    else:
        x = gaussianish_latents(args.n, args.dim, args.seed)
        source = "Gaussian-ish latents (mixture of 64 broad clusters, 2 planted axes)"
    ks = [int(k) for k in args.ks.split(",")]
    seeds = [args.seed + i for i in range(args.seeds)]
    print(f"data: {x.shape[0]} x {x.shape[1]} {source}; {args.threads} threads")
    print(
        f"baseline: MiniBatchKMeans(batch_size={args.batch_size}, n_init=1, other defaults); "
        f"zatlas: KMeans on {args.fit_points} points + {args.refine_iter} full-data Lloyd steps"
    )
    print(
        f"\n{'k':>3s} {'seed':>4s} {'MBK wall':>9s} {'MBK CPU':>8s} {'zatlas wall':>11s}"
        f" {'zatlas CPU':>10s} {'MBK inertia':>12s} {'zatlas inertia':>14s} {'ratio':>6s}"
        + (f" {'KMeans CPU':>10s} {'KMeans inertia':>14s}" if args.full_kmeans else "")
    )
    x_sq = km.squared_norm_total(x)
    totals = np.zeros(4)  # wall base, wall ours, CPU base, CPU ours
    ratios, full_ratios = [], []
    for k in ks:
        for seed in seeds:
            start, cpu = time.perf_counter(), time.process_time()
            mbk = MiniBatchKMeans(
                n_clusters=k, batch_size=args.batch_size, n_init=1, random_state=seed
            ).fit(x)
            t_base = time.perf_counter() - start
            c_base = time.process_time() - cpu
            i_base = km.inertia_of(x, mbk.cluster_centers_, x_sq)
            start, cpu = time.perf_counter(), time.process_time()
            _, i_ours, _ = km.fit_kmeans(
                x,
                k,
                seed,
                fit_points=args.fit_points,
                refine_iter=args.refine_iter,
                x_sq_total=x_sq,
            )
            t_ours = time.perf_counter() - start
            c_ours = time.process_time() - cpu
            totals += (t_base, t_ours, c_base, c_ours)
            ratios.append(i_ours / i_base)
            line = (
                f"{k:3d} {seed:4d} {t_base:9.2f} {c_base:8.2f} {t_ours:11.2f} {c_ours:10.2f}"
                f" {i_base:12.6g} {i_ours:14.6g} {i_ours / i_base:6.4f}"
            )
            if args.full_kmeans:
                cpu = time.process_time()
                full = KMeans(n_clusters=k, n_init=1, random_state=seed).fit(x)
                c_full = time.process_time() - cpu
                full_ratios.append(i_ours / full.inertia_)
                line += f" {c_full:10.2f} {full.inertia_:14.6g}"
            print(line, flush=True)
    print(
        f"\ntotal wall time: MiniBatchKMeans {totals[0]:.1f} s, zatlas {totals[1]:.1f} s, "
        f"ratio (MiniBatchKMeans / zatlas) {totals[0] / totals[1]:.2f}"
    )
    print(
        f"total CPU time (all threads): MiniBatchKMeans {totals[2]:.1f} s, zatlas "
        f"{totals[3]:.1f} s, ratio {totals[2] / totals[3]:.2f}"
    )
    print(
        f"inertia zatlas / MiniBatchKMeans: mean {np.mean(ratios):.4f}, "
        f"min {np.min(ratios):.4f}, max {np.max(ratios):.4f} (below 1 = zatlas fits better)"
    )
    if full_ratios:
        print(
            f"inertia zatlas / full-data KMeans: mean {np.mean(full_ratios):.4f}, "
            f"min {np.min(full_ratios):.4f}, max {np.max(full_ratios):.4f}"
        )
    print("(CPU = process CPU time of all threads: on a busy machine the wall time of the same")
    print(" work on otherwise idle cores is at most about this)")

    if args.sweep:
        sweep_ks = list(range(2, 81, 2))
        cpu = time.process_time()
        start = time.perf_counter()
        table = km.inertia_sweep(
            x, sweep_ks, seeds, fit_points=args.fit_points, refine_iter=args.refine_iter
        )
        wall = time.perf_counter() - start
        print(
            f"\nzatlas sweep, k = 2..80 step 2 x {len(seeds)} seeds = {len(table)} fits: "
            f"{wall:.1f} s wall ({wall / 60:.1f} min), {time.process_time() - cpu:.1f} s CPU"
        )


if __name__ == "__main__":
    main()
