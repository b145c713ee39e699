"""One function per workflow rule: read inputs, call analyses and plots, write outputs.

Workflow scripts only unpack the `snakemake` object and call one of these, so every stage
runs (and is tested) without Snakemake.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from zatlas.analysis import axes as axes_an
from zatlas.analysis import kmeans as kmeans_an
from zatlas.analysis import pca as pca_an
from zatlas.analysis import radius as radius_an
from zatlas.analysis import samples as samples_an
from zatlas.analysis import tsne as tsne_an
from zatlas.analysis.vae_stats import vae_statistics
from zatlas.config import ModelSpec, TrainSpec


def _write_json(path, data) -> None:
    Path(path).write_text(json.dumps(data, indent=2, default=float))


def _load(path) -> np.ndarray:
    return np.load(path, mmap_mode="r", allow_pickle=False)


def _title(model: str, what: str) -> str:
    return f"{model}: {what}"


def limit_threads(threads: int) -> None:
    """Honour the rule's thread count in BLAS/OpenMP (set before numpy does heavy work)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(threads)
    os.environ["OMP_NUM_THREADS"] = str(threads)


# -- data ---------------------------------------------------------------------------------


def acquire(dataset: str, source_record: str, n_images: int, seed: int) -> None:
    """Fill the record's folder with CelebA's files; the record says where they came from."""
    out_dir = Path(source_record).parent
    if dataset == "synthetic":
        from zatlas.data.synthetic import write_synthetic_celeba

        layout = write_synthetic_celeba(out_dir, n_images, seed)
        record = {
            "source": "synthetic",
            "n_images": n_images,
            "seed": seed,
            "md5": {p.name: md5sum(p) for p in (layout.zip, layout.partition, layout.attributes)},
        }
    else:
        from zatlas.data.celeba import acquire_celeba

        record = acquire_celeba(out_dir)
    _write_json(source_record, record)


def md5sum(path, chunk: int = 1 << 20) -> str:
    import hashlib

    digest = hashlib.md5()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def prepare(raw_dir, images, attributes, summary, image_size, crop, n_images, on_corrupt, workers):
    from zatlas.data.prepare import PrepareSpec, prepare_celeba_layout

    spec = PrepareSpec(image_size, crop, n_images, on_corrupt, workers)
    result = prepare_celeba_layout(raw_dir, images, attributes, summary, spec)
    print(json.dumps(result, indent=2))


# -- models -------------------------------------------------------------------------------


def train(
    images,
    attributes,
    model: ModelSpec,
    training: TrainSpec,
    encoder,
    decoder,
    history,
    summary,
    figure,
    backup_dir,
) -> None:
    from zatlas.plots.figures import plot_history
    from zatlas.training import train_model

    train_model(images, attributes, model, training, encoder, decoder, history, summary, backup_dir)
    plot_history(pd.read_csv(history), _title(model.name, "training losses"), figure)


def encode(images, encoder, z, mu=None, logvar=None, eps_clip=5.0, seed=0) -> None:
    from zatlas.encoding import encode_images

    n = encode_images(images, encoder, z, mu, logvar, eps_clip=eps_clip, seed=seed)
    print(f"encoded {n} images")


# -- analyses -----------------------------------------------------------------------------


def radius(z, densities, summary, figure, model: str, bin_widths, shells) -> None:
    from zatlas.plots.figures import plot_radius

    zs = _load(z)
    r = radius_an.radii(zs)
    table = radius_an.radius_densities(r, bin_widths)
    stats = radius_an.radius_summary(r, zs.shape[1], max(bin_widths), shells)
    stats["model"] = model
    table.to_csv(densities, index=False)
    _write_json(summary, stats)
    plot_radius(table, stats, _title(model, "number density vs radius"), figure)


def axes(
    z,
    table,
    dominant,
    figure_all,
    figure_dominant,
    model: str,
    bin_width,
    center_threshold,
    width_factor,
    max_plotted,
) -> None:
    from zatlas.plots.figures import plot_axes_all, plot_axes_dominant

    per_axis, edges, counts = axes_an.axis_table(_load(z), bin_width)
    dom = axes_an.dominant_axes(per_axis, center_threshold, width_factor)
    per_axis.to_csv(table, index=False)
    dom.to_csv(dominant, index=False)
    plot_axes_all(
        edges, counts, _title(model, f"density along all {len(per_axis)} axes"), figure_all
    )
    plot_axes_dominant(
        edges, counts, dom.head(max_plotted), _title(model, "dominant axes"), figure_dominant
    )


