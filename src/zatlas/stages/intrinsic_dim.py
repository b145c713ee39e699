"""intrinsic_dim: intrinsic dimension of z against its null, and active units."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from zatlas.analysis.subsample import subset
from zatlas.stages.files import limit_threads, load, title, write_json


def check_config(cfg: Mapping, n: int) -> list[str]:
    """Cross-field problems of this stage's settings in the resolved config `cfg` (with `n`
    images), each naming its key; run by config.validate_config when the config is read."""
    dims = cfg["analysis"].get("intrinsic_dim")
    if dims and max(dims["mle_k"]) >= min(n, dims["max_points"]):
        return [
            f"config key 'analysis.intrinsic_dim.mle_k': {max(dims['mle_k'])} neighbours need "
            f"more than the {min(n, dims['max_points'])} points available"
        ]
    return []


def run(
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
    threads: int = 1,
) -> None:
    """Intrinsic dimension (TwoNN, Levina-Bickel) of z against its null, and active units
    of E[z | x] (mu for a VAE, z for an AE)."""
    from zatlas.analysis import intrinsic_dim as idim
    from zatlas.analysis.active_units import active_units
    from zatlas.analysis.nulls import matched_gaussian
    from zatlas.errors import ZatlasError
    from zatlas.plots.intrinsic_dim import plot_dimensions

    limit_threads(threads)
    zs = load(z)
    x = np.asarray(zs[subset(len(zs), max_points, seed)], dtype=np.float32)
    if len(x) <= max(mle_k):
        raise ZatlasError(
            f"analysis.intrinsic_dim.mle_k: {max(mle_k)} neighbours need more than the {len(x)} "
            "points available; lower mle_k or raise analysis.intrinsic_dim.max_points"
        )
    null = matched_gaussian(x, seed)
    dims = idim.dimension_table(
        idim.estimates(x, mle_k, threads), idim.estimates(null, mle_k, threads), x.shape[1], len(x)
    )
    dims.to_csv(table, index=False)
    n_active, per_unit = active_units(load(mean), active_threshold)
    per_unit.to_csv(units, index=False)
    by = dims.set_index("estimator")
    write_json(
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
    plot_dimensions(dims, per_unit, active_threshold, title(model, "dimensions"), figure)
