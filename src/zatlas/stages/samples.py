"""samples: images decoded from random z-points of several distributions, and
reconstructions of real images."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from zatlas.analysis.subsample import subset
from zatlas.stages.files import limit_threads, load, title


def check_config(cfg: Mapping, n: int) -> list[str]:
    """Cross-field problems of this stage's settings in the resolved config `cfg` (with `n`
    images), each naming its key; run by config.validate_config when the config is read."""
    problems = []
    samples = cfg["analysis"]["samples"]
    if samples["n_reconstructions"] > n:
        problems.append(f"config key 'analysis.samples.n_reconstructions': more than {n} images")
    names = [d["name"] for d in samples["distributions"]]
    if len(set(names)) != len(names):
        problems.append("config key 'analysis.samples.distributions': names must be unique")
    for i, dist in enumerate(samples["distributions"]):
        if dist["kind"] == "uniform" and dist["low"] >= dist["high"]:
            problems.append(f"config key 'analysis.samples.distributions[{i}]': low >= high")
    return problems


def run(
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
    from zatlas.analysis import samples as samples_an
    from zatlas.decoders import load_decoder
    from zatlas.encoding import decode_points
    from zatlas.plots.samples import plot_image_grid

    limit_threads(threads, tensorflow=True)
    zs = load(z)
    rng = np.random.default_rng(seed)
    dec = load_decoder(decoder)
    data_ref = np.asarray(zs[subset(len(zs), 20_000, seed)], dtype=np.float32)
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
    plot_image_grid(groups, title(model, "images decoded from random z-points"), samples_figure)

    ims = load(images)
    pick = subset(len(ims), n_reconstructions, seed)
    originals = np.asarray(ims[pick])
    if encoder:
        from zatlas.encoding import load_model

        code = load_model(encoder)(originals.astype(np.float32) / 255.0, training=False)
        mean = np.asarray(code[0] if isinstance(code, list | tuple) else code)
    else:  # a model trained elsewhere gives no encoder: its z rows are the images' codes
        mean = np.asarray(zs[pick], dtype=np.float32)
    plot_image_grid(
        {"originals": originals, "reconstructions (from mu / z)": decode_points(dec, mean)},
        title(model, "reconstructions of real images"),
        reconstructions_figure,
        per_row=max(len(pick), 1),
    )
