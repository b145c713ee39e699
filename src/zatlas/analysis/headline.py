"""The study's headline numbers, one row per model, from the analyses' own summaries (radius,
dominant axes, k-means, VAE statistics, intrinsic dimension, training, structure verdicts).

The compare stage reads the files and writes the table (compare.csv); the report reads that
table and never computes these numbers a second time."""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from zatlas.analysis.axes import axis_label

# What each model's results hold (absent when the run has no such analysis for it):
# radius, axes, kmeans, vae_stats, intrinsic_dim, train: the stage's summary JSON as a
# dict; dominant: the axes stage's dominant.csv as a DataFrame.
PARTS = ("radius", "dominant", "axes", "kmeans", "vae_stats", "intrinsic_dim", "train")


def headline_row(model: str, spec: Mapping, z_dim: int | None, parts: Mapping) -> dict:
    """One model's headline numbers from its analyses' summaries (`parts`, keys of PARTS)."""
    row: dict = {"model": model, "type": spec.get("type", "")}
    row["kl_factor"] = spec.get("kl_factor") if spec.get("type") == "vae" else None
    rs = parts.get("radius")
    if rs is not None:
        sqrt_z = rs.get("gaussian_expectation") or (math.sqrt(z_dim) if z_dim else None)
        row["radius_peak"] = rs.get("peak")
        if (rs.get("n_modes") or 1) > 1:  # no single peak: the modes, and why
            row["radius_modes"] = " ".join(f"{m:.4g}" for m in rs["modes"])
            row["radius_peak_note"] = rs.get("peak_note")
        row["sqrt_z_dim"] = sqrt_z
        if rs.get("peak") is not None and sqrt_z:
            row["peak_over_sqrt_z_dim"] = rs["peak"] / sqrt_z
        row["radius_mean"] = rs.get("mean")
        row["radius_std"] = rs.get("std")
    dom = parts.get("dominant")
    if dom is not None:
        row["n_dominant_axes"] = len(dom)
        row["dominant_fwhm_median"] = float(dom["fwhm"].median()) if len(dom) else None
        row["dominant_axes"] = (
            ", ".join(f"{int(r['axis'])} ({axis_label(r)})" for _, r in dom.head(5).iterrows())
            or "none"
        )
    ax = parts.get("axes")
    if ax is not None:
        row["scale"], row["scale_unit"] = ax.get("scale"), ax.get("unit")
        row["n_multimodal_axes"] = ax.get("n_multimodal")
        if ax.get("median_fwhm") and row.get("dominant_fwhm_median") is not None:
            row["dominant_width_ratio"] = row["dominant_fwhm_median"] / ax["median_fwhm"]
    km = parts.get("kmeans")
    if km is not None:
        row["elbow_k"] = km.get("elbow_k")
    vs = parts.get("vae_stats")
    if vs is not None:
        row["logvar_mean"] = vs.get("logvar_mean")
        row["abs_z_minus_mu_max"] = vs.get("abs_z_minus_mu_max")
        row["radius_rel_diff_mean"] = vs.get("radius_rel_diff_mean")
    ds = parts.get("intrinsic_dim")
    if ds is not None:
        for key, value in ds.items():
            if key.lower().startswith("twonn") and key.endswith(("_data", "_null")):
                row[f"intrinsic_dim_{key.lower()}"] = value
        row["active_units"] = ds.get("active_units")
    tr = parts.get("train")
    if tr is not None:
        final = tr.get("final", {})
        row["val_reco_loss"] = final.get("val_reco_loss")
        row["final_loss"] = final.get("loss")
    return row


def headline_table(
    models: Mapping[str, Mapping],
    z_dim: int | None,
    parts: Mapping[str, Mapping],
    verdicts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per model (`models`: name -> config spec, in order) with the study's headline
    numbers; absent analyses leave NaN. `verdicts`: the structure verdict tables of all
    models together (a `model` column), whose `overall` rows give each model's verdict."""
    frame = pd.DataFrame(
        [headline_row(m, spec, z_dim, parts.get(m, {})) for m, spec in models.items()]
    )
    if verdicts is not None and "statistic" in verdicts:
        overall = verdicts[verdicts["statistic"] == "overall"]
        verdicts = verdicts if overall.empty else overall
    if verdicts is not None and "verdict" in verdicts and "model" in verdicts and not frame.empty:
        joined = verdicts.groupby("model")["verdict"].agg(
            lambda v: "; ".join(dict.fromkeys(map(str, v)))
        )
        frame["structure_verdict"] = frame["model"].map(joined)
    return frame
