"""compare: the study's headline numbers, one row per model, in compare.csv: the one table
that the report's summary reads (radius, dominant axes, k-means, VAE statistics, intrinsic
dimension, final validation loss, structure verdicts); radius and inertia curves overlaid."""

from __future__ import annotations

import pandas as pd

from zatlas.analysis.axes import mode_positions
from zatlas.analysis.headline import headline_table
from zatlas.stages.files import per_model, read_json


def _compact(r) -> str:
    """ "5(c=+2.50,w=3.00)", or "7(modes=-1.00/+1.00)" where no single centre applies."""
    if r.get("n_modes", 1) > 1:
        return f"{int(r['axis'])}(modes=" + "/".join(f"{m:+.2f}" for m in mode_positions(r)) + ")"
    return f"{int(r['axis'])}(c={r['center']:+.2f},w={r['fwhm']:.2f})"


def read_verdicts(models, paths) -> pd.DataFrame | None:
    """The structure verdict tables of every model in one table with a `model` column."""
    frames = []
    for model, path in per_model(models, paths, "structure").items():
        t = pd.read_csv(path)
        if t.empty:
            continue
        if "model" not in t:
            t.insert(0, "model", model)
        frames.append(t)
    return pd.concat(frames, ignore_index=True) if frames else None


def headline(
    models: dict,
    vaes,
    trained,
    z_dim,
    radius_summaries,
    dominant,
    axes,
    kmeans,
    vae,
    train,
    intrinsic_dim,
    structure,
) -> pd.DataFrame:
    """The headline table (analysis.headline) of the analyses' summary files."""
    names = list(models)
    parts: dict = {m: {} for m in names}
    jsons = {
        "radius": radius_summaries,
        "axes": axes,
        "kmeans": kmeans,
        "intrinsic_dim": intrinsic_dim,
    }
    for part, paths in jsons.items():
        for model, path in per_model(names, paths, part).items():
            parts[model][part] = read_json(path)
    # a training summary only for the models trained here (not those of type external)
    for model, path in per_model(list(trained), train, "train").items():
        parts[model]["train"] = read_json(path)
    for model, path in per_model(list(vaes), vae, "vae").items():
        parts[model]["vae_stats"] = read_json(path)
    for model, path in per_model(names, dominant, "dominant").items():
        parts[model]["dominant"] = pd.read_csv(path)
    return headline_table(models, z_dim, parts, read_verdicts(names, structure))


def run(
    radius_tables,
    radius_summaries,
    dominant,
    axes,
    kmeans,
    vae,
    train,
    intrinsic_dim,
    structure,
    table,
    figure,
    kmeans_figure,
    models: dict,
    vaes,
    trained,
    z_dim: int,
) -> None:
    """Every model in one table: the headline numbers, then the details behind them."""
    from zatlas.plots.compare import plot_kmeans_overlay, plot_radius_overlay

    top = headline(
        models,
        vaes,
        trained,
        z_dim,
        radius_summaries,
        dominant,
        axes,
        kmeans,
        vae,
        train,
        intrinsic_dim,
        structure,
    )
    models = list(models)
    radius_tables = per_model(models, radius_tables, "radius_tables")
    dominant = per_model(models, dominant, "dominant")
    kmeans = per_model(models, kmeans, "kmeans")
    vae = per_model(vaes, vae, "vae")
    rows = []
    densities, summaries, inertias = {}, {}, {}
    for model, path in per_model(models, radius_summaries, "radius_summaries").items():
        rs = read_json(path)
        densities[model] = pd.read_csv(radius_tables[model])
        summaries[model] = rs
        dom = pd.read_csv(dominant[model])
        km = read_json(kmeans[model])
        per_k = pd.DataFrame(km["per_k"])
        row = {
            "model": model,
            "dominant_axes_all": " ".join(_compact(r) for _, r in dom.iterrows()),
        }
        if km.get("not_run"):  # the latents could not be clustered: say so, draw nothing
            row["kmeans_not_run"] = km["not_run"]
        else:
            inertias[model] = per_k
            first, last = per_k.iloc[0], per_k.iloc[-1]
            row[f"inertia_k{int(first['k'])}"] = first["mean"]
            row[f"inertia_k{int(last['k'])}"] = last["mean"]
            row["inertia_ratio_last_first"] = last["mean"] / first["mean"]
            spread = (per_k["max"] - per_k["min"]) / per_k["mean"]
            row["inertia_max_seed_spread"] = float(spread.max())
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
    details = pd.DataFrame(rows)
    details = details[["model", *[c for c in details if c not in top]]]
    top.merge(details, on="model", how="left").to_csv(table, index=False)
    plot_radius_overlay(densities, summaries, z_dim, figure)
    plot_kmeans_overlay(inertias, kmeans_figure)
