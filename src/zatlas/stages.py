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


def limit_threads(threads: int, tensorflow: bool = False) -> None:
    """Honour the rule's thread count in BLAS/OpenMP (set before numpy does heavy work) and,
    with `tensorflow`, in TensorFlow's op pools (before TensorFlow runs its first op)."""
    from threadpoolctl import threadpool_limits

    threads = max(int(threads), 1)
    threadpool_limits(threads)
    os.environ["OMP_NUM_THREADS"] = str(threads)
    if tensorflow:
        import tensorflow as tf

        # one op at a time, each on `threads` cores: a 1-core job stays on one core
        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        except RuntimeError as exc:  # TensorFlow already ran an op in this process
            print(f"[zatlas] TensorFlow threads left as they were: {exc}", flush=True)


# -- data ---------------------------------------------------------------------------------


def acquire(
    dataset: str,
    source_record: str,
    n_images: int,
    seed: int,
    sources=("gdrive", "kaggle", "huggingface"),
) -> None:
    """Fill the record's folder with CelebA's files; the record says where they came from
    (which source, how verified, every attempt) and their checksums."""
    from zatlas.data.celeba import md5sum

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

        record = acquire_celeba(out_dir, sources)
    _write_json(source_record, record)


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
    threads: int = 1,
) -> None:
    from zatlas.plots.figures import plot_history
    from zatlas.training import train_model

    limit_threads(threads, tensorflow=True)
    train_model(images, attributes, model, training, encoder, decoder, history, summary, backup_dir)
    plot_history(pd.read_csv(history), _title(model.name, "training losses"), figure)


def encode(images, encoder, z, mu=None, logvar=None, eps_clip=5.0, seed=0, threads=1) -> None:
    from zatlas.encoding import encode_images

    limit_threads(threads, tensorflow=True)
    n = encode_images(images, encoder, z, mu, logvar, eps_clip=eps_clip, seed=seed)
    print(f"encoded {n} images")


# -- analyses -----------------------------------------------------------------------------


def radius(z, densities, summary, figure, model: str, bin_widths, shells) -> None:
    from zatlas.plots.figures import plot_radius

    zs = _load(z)
    r = radius_an.radii(zs)
    table = radius_an.radius_densities(r, bin_widths)
    stats = radius_an.radius_summary(r, zs.shape[1], max(bin_widths), shells, bin_widths)
    stats["model"] = model
    table.to_csv(densities, index=False)
    _write_json(summary, stats)
    plot_radius(table, stats, _title(model, "number density vs radius"), figure)