def pca(
    threads: int,
    z,
    axes_table,
    variance,
    variance_figure,
    zoom_table,
    planes_figure,
    axis_planes_figure,
    model: str,
    planes,
    zooms,
    max_points,
    seed,
) -> None:
    from zatlas.plots.figures import plot_pca_variance, plot_planes

    limit_threads(threads)
    zs = _load(z)
    n_comp = max(max(p) for p in planes)
    table, scores = pca_an.fit_pca(zs, max(n_comp, min(zs.shape[1], 50)), seed)
    table.to_csv(variance, index=False)
    plot_pca_variance(table, _title(model, "PCA explained variance"), variance_figure)

    shown = tsne_an.subset(len(zs), max_points, seed)
    pc_planes = {f"PC{a}/PC{b}": scores[:, [a - 1, b - 1]] for a, b in planes}
    top = axes_an.top_axes(pd.read_csv(axes_table), 2)
    axis_planes = {f"axis {top[0]}/axis {top[1]}": np.asarray(zs[:, top])}
    counts = pca_an.zoom_counts({**pc_planes, **axis_planes}, zooms)
    counts.to_csv(zoom_table, index=False)
    plot_planes(
        {k: v[shown] for k, v in pc_planes.items()},
        zooms,
        _title(model, "PC planes"),
        planes_figure,
    )
    plot_planes(
        {k: v[shown] for k, v in axis_planes.items()},
        zooms,
        _title(model, "planes of the two most dominant axes"),
        axis_planes_figure,
    )


def tsne(
    z,
    attributes,
    embedding,
    summary,
    figure,
    model: str,
    variant: str,
    params: dict,
    color_by,
    seed,
    threads: int = 1,
) -> None:
    import time

    from zatlas.plots.figures import plot_tsne

    limit_threads(threads)
    zs = _load(z)
    idx = tsne_an.subset(len(zs), params["n_points"], seed)
    x = tsne_an.reduce_pca(np.asarray(zs[idx], dtype=np.float32), params["pca_components"], seed)
    start = time.perf_counter()
    emb, kl = tsne_an.run_tsne(
        x, params["perplexity"], params["early_exaggeration"], params["n_iter"], seed, threads
    )
    seconds = time.perf_counter() - start
    out = pd.DataFrame({"index": idx, "x": emb[:, 0], "y": emb[:, 1]})
    colors = None
    if color_by:
        attrs = pd.read_parquet(attributes, columns=[color_by])[color_by].to_numpy()
        out[color_by] = attrs[idx]
        colors = out[color_by].to_numpy()
    out.to_csv(embedding, index=False)
    _write_json(
        summary,
        {
            "model": model,
            "variant": variant,
            **params,
            "n_used": int(len(idx)),
            "kl_divergence": kl,
            "seconds": seconds,
            "threads": threads,
        },
    )
    plot_tsne(emb, colors, _title(model, f"t-SNE {variant}"), figure)


def inertia(
    threads: int,
    z,
    sweep,
    summary,
    figure,
    model: str,
    k_min,
    k_max,
    k_step,
    n_seeds,
    max_points,
    seed,
) -> None:
    from zatlas.plots.figures import plot_inertia

    limit_threads(threads)
    zs = _load(z)
    idx = tsne_an.subset(len(zs), max_points or len(zs), seed)
    ks = list(range(k_min, k_max + 1, k_step))
    table = kmeans_an.inertia_sweep(np.asarray(zs[idx]), ks, [seed + i for i in range(n_seeds)])
    table.to_csv(sweep, index=False)
    stats = kmeans_an.summarize_sweep(table)
    elbow = kmeans_an.kneedle_elbow(stats["k"].to_numpy(), stats["mean"].to_numpy())
    _write_json(
        summary,
        {
            "model": model,
            "n_points": int(len(idx)),
            "elbow_k": elbow,
            "per_k": stats.to_dict(orient="records"),
        },
    )
    plot_inertia(stats, elbow, _title(model, "k-means inertia"), figure)


