"""compare: every model side by side: radius, dominant axes, k-means inertia and the VAE
statistics in one table, and the radius and inertia curves overlaid."""

from __future__ import annotations

import pandas as pd

from zatlas.stages.files import read_json


def _per_model(names, paths, what: str) -> dict:
    if len(names) != len(paths):
        raise ValueError(f"{what}: {len(paths)} files for the {len(names)} models {names}")
    return dict(zip(names, paths, strict=True))


def run(
    radius_tables,
    radius_summaries,
    dominant,
    kmeans,
    vae,
    table,
    figure,
    kmeans_figure,
    models,
    vaes,
    z_dim: int,
) -> None:
    """AE against each VAE in one table: radius, dominant axes, inertia, logvar statistics."""
    from zatlas.plots.figures import plot_inertia_overlay, plot_radius_overlay

    radius_tables = _per_model(models, radius_tables, "radius_tables")
    dominant = _per_model(models, dominant, "dominant")
    kmeans = _per_model(models, kmeans, "kmeans")
    vae = _per_model(vaes, vae, "vae")
    rows = []
    densities, summaries, inertias = {}, {}, {}
    for model, path in _per_model(models, radius_summaries, "radius_summaries").items():
        rs = read_json(path)
        densities[model] = pd.read_csv(radius_tables[model])
        summaries[model] = rs
        dom = pd.read_csv(dominant[model])
        km = read_json(kmeans[model])
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
        if model in vae:
            vs = read_json(vae[model])
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
    plot_inertia_overlay(inertias, kmeans_figure)