def axes(
    z,
    table,
    density,
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

    zs = _load(z)
    per_axis, edges, counts = axes_an.axis_table(zs, bin_width)
    dom = axes_an.dominant_axes(per_axis, center_threshold, width_factor)
    per_axis.to_csv(table, index=False)
    axes_an.density_long(edges, counts).to_csv(density, index=False)
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
    axis_planes=None,
) -> None:
    """PC planes and planes of original axes (by default the two most dominant ones)."""
    from zatlas.errors import ConfigError
    from zatlas.plots.figures import plot_pca_variance, plot_planes

    limit_threads(threads)
    zs = _load(z)
    n_comp = max(max(p) for p in planes)
    table, scores = pca_an.fit_pca(zs, n_comp, seed)
    table.to_csv(variance, index=False)
    plot_pca_variance(table, _title(model, "PCA explained variance"), variance_figure)

    if axis_planes is None:
        axis_planes = [axes_an.top_axes(pd.read_csv(axes_table), 2)]
    bad = [p for p in axis_planes if max(p) >= zs.shape[1] or p[0] == p[1]]
    if bad:
        raise ConfigError(
            f"config key 'analysis.pca.axis_planes': {bad} needs two different 0-based axes "
            f"below z_dim = {zs.shape[1]}"
        )
    shown = tsne_an.subset(len(zs), max_points, seed)
    pc_planes = {f"PC{a}/PC{b}": scores[:, [a - 1, b - 1]] for a, b in planes}
    # a column pair of the memory map: N x 2 values read, nothing else copied
    ax_planes = {f"axis {a}/axis {b}": np.asarray(zs[:, [a, b]]) for a, b in axis_planes}
    counts = pca_an.zoom_counts({**pc_planes, **ax_planes}, zooms)
    counts.to_csv(zoom_table, index=False)
    plot_planes(
        {k: v[shown] for k, v in pc_planes.items()},
        zooms,
        _title(model, "PC planes"),
        planes_figure,
    )
    plot_planes(
        {k: v[shown] for k, v in ax_planes.items()},
        zooms,
        _title(model, "planes of original axes"),
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
    recall_queries: int = 1000,
) -> None:
    import time

    from zatlas.plots.figures import plot_tsne

    limit_threads(threads)
    zs = _load(z)
    idx = tsne_an.subset(len(zs), params["n_points"], seed)
    x = np.asarray(zs[idx], dtype=np.float32)  # the one copy (a subset of rows)
    x = tsne_an.reduce_pca(x, params["pca_components"], seed)
    start = time.perf_counter()
    emb, kl = tsne_an.run_tsne(
        x, params["perplexity"], params["early_exaggeration"], params["n_iter"], seed, threads
    )
    seconds = time.perf_counter() - start
    recall = tsne_an.knn_recall(x, emb, 10, recall_queries, seed)
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
            "input_dim": int(x.shape[1]),
            "kl_divergence": kl,
            "knn_recall_10": recall,
            "knn_recall_queries": int(min(recall_queries, len(idx))),
            "color_by": color_by,
            "seconds": seconds,
            "threads": threads,
        },
    )
    label = f"t-SNE {variant}" + (f", colour: {color_by}" if color_by else "")
    plot_tsne(emb, colors, _title(model, label), figure)


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
    fit_points=20_000,
    max_iter=300,
    refine_iter=3,
) -> None:
    import time

    from zatlas.plots.figures import plot_inertia

    limit_threads(threads)
    zs = _load(z)
    idx = tsne_an.subset(len(zs), max_points or len(zs), seed)
    ks = list(range(k_min, k_max + 1, k_step))
    x = np.asarray(zs[idx], dtype=np.float32)  # the one copy of the points
    start = time.perf_counter()
    table = kmeans_an.inertia_sweep(
        x, ks, [seed + i for i in range(n_seeds)], fit_points, max_iter, refine_iter
    )
    seconds = time.perf_counter() - start
    table.to_csv(sweep, index=False)
    stats = kmeans_an.summarize_sweep(table)
    elbow = kmeans_an.kneedle_elbow(stats["k"].to_numpy(), stats["mean"].to_numpy())
    _write_json(
        summary,
        {
            "model": model,
            "n_points": int(len(idx)),
            "fit_points": int(min(fit_points or len(idx), len(idx))),
            "refine_iter": refine_iter,
            "n_fits": int(len(table)),
            "seconds": seconds,
            "elbow_k": elbow,
            "per_k": stats.to_dict(orient="records"),
        },
    )
    plot_inertia(stats, elbow, _title(model, "k-means inertia"), figure)


