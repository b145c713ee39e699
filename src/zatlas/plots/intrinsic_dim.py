"""The intrinsic-dimension estimates against their null, and the active units."""

from __future__ import annotations

import numpy as np
import pandas as pd

from zatlas.plots import plt, save

# The report's words for this stage (our page and Snakemake's, zatlas.captions): CAPTION
# under every figure without its own, FILE_CAPTIONS by output file stem.
CAPTION = """\
Left: intrinsic dimension of the z-point cloud by TwoNN (Facco et al. 2017) and the
Levina-Bickel maximum-likelihood estimate at several neighbourhood sizes k, beside the same
estimates on the matched-Gaussian null and against z_dim. A data dimension far below the
null's means the points lie near a lower-dimensional manifold than their covariance implies.
Right: active units (Burda et al. 2016), the variance over the data of E[z_u | x] (mu for a
VAE, z for an AE) per unit, sorted; a unit is active above the threshold.
"""


def plot_dimensions(
    dims: pd.DataFrame, units: pd.DataFrame, threshold: float, title: str, path
) -> None:
    """Left: intrinsic dimension estimates, data beside null, with z_dim; right: unit variances."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    x = np.arange(len(dims))
    ax1.bar(x - 0.2, dims["data"], 0.4, label="data")
    ax1.bar(x + 0.2, dims["null"], 0.4, label="matched Gaussian")
    ax1.axhline(dims["z_dim"].iloc[0], color="k", ls=":", label="z_dim")
    ax1.set_xticks(x, dims["estimator"])
    ax1.set(ylabel="intrinsic dimension", title="intrinsic dimension", yscale="log")
    ax1.legend(fontsize=8)
    var = np.sort(units["variance"].to_numpy())[::-1]
    ax2.semilogy(np.arange(1, len(var) + 1), np.maximum(var, 1e-12), ".-")
    ax2.axhline(threshold, color="C3", ls="--", label=f"threshold {threshold:g}")
    n_active = int(units["active"].sum())
    ax2.set(
        xlabel="unit (sorted)",
        ylabel="Var_x(E[z_u | x])",
        title=f"active units: {n_active} of {len(var)}",
    )
    ax2.legend(fontsize=8)
    fig.suptitle(title)
    save(fig, path)
