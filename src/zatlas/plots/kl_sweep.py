"""Every model against its KL factor."""

from __future__ import annotations

import numpy as np
import pandas as pd

from zatlas.plots import plt, save

# The report's words for this stage (our page and Snakemake's, zatlas.captions): CAPTION
# under every figure without its own, FILE_CAPTIONS by output file stem.
CAPTION = """\
Every model of the config against its kl_factor: radius of the z-points (median, band from
the 5th to the 95th percentile; dotted: sqrt(z_dim)), mean logvar, active units and the
reconstruction loss of the last epoch (validation when recorded); the AE, which has no KL
term, is a dashed horizontal line. With a family of VAEs over several decades of kl_factor
this shows where a VAE stops behaving like a plain AE.
"""


def plot_kl_sweep(table: pd.DataFrame, path) -> None:
    """Radius, mean logvar, active units, reconstruction loss against kl_factor (VAEs); the
    AE (no KL term) as a horizontal line."""
    vae = table[table["type"] == "vae"].sort_values("kl_factor")
    ae = table[table["type"] == "ae"]
    x = vae["kl_factor"].clip(lower=1e-12)
    panels = [
        ("radius_median", "radius ||z|| (median, 5-95%)"),
        ("logvar_mean", "mean logvar"),
        ("active_units", "active units"),
        ("reco_loss", "reconstruction loss (last epoch)"),
    ]
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.8))
    for ax, (col, label) in zip(axes, panels, strict=True):
        if col == "radius_median" and len(vae):
            ax.fill_between(x, vae["radius_p5"], vae["radius_p95"], alpha=0.3)
        if len(vae):
            ax.plot(x, vae[col], "o-", label="VAE")
        for i, (_, r) in enumerate(ae.iterrows()):
            if np.isfinite(r[col]):
                ax.axhline(r[col], color=f"C{i + 1}", ls="--", label=f"{r['model']} (AE)")
        ax.set_xscale("log")
        ax.set(xlabel="kl_factor", title=label)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    if "z_dim" in table and len(table):
        axes[0].axhline(np.sqrt(table["z_dim"].iloc[0]), color="k", ls=":", lw=0.8)
        axes[2].axhline(table["z_dim"].iloc[0], color="k", ls=":", lw=0.8)
    fig.suptitle("KL sweep: VAEs against kl_factor")
    save(fig, path)