def vae_stats(z, mu, logvar, table, summary, figure, model: str) -> None:
    from zatlas.analysis.vae_stats import vae_table
    from zatlas.plots.figures import plot_vae_stats

    zs, mus, lvs = _load(z), _load(mu), _load(logvar)
    stats = vae_statistics(zs, mus, lvs)
    vae_table(stats).to_csv(table, index=False)
    _write_json(summary, {"model": model, **stats})
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
    threads: int = 1,
) -> None:
    from zatlas.encoding import decode_points, load_model
    from zatlas.plots.figures import plot_image_grid

    limit_threads(threads, tensorflow=True)
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
    inertia_figure=None,
) -> None:
    """AE against each VAE in one table: radius, dominant axes, inertia, logvar statistics."""
    from zatlas.plots.figures import plot_inertia_overlay, plot_radius_overlay

    rows = []
    densities, summaries, inertias = {}, {}, {}
    for model, path in radius_summaries.items():
        rs = json.loads(Path(path).read_text())
        densities[model] = pd.read_csv(radius_tables[model])
        summaries[model] = rs
        dom = pd.read_csv(dominant_tables[model])
        km = json.loads(Path(inertia_summaries[model]).read_text())
        per_k = pd.DataFrame(km["per_k"])
        inertias[model] = per_k
        first, last = per_k.iloc[0], per_k.iloc[-1]
        row = {
            "model": model,
            "radius_peak": rs["peak"],
            "radius_mean": rs["mean"],
            "radius_std": rs["std"],
            "sqrt_z_dim": rs["gaussian_expectation"],
            "n_dominant_axes": len(dom),
            "dominant_axes": " ".join(
                f"{int(r.axis)}(c={r.center:+.2f},w={r.fwhm:.2f})" for r in dom.head(5).itertuples()
            ),
            "elbow_k": km["elbow_k"],
            f"inertia_k{int(first['k'])}": first["mean"],
            f"inertia_k{int(last['k'])}": last["mean"],
            "inertia_ratio_last_first": last["mean"] / first["mean"],
            "inertia_max_seed_spread": float(((per_k["max"] - per_k["min"]) / per_k["mean"]).max()),
        }
        for shell in rs["shells"]:
            row[f"fraction_{shell['low']:g}_{shell['high']:g}"] = shell["fraction"]
        if model in vae_summaries:
            vs = json.loads(Path(vae_summaries[model]).read_text())
            row.update(
                {
                    k: vs.get(k)
                    for k in (
                        "logvar_mean",
                        "logvar_min",
                        "logvar_max",
                        "logvar_fraction_in_-3_5",
                        "abs_z_minus_mu_max",
                        "abs_z_minus_mu_fraction_above_0.05",
                        "radius_rel_diff_max",
                        "radius_rel_diff_mean",
                    )
                }
            )
        rows.append(row)
    pd.DataFrame(rows).to_csv(table, index=False)
    plot_radius_overlay(densities, summaries, z_dim, figure)
    if inertia_figure is not None:
        plot_inertia_overlay(inertias, inertia_figure)


def report(
    config: dict,
    inputs: list[str],
    captions_dir: str,
    benchmarks_dir: str,
    out_html: str,
    source: str | None = None,
    repo: str | None = None,
) -> None:
    """Write the run's index.html. Structure-analysis files on disk that the rule did not
    list are shown too; benchmarks are every job's, plus the data set's acquire job."""
    from zatlas.report import build_report

    bench_dir = Path(benchmarks_dir)
    benchmarks = sorted(str(p) for p in bench_dir.glob("**/*.tsv") if p.parent.name != "report")
    if source and (Path(source).parent / "acquire.benchmark.tsv").exists():
        benchmarks.insert(0, str(Path(source).parent / "acquire.benchmark.tsv"))
    listed = {Path(p) for p in inputs}
    run_dir = Path(out_html).parent.parent
    extra = sorted(
        p
        for p in run_dir.glob("analysis/*/structure/**/*")
        if p.suffix in (".png", ".csv", ".json") and p not in listed
    )
    build_report(
        config, [*inputs, *map(str, extra)], captions_dir, benchmarks, out_html, source, repo
    )


# -- beyond the blog: null models, dimensions, sampling strategies, attributes, KL sweep --


def _pc_planes(x: np.ndarray, zs: np.ndarray, planes, seed: int, block: int = 65536) -> dict:
    """Every configured PC plane of all points, with PCA fitted on the subset x."""
    from sklearn.decomposition import PCA

    n_comp = min(max(max(p) for p in planes), x.shape[0], x.shape[1])
    fit = PCA(n_components=n_comp, random_state=seed).fit(x)
    scores = np.concatenate(
        [fit.transform(np.asarray(zs[i : i + block], np.float32)) for i in range(0, len(zs), block)]
    )
    return {f"PC{a}/PC{b}": scores[:, [a - 1, b - 1]] for a, b in planes if max(a, b) <= n_comp}


