"""t-SNE: scikit-learn's TSNE (the baseline) against the project's openTSNE path.

Both run on the same points with the same perplexity, early exaggeration, iteration count,
seed and thread count, in one process; the script prints each wall time, the ratio, and
how well each embedding keeps neighbourhoods (kNN recall: the share of a point's k nearest
neighbours in the latent space that are also among its k nearest in 2-D, over the same
random query points).

    python benchmarks/tsne.py                      # 20,000 points, both libraries
    python benchmarks/tsne.py --n 5000             # a quick run
    python benchmarks/tsne.py --n 165000 --skip-sklearn   # the project's path at full size
    python benchmarks/tsne.py --z results/celeba/latents/ae/z.npy   # real latents

Without --z the points are "Gaussian-ish" latents like an AE's: a mixture of 64 broad
Gaussian clusters in 256 dimensions with two planted off-centre/broad axes (radius near 16).
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="points (default 20000)")
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--z", help="a z.npy to sample the points from instead")
    parser.add_argument("--perplexity", type=float, default=30.0)
    parser.add_argument("--early-exaggeration", type=float, default=12.0)
    parser.add_argument("--n-iter", type=int, default=750, help="counted like sklearn max_iter")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--recall-k", type=int, default=10)
    parser.add_argument("--recall-queries", type=int, default=2000)
    parser.add_argument("--skip-sklearn", action="store_true", help="time the project's path only")
    args = parser.parse_args()

    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    import numpy as np
    from threadpoolctl import threadpool_limits

    from zatlas.analysis import tsne as tsne_an

    threadpool_limits(args.threads)
    if args.z:
        z = np.load(args.z, mmap_mode="r", allow_pickle=False)
        x = np.asarray(z[tsne_an.subset(len(z), args.n, args.seed)], dtype=np.float32)
        source = args.z
    else:
        x = gaussianish_latents(args.n, args.dim, args.seed)
        source = "Gaussian-ish latents (mixture of 64 broad clusters, 2 planted axes)"
    print(f"data: {x.shape[0]} x {x.shape[1]} {source}")
    print(
        f"perplexity {args.perplexity:g}, early exaggeration {args.early_exaggeration:g}, "
        f"{args.n_iter} iterations (250 exaggerated), {args.threads} threads, seed {args.seed}"
    )
    rows = []

    if not args.skip_sklearn:
        from sklearn.manifold import TSNE

        start, cpu = time.perf_counter(), time.process_time()
        base = TSNE(
            n_components=2,
            perplexity=args.perplexity,
            early_exaggeration=args.early_exaggeration,
            max_iter=args.n_iter,
            learning_rate="auto",
            init="pca",
            method="barnes_hut",
            random_state=args.seed,
            n_jobs=args.threads,
        )
        emb = base.fit_transform(x)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        rows.append(("scikit-learn TSNE (Barnes-Hut)", seconds, cpu, base.kl_divergence_, emb))
        print(f"  scikit-learn done in {seconds:.1f} s", flush=True)

    start, cpu = time.perf_counter(), time.process_time()
    emb, kl = tsne_an.run_tsne(
        x, args.perplexity, args.early_exaggeration, args.n_iter, args.seed, args.threads
    )
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    rows.append(("zatlas (openTSNE, FFT)", seconds, cpu, kl, emb))
    print(f"  zatlas done in {seconds:.1f} s", flush=True)

    print()
    recall_label = f"kNN recall@{args.recall_k}"
    print(f"{'method':32s} {'wall s':>8s} {'CPU s':>8s} {'KL':>7s} {recall_label:>14s}")
    for name, secs, cpu, kl, emb in rows:
        recall = tsne_an.knn_recall(x, emb, args.recall_k, args.recall_queries, args.seed)
        print(f"{name:32s} {secs:8.1f} {cpu:8.1f} {kl:7.3f} {recall:14.3f}")
    if len(rows) == 2:
        print(
            f"\nspeed-up (scikit-learn / zatlas): wall {rows[0][1] / rows[1][1]:.1f}x, "
            f"CPU {rows[0][2] / rows[1][2]:.1f}x"
        )
    print("(CPU s = process CPU time of all threads: on a busy machine the wall time of the")
    print(" same work on otherwise idle cores is at most about this)")


if __name__ == "__main__":
    main()
