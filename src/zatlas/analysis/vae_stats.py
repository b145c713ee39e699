"""The blog's VAE tables: logvar statistics, |z - mu|, radius from z against from mu."""

from __future__ import annotations

import numpy as np
import pandas as pd

from zatlas.analysis.radius import radii

# (key of vae_statistics, the blog's row label), in the order of the blog's tables.
ROWS = (
    ("n_points", "number of z-points"),
    ("n_components", "number of components (points x z_dim)"),
    ("logvar_min", "logvar: min"),
    ("logvar_max", "logvar: max"),
    ("logvar_mean", "logvar: mean"),
    ("logvar_count_in_-3_5", "logvar: components with -3 <= logvar <= 5"),
    ("logvar_fraction_in_-3_5", "logvar: share of components with -3 <= logvar <= 5"),
    ("abs_z_minus_mu_max", "|z - mu|: max"),
    ("abs_z_minus_mu_count_above_0.05", "|z - mu|: components above 0.05"),
    ("abs_z_minus_mu_fraction_above_0.05", "|z - mu|: share of components above 0.05"),
    ("radius_z_min", "radius from z: min"),
    ("radius_z_max", "radius from z: max"),
    ("radius_z_mean", "radius from z: mean"),
    ("radius_mu_min", "radius from mu: min"),
    ("radius_mu_max", "radius from mu: max"),
    ("radius_mu_mean", "radius from mu: mean"),
    ("radius_abs_diff_max", "|radius(z) - radius(mu)|: max"),
    ("radius_abs_diff_mean", "|radius(z) - radius(mu)|: mean"),
    ("radius_rel_diff_max", "|radius(z) - radius(mu)| / radius(mu): max"),
    ("radius_rel_diff_mean", "|radius(z) - radius(mu)| / radius(mu): mean"),
)


def vae_statistics(z: np.ndarray, mu: np.ndarray, logvar: np.ndarray, block: int = 16384) -> dict:
    """Blockwise over rows, so 200k x 256 memory-mapped arrays are never copied whole."""
    lv_min, lv_max, lv_sum, lv_in = np.inf, -np.inf, 0.0, 0
    d_max, d_above = 0.0, 0
    for i in range(0, len(z), block):
        lv = np.asarray(logvar[i : i + block], dtype=np.float64)
        lv_min, lv_max = min(lv_min, lv.min()), max(lv_max, lv.max())
        lv_sum += lv.sum()
        lv_in += int(((lv >= -3) & (lv <= 5)).sum())
        diff = np.abs(
            np.asarray(z[i : i + block], np.float64) - np.asarray(mu[i : i + block], np.float64)
        )
        d_max = max(d_max, float(diff.max()))
        d_above += int((diff > 0.05).sum())
    r_z, r_mu = radii(z), radii(mu)
    abs_diff = np.abs(r_z - r_mu)
    rel_diff = abs_diff / np.maximum(r_mu, 1e-12)
    return {
        "n_points": int(len(z)),
        "n_components": int(z.size),
        "logvar_min": float(lv_min),
        "logvar_max": float(lv_max),
        "logvar_mean": float(lv_sum / z.size),
        "logvar_count_in_-3_5": lv_in,
        "logvar_fraction_in_-3_5": lv_in / z.size,
        "abs_z_minus_mu_max": d_max,
        "abs_z_minus_mu_count_above_0.05": d_above,
        "abs_z_minus_mu_fraction_above_0.05": d_above / z.size,
        "radius_z_min": float(r_z.min()),
        "radius_z_max": float(r_z.max()),
        "radius_z_mean": float(r_z.mean()),
        "radius_mu_min": float(r_mu.min()),
        "radius_mu_max": float(r_mu.max()),
        "radius_mu_mean": float(r_mu.mean()),
        "radius_abs_diff_max": float(abs_diff.max()),
        "radius_abs_diff_mean": float(abs_diff.mean()),
        "radius_rel_diff_max": float(rel_diff.max()),
        "radius_rel_diff_mean": float(rel_diff.mean()),
    }


def vae_table(stats: dict) -> pd.DataFrame:
    """The statistics as the blog's table: one labelled row per quantity, in its order."""
    return pd.DataFrame(
        [{"metric": key, "quantity": label, "value": stats[key]} for key, label in ROWS]
    )