def structure(
    threads: int,
    z,
    nn_table,
    void_table,
    verdicts,
    summary,
    figure,
    tsne_figure,
    model: str,
    max_points: int,
    test_points: int,
    alpha: float,
    min_effect: float,
    grid: int,
    null_replicates: int,
    tsne_points: int,
    planes,
    zooms,
    tsne_iter: int,
    seed: int,
) -> None:
    """Filaments and voids against the matched-Gaussian null, with the verdict table."""
    from zatlas.analysis import structure as st
    from zatlas.plots.structure import plot_structure, plot_tsne_pair

    limit_threads(threads)
    zs = _load(z)
    x = np.asarray(zs[tsne_an.subset(len(zs), max_points, seed)], dtype=np.float32)
    null = st.matched_gaussian(x, seed)
    d_data, d_null = st.knn_distances(x, 2, threads), st.knn_distances(null, 2, threads)
    rows = st.nn_distance_tests(d_data[:, 0], d_null[:, 0], test_points, alpha, min_effect, seed)
    rows.append(st.twonn_test(d_data, d_null, test_points, alpha, min_effect, seed))
    hist = st.nn_histograms(d_data[:, 0], d_null[:, 0])
    hist.to_csv(nn_table, index=False)

    voids = st.void_table(_pc_planes(x, zs, planes, seed), zooms, grid, null_replicates, seed)
    voids.to_csv(void_table, index=False)
    rows += st.void_verdicts(voids, alpha, min_effect)
    table = st.verdicts(model, rows)
    table.to_csv(verdicts, index=False)

    n_tsne = min(tsne_points, len(x))
    perplexity = min(30.0, (n_tsne - 2) / 3)
    # Barnes-Hut (below 10,000 points) synchronises threads every iteration: one is faster
    jobs = threads if n_tsne >= 10_000 else 1
    emb_data, kl_data = tsne_an.run_tsne(x[:n_tsne], perplexity, 12, tsne_iter, seed, jobs)
    emb_null, kl_null = tsne_an.run_tsne(null[:n_tsne], perplexity, 12, tsne_iter, seed, jobs)
    overall = table.iloc[-1]
    voids_judged = table[table["statistic"] == "void_fraction"]
    _write_json(
        summary,
        {
            "model": model,
            "n_points": int(len(x)),
            "z_dim": int(x.shape[1]),
            "verdict": overall["verdict"],
            "test": overall["test"],
            "p_value": overall["p_value"],
            "nn_median_data": float(np.median(d_data[:, 0])),
            "nn_median_null": float(np.median(d_null[:, 0])),
            "nn_median_ratio": overall["effect_size"],
            "n_void_tests": len(voids_judged),
            "n_void_beyond_null": int((voids_judged["verdict"] != st.CONSISTENT).sum()),
            "tsne_points": int(n_tsne),
            "tsne_perplexity": perplexity,
            "tsne_kl_data": kl_data,
            "tsne_kl_null": kl_null,
        },
    )
    plot_structure(hist, voids, _title(model, "structure against a matched Gaussian"), figure)
    plot_tsne_pair(emb_data, emb_null, _title(model, "t-SNE of z beside its null"), tsne_figure)


def intrinsic_dim(
    threads: int,
    z,
    mean,
    table,
    units,
    summary,
    figure,
    model: str,
    max_points: int,
    mle_k,
    active_threshold: float,
    seed: int,
) -> None:
    """Intrinsic dimension (TwoNN, Levina-Bickel) of z against its null, and active units
    of E[z | x] (mu for a VAE, z for an AE)."""
    from zatlas.analysis import intrinsic_dim as idim
    from zatlas.analysis.active_units import active_units
    from zatlas.analysis.structure import matched_gaussian
    from zatlas.errors import ZatlasError
    from zatlas.plots.structure import plot_dimensions

    limit_threads(threads)
    zs = _load(z)
    x = np.asarray(zs[tsne_an.subset(len(zs), max_points, seed)], dtype=np.float32)
    if len(x) <= max(mle_k):
        raise ZatlasError(
            f"analysis.structure.mle_k: {max(mle_k)} neighbours need more than the {len(x)} "
            "points available; lower mle_k or raise analysis.structure.max_points"
        )
    null = matched_gaussian(x, seed)
    dims = idim.dimension_table(
        idim.estimates(x, mle_k, threads), idim.estimates(null, mle_k, threads), x.shape[1], len(x)
    )
    dims.to_csv(table, index=False)
    n_active, per_unit = active_units(_load(mean), active_threshold)
    per_unit.to_csv(units, index=False)
    by = dims.set_index("estimator")
    _write_json(
        summary,
        {
            "model": model,
            "z_dim": int(x.shape[1]),
            "n_points": int(len(x)),
            **{f"{k}_data": float(v) for k, v in by["data"].items()},
            **{f"{k}_null": float(v) for k, v in by["null"].items()},
            "active_threshold": active_threshold,
            "active_units": n_active,
            "active_fraction": n_active / x.shape[1],
        },
    )
    plot_dimensions(dims, per_unit, active_threshold, _title(model, "dimensions"), figure)


