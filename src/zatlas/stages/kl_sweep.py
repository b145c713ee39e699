"""kl_sweep: every model of the config against kl_factor: radius, mean logvar, active units
and reconstruction loss (last epoch, validation when recorded)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from zatlas.analysis import radius as radius_an
from zatlas.stages.files import load, per_model, read_json


def run(z, logvar, histories, dimensions, table, figure, models: dict, vaes, z_dim: int) -> None:
    from zatlas.plots.kl_sweep import plot_kl_sweep

    z = per_model(list(models), z, "z")
    histories = per_model(list(models), histories, "histories")
    dimensions = per_model(list(models), dimensions, "dimensions")
    logvar = per_model(vaes, logvar, "logvar")
    rows = []
    for name, spec in models.items():
        r = radius_an.radii(load(z[name]))
        hist = pd.read_csv(histories[name])
        has_val = "val_reco_loss" in hist and hist["val_reco_loss"].notna().all()
        reco = "val_reco_loss" if has_val else "reco_loss"
        kl = "val_kl_loss" if reco.startswith("val_") and "val_kl_loss" in hist else "kl_loss"
        dims = read_json(dimensions[name])
        logvar_mean = np.nan
        if name in logvar:
            lv = load(logvar[name])
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
