"""explore: results/<run>/explore/index.html, an interactive page per run that opens from
disk and shows, per model, every point of its t-SNE embeddings and PC planes with the face
behind each point (see zatlas.explore)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from zatlas.stages.files import limit_threads, load, write_json


def model_points(
    zs,
    frame,
    kinds,
    embeddings,
    variants,
    planes,
    k,
    kmeans_points,
    max_points,
    seed,
    neighbours,
    threads=1,
):
    """One model's table of points: its t-SNE views, its PC planes on the same faces, each
    face's radius, k-means cluster and nearest neighbours in z; `kinds` sorts the
    attribute columns (points.classify_columns)."""
    from zatlas.analysis import kmeans as kmeans_an
    from zatlas.analysis import pca as pca_an
    from zatlas.analysis.subsample import subset
    from zatlas.explore.neighbours import nearest_neighbours
    from zatlas.explore.points import assemble

    views = {}
    for variant, path in zip(variants, embeddings, strict=True):
        emb = pd.read_csv(path)
        if emb.empty:  # a t-SNE that could not run (its summary says why): no view
            continue
        views[f"t-SNE {variant}"] = (emb["index"].to_numpy(), emb[["x", "y"]].to_numpy())
    shown = (
        np.unique(np.concatenate([r for r, _ in views.values()]))
        if views
        else subset(len(zs), max_points, seed)
    )
    _, scores = pca_an.fit_pca(zs, max(max(p) for p in planes), seed)
    for a, b in planes:
        views[f"PC{a}/PC{b}"] = (shown, scores[shown][:, [a - 1, b - 1]])
    x = np.asarray(zs[shown], dtype=np.float32)
    centres, _, _ = kmeans_an.fit_kmeans(zs, min(k, len(zs) - 1), seed, fit_points=kmeans_points)
    cluster = np.zeros(len(zs), dtype=np.int32)
    cluster[shown] = kmeans_an.labels_of(x, centres)
    radius = np.zeros(len(zs), dtype=np.float32)
    radius[shown] = np.linalg.norm(x.astype(np.float64), axis=1)
    points = assemble(
        views, frame, kinds["flags"], radius, cluster, kinds["numeric"], kinds["categorical"]
    )
    if neighbours and len(shown) > 1:
        # searched among the shown faces only: each has a thumbnail and a place in the views
        points.neighbours = nearest_neighbours(x, neighbours, n_jobs=threads)
    return points


def run(
    attributes,
    z,
    embeddings,
    index,
    pages,
    summary,
    models: list[str],
    variants: list[str],
    planes,
    k: int,
    kmeans_points: int,
    max_points: int,
    thumb: int,
    sheet_px: int,
    quality: int,
    seed: int,
    neighbours: int,
    threads: int = 1,
    images=None,
) -> None:
    """`z` has one file per model; `embeddings` one per model and variant, model-major;
    without `images` (a run without images: the rule's input is empty) the pages have no
    thumbnails, and the card shows each point's metadata."""
    from zatlas.data.attributes import attribute_columns
    from zatlas.explore.build import write_explorer
    from zatlas.explore.points import classify_columns

    limit_threads(threads)
    frame = pd.read_parquet(attributes)
    # yes/no attributes (CelebA's 40, or a folder's own flags) travel as bits, other numbers
    # as floats, strings as category codes
    kinds = classify_columns(frame, attribute_columns(frame))
    out = Path(index).parent
    for old in ("thumbs", "static", "data"):  # files of an earlier run that are no declared output
        shutil.rmtree(out / old, ignore_errors=True)
    tables = {}
    for m, model in enumerate(models):
        mine = embeddings[m * len(variants) : (m + 1) * len(variants)]
        tables[model] = model_points(
            load(z[m]),
            frame,
            kinds,
            mine,
            variants,
            planes,
            k,
            kmeans_points,
            max_points,
            seed,
            neighbours,
            threads,
        )
    pixels = load(images) if images else None  # none in a run without images (data.dataset: none)
    result = write_explorer(out, pixels, tables, thumb, sheet_px, quality)
    result["mb_on_disk"] = round(result.pop("bytes") / 1e6, 2)
    result["sprite_mb"] = round(result.pop("sprite_bytes") / 1e6, 2)
    missing = [p for p in pages if not Path(p).is_file()]
    if missing:  # the rule's page names and the builder's must agree
        raise RuntimeError(f"explore: pages not written: {missing}")
    write_json(summary, result)