def sampling_strategies(
    threads: int,
    z,
    attributes,
    encoder,
    decoder,
    table,
    samples_figure,
    scores_figure,
    model: str,
    n_decoded: int,
    n_scored: int,
    reference_points: int,
    uniform_boxes,
    gmm_components: int,
    seed: int,
) -> None:
    """Decode samples of every strategy; score how on-manifold they are (NN distance to the
    training z-points) and how stable decode -> encode -> decode is. Held-out real z-points
    (validation and test splits) are the reference row."""
    from zatlas.analysis import density
    from zatlas.decoding_checks import cycle_errors
    from zatlas.encoding import load_model
    from zatlas.plots.structure import plot_image_rows, plot_sampling_scores

    limit_threads(threads, tensorflow=True)
    zs = _load(z)
    split = pd.read_parquet(attributes, columns=["split"])["split"].to_numpy()
    train_rows = np.flatnonzero(split == "train")
    held_rows = np.flatnonzero(split != "train")
    if not len(train_rows):  # no split recorded: every point is a training point
        train_rows, held_rows = np.arange(len(zs)), np.arange(0)
    pick = train_rows[tsne_an.subset(len(train_rows), reference_points, seed)]
    reference = np.asarray(zs[pick], dtype=np.float32)
    scorer = density.ManifoldScorer(reference, threads)
    found = density.strategies(reference, uniform_boxes, gmm_components, seed)
    enc, dec = load_model(encoder), load_model(decoder)
    rng = np.random.default_rng(seed)
    draws = {name: s.draw(n_scored, rng) for name, s in found.items()}
    descriptions = {name: s.description for name, s in found.items()}
    if len(held_rows):
        held = held_rows[tsne_an.subset(len(held_rows), n_scored, seed)]
        draws["held_out"] = np.asarray(zs[held], dtype=np.float32)
        descriptions["held_out"] = "real z-points of the validation and test images"
    rows, scores, cycles, images = [], {}, {}, {}
    for name, pts in draws.items():
        scores[name] = scorer(pts)
        cyc = cycle_errors(enc, dec, pts)
        cycles[name] = cyc["pixel_mse"]
        images[name] = cyc["images"][:n_decoded]
        rows.append(
            {
                **density.score_summary(name, pts, scores[name], scorer.within),
                "cycle_mse_mean": float(cyc["pixel_mse"].mean()),
                "cycle_mse_median": float(np.median(cyc["pixel_mse"])),
                "latent_drift_median": float(np.median(cyc["latent_drift"])),
                "description": descriptions[name],
            }
        )
    pd.DataFrame(rows).to_csv(table, index=False)
    plot_image_rows(images, _title(model, "decoded from each sampling strategy"), samples_figure)
    plot_sampling_scores(
        scores, cycles, scorer.within, _title(model, "sampling strategies"), scores_figure
    )


