"""The blog's VAE tables: logvar statistics, |z - mu|, radius from z against from mu."""

from __future__ import annotations

import numpy as np

from zatlas.analysis.radius import radii


def vae_statistics(z: np.ndarray, mu: np.ndarray, logvar: np.ndarray, block: int = 65536) -> dict:
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
        "abs_z_minus_mu_max": d_max,
        "abs_z_minus_mu_count_above_0.05": d_above,
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