def vae_stats(z, mu, logvar, table, summary, figure, model: str) -> None:
    from zatlas.plots.figures import plot_vae_stats

    zs, mus, lvs = _load(z), _load(mu), _load(logvar)
    stats = {"model": model, **vae_statistics(zs, mus, lvs)}
    pd.DataFrame({"metric": list(stats), "value": list(stats.values())}).to_csv(table, index=False)
    _write_json(summary, stats)
    sample = tsne_an.subset(len(zs), 20_000, 0)
    lv = np.asarray(lvs[sample]).ravel()
    diff = np.abs(np.asarray(zs[sample]) - np.asarray(mus[sample])).ravel()
    plot_vae_stats(
        np.histogram(lv, 100),
        np.histogram(diff, 100),
        _title(model, "logvar and |z - mu| (all components)"),
        figure,
    )


def samples(
    z,
    images,
    encoder,
    decoder,
    summary,
    samples_figure,
    reconstructions_figure,
    model: str,
    distributions,
    n,
    n_reconstructions,
    seed,
) -> None:
    from zatlas.encoding import decode_points, load_model
    from zatlas.plots.figures import plot_image_grid

    zs = _load(z)
    rng = np.random.default_rng(seed)
    dec = load_model(decoder)
    data_ref = np.asarray(zs[tsne_an.subset(len(zs), 20_000, seed)], dtype=np.float32)
    groups, rows = {}, []
    for dist in distributions:
        pts = samples_an.draw_latents(dist, n, zs.shape[1], rng)
        imgs = decode_points(dec, pts)
        groups[dist["name"]] = imgs
        ratio = samples_an.nearest_data_ratio(data_ref, pts)
        rows.append(
            {
                "distribution": dist["name"],
                "n": n,
                "radius_mean": float(np.linalg.norm(pts, axis=1).mean()),
                "nearest_data_ratio_median": float(np.median(ratio)),
                "pixel_std_mean": float(imgs.reshape(len(imgs), -1).std(axis=1).mean()),
            }
        )
    pd.DataFrame(rows).to_csv(summary, index=False)
    plot_image_grid(groups, _title(model, "images decoded from random z-points"), samples_figure)

    ims = _load(images)
    pick = tsne_an.subset(len(ims), n_reconstructions, seed)
    originals = np.asarray(ims[pick])
    enc = load_model(encoder)
    code = enc(originals.astype(np.float32) / 255.0, training=False)
    mean = np.asarray(code[0] if isinstance(code, list | tuple) else code)
    plot_image_grid(
        {"originals": originals, "reconstructions (from mu / z)": decode_points(dec, mean)},
        _title(model, "reconstructions of real images"),
        reconstructions_figure,
        per_row=max(len(pick), 1),
    )


def compare(
    radius_tables: dict,
    radius_summaries: dict,
    dominant_tables: dict,
    inertia_summaries: dict,
    vae_summaries: dict,
    table,
    figure,
    z_dim: int,
) -> None:
    from zatlas.plots.figures import plot_radius_overlay

    rows = []
    overlay = {}
    for model, path in radius_summaries.items():
        rs = json.loads(Path(path).read_text())
        dens = pd.read_csv(radius_tables[model])
        overlay[model] = dens[dens["bin_width"] == dens["bin_width"].max()]
        dom = pd.read_csv(dominant_tables[model])
        km = json.loads(Path(inertia_summaries[model]).read_text())
        row = {
            "model": model,
            "radius_peak": rs["peak"],
            "radius_mean": rs["mean"],
            "sqrt_z_dim": rs["gaussian_expectation"],
            "n_dominant_axes": len(dom),
            "dominant_axes": " ".join(str(int(a)) for a in dom["axis"].head(5)),
            "elbow_k": km["elbow_k"],
        }
        for shell in rs["shells"]:
            row[f"fraction_{shell['low']:g}_{shell['high']:g}"] = shell["fraction"]
        if model in vae_summaries:
            vs = json.loads(Path(vae_summaries[model]).read_text())
            row.update(
                {
                    k: vs[k]
                    for k in (
                        "logvar_mean",
                        "logvar_min",
                        "logvar_max",
                        "abs_z_minus_mu_max",
                        "radius_rel_diff_max",
                    )
                }
            )
        rows.append(row)
    pd.DataFrame(rows).to_csv(table, index=False)
    plot_radius_overlay(overlay, z_dim, figure)


def report(
    config: dict, inputs: list[str], captions_dir: str, benchmarks_dir: str, out_html: str
) -> None:
    from zatlas.report import build_report

    benchmarks = sorted(str(p) for p in Path(benchmarks_dir).glob("**/*.tsv"))
    build_report(config, inputs, captions_dir, benchmarks, out_html)