def attributes(
    threads: int,
    z,
    attributes,
    tsne_embedding,
    table,
    summary,
    scatter_figure,
    nmi_figure,
    model: str,
    k: int,
    max_points: int,
    color_by,
    seed: int,
) -> None:
    """NMI between k-means clusters of z and each CelebA attribute; PCA and t-SNE scatters
    coloured by the chosen attributes."""
    from zatlas.analysis import attributes as attr_an
    from zatlas.data.attributes import CELEBA_ATTRIBUTES
    from zatlas.errors import ZatlasError
    from zatlas.plots.structure import plot_attribute_scatters, plot_nmi

    limit_threads(threads)
    zs = _load(z)
    frame = pd.read_parquet(attributes)
    names = [a for a in CELEBA_ATTRIBUTES if a in frame]
    idx = tsne_an.subset(len(zs), max_points, seed)
    if k >= len(idx):
        raise ZatlasError(
            f"analysis.attributes.k: {k} clusters need more than the {len(idx)} points used; "
            "lower k or raise analysis.attributes.max_points"
        )
    x = np.asarray(zs[idx], dtype=np.float32)
    labels = attr_an.kmeans_labels(x, k, seed)
    nmi = attr_an.attribute_nmi(labels, frame.iloc[idx][names].reset_index(drop=True))
    nmi.to_csv(table, index=False)
    best = nmi.iloc[0]
    _write_json(
        summary,
        {
            "model": model,
            "k": k,
            "n_points": int(len(idx)),
            "best_attribute": best["attribute"],
            "best_nmi": best["nmi"],
            "mean_nmi": float(nmi["nmi"].mean()),
            "mean_ami": float(nmi["ami"].mean()),
            "n_attributes_nmi_above_0.1": int((nmi["nmi"] > 0.1).sum()),
        },
    )
    plot_nmi(nmi, k, _title(model, "k-means clusters against attributes"), nmi_figure)

    shown = list(color_by)
    pcs = tsne_an.reduce_pca(x, 2, seed)
    projections = {"PCA": (pcs, frame.iloc[idx][shown])}
    emb = pd.read_csv(tsne_embedding)
    projections["t-SNE"] = (
        emb[["x", "y"]].to_numpy(),
        frame.iloc[emb["index"].to_numpy()][shown],
    )
    plot_attribute_scatters(projections, _title(model, "coloured by attributes"), scatter_figure)


def kl_sweep(
    models: dict,
    z: dict,
    logvar: dict,
    histories: dict,
    dimensions: dict,
    table,
    figure,
    z_dim: int,
) -> None:
    """Every model of the config against kl_factor: radius, mean logvar, active units and
    reconstruction loss (last epoch, validation when recorded)."""
    from zatlas.plots.structure import plot_kl_sweep

    rows = []
    for name, spec in models.items():
        r = radius_an.radii(_load(z[name]))
        hist = pd.read_csv(histories[name])
        has_val = "val_reco_loss" in hist and hist["val_reco_loss"].notna().all()
        reco = "val_reco_loss" if has_val else "reco_loss"
        kl = "val_kl_loss" if reco.startswith("val_") and "val_kl_loss" in hist else "kl_loss"
        dims = json.loads(Path(dimensions[name]).read_text())
        logvar_mean = np.nan
        if name in logvar:
            lv = _load(logvar[name])
            blocks = range(0, len(lv), 65536)
            total = sum(np.asarray(lv[i : i + 65536], np.float64).sum() for i in blocks)
            logvar_mean = float(total / lv.size)
        rows.append(
            {
                "model": name,
                "type": spec["type"],
                "kl_factor": float(spec.get("kl_factor", 1.0)) if spec["type"] == "vae" else np.nan,
                "radius_p5": float(np.quantile(r, 0.05)),
                "radius_median": float(np.median(r)),
                "radius_p95": float(np.quantile(r, 0.95)),
                "radius_mean": float(r.mean()),
                "logvar_mean": logvar_mean,
                "active_units": int(dims["active_units"]),
                "twonn_dimension": float(dims.get("twonn_data", np.nan)),
                "reco_loss": float(hist[reco].iloc[-1]),
                "kl_loss": float(hist[kl].iloc[-1]),
                "loss_column": reco,
                "z_dim": z_dim,
            }
        )
    out = pd.DataFrame(rows)
    out = pd.concat(
        [out[out["type"] != "vae"], out[out["type"] == "vae"].sort_values("kl_factor")],
        ignore_index=True,
    )
    out.to_csv(table, index=False)
    plot_kl_sweep(out, figure)
