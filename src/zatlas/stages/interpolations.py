"""interpolations: for seeded pairs of real faces, the straight line between their codes
against the shortest path through the data's k-nearest-neighbour graph, both decoded and
scored with the sampling stage's on-manifold score."""

from __future__ import annotations

import numpy as np
import pandas as pd

from zatlas.analysis.subsample import subset
from zatlas.stages.files import limit_threads, load, title


def run(
    z,
    attributes,
    decoder,
    table,
    pairs,
    scores,
    figure,
    model: str,
    n_pairs: int,
    n_steps: int,
    k: int,
    reference_points: int,
    seed: int,
    threads: int = 1,
) -> None:
    """The reference is the sampling stage's: a seeded subset of the training codes; the
    pairs are drawn from it, so both ends of every path are real codes."""
    from zatlas.analysis import interpolations as ip
    from zatlas.analysis.density import ManifoldScorer
    from zatlas.decoders import load_decoder
    from zatlas.encoding import decode_points
    from zatlas.plots.interpolations import plot_interpolations

    limit_threads(threads, tensorflow=True)
    zs = load(z)
    split = pd.read_parquet(attributes, columns=["split"])["split"].to_numpy()
    train = np.flatnonzero(split == "train")
    if not len(train):  # no split recorded: every point is a training point
        train = np.arange(len(zs))
    rows = train[subset(len(train), reference_points, seed)]
    reference = np.asarray(zs[rows], dtype=np.float32)
    scorer = ManifoldScorer(reference, threads)
    graph = ip.knn_graph(reference, min(k, len(reference) - 1), threads)
    paths = ip.interpolate_pairs(
        reference, ip.pick_pairs(len(reference), n_pairs, seed), graph, n_steps
    )
    score_table = ip.score_paths(paths, scorer)
    per_pair = ip.pair_table(paths, score_table)
    # the ends as rows of the run's images, not of the reference subset
    per_pair["a"], per_pair["b"] = rows[per_pair["a"]], rows[per_pair["b"]]
    dec = load_decoder(decoder)
    strips = ip.decode_paths(lambda pts: decode_points(dec, pts), paths)
    summary = ip.summary_table(score_table, n_pairs)
    summary.insert(0, "model", model)
    summary["on_manifold_limit"] = scorer.within
    summary.to_csv(table, index=False)
    per_pair.to_csv(pairs, index=False)
    score_table.to_csv(scores, index=False)
    plot_interpolations(
        strips, score_table, scorer.within, title(model, "straight line vs kNN-graph path"), figure
    )
