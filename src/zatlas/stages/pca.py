"""pca: explained variance, and the PC planes and planes of original axes at every zoom."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from zatlas.analysis import axes as axes_an
from zatlas.analysis import pca as pca_an
from zatlas.analysis import scale as scale_an
from zatlas.analysis.subsample import subset
from zatlas.stages.files import limit_threads, load, title, write_json


def check_config(cfg: Mapping, n: int) -> list[str]:
    """Cross-field problems of this stage's settings in the resolved config `cfg` (with `n`
    images), each naming its key; run by config.validate_config when the config is read."""
    problems = []
    from zatlas.external.spec import narrowest_width

    z_dim, pca = narrowest_width(cfg), cfg["analysis"]["pca"]
    n_pcs = min(n, z_dim)
    for i, plane in enumerate(pca["planes"]):
        if max(plane) > n_pcs or plane[0] == plane[1]:
            problems.append(
                f"config key 'analysis.pca.planes[{i}]': {plane} needs two different components "
                f"<= {n_pcs} (min of z_dim and the number of images)"
            )
    for i, plane in enumerate(pca.get("axis_planes") or []):
        if max(plane) >= z_dim or plane[0] == plane[1]:
            problems.append(
                f"config key 'analysis.pca.axis_planes[{i}]': {plane} needs two different "
                f"0-based axes below z_dim = {z_dim} (the narrowest model's)"
            )
    return problems


def run(
    z,
    axes_table,
    variance,
    variance_figure,
    zoom_table,
    summary,
    planes_figure,
    axis_planes_figure,
    model: str,
    planes,
    zooms,
    max_points,
    seed,
    axis_planes,
    scale,
    threads: int = 1,
) -> None:
    """PC planes and planes of original axes (by default the two most dominant ones)."""
    from zatlas.errors import ConfigError
    from zatlas.plots.pca import plot_pca_variance, plot_planes

    limit_threads(threads)
    zs = load(z)
    n_comp = max(max(p) for p in planes)
    table, scores = pca_an.fit_pca(zs, n_comp, seed)
    table.to_csv(variance, index=False)
    plot_pca_variance(table, title(model, "PCA explained variance"), variance_figure)

    per_axis = pd.read_csv(axes_table)
    if axis_planes is None:
        axis_planes = [axes_an.top_axes(per_axis, 2)]
    bad = [p for p in axis_planes if max(p) >= zs.shape[1] or p[0] == p[1]]
    if bad:
        raise ConfigError(
            f"config key 'analysis.pca.axis_planes': {bad} needs two different 0-based axes "
            f"below z_dim = {zs.shape[1]}"
        )
    # one unit for every plane, so the windows of PC and axis planes are the same squares
    lengths = scale_an.describe(scale, per_axis["std"])
    sides = scale_an.lengths(zooms, scale, per_axis["std"])
    shown = subset(len(zs), max_points, seed)
    pc_planes = {f"PC{a}/PC{b}": scores[:, [a - 1, b - 1]] for a, b in planes}
    # a column pair of the memory map: N x 2 values read, nothing else copied
    ax_planes = {f"axis {a}/axis {b}": np.asarray(zs[:, [a, b]]) for a, b in axis_planes}
    counts = pca_an.zoom_counts({**pc_planes, **ax_planes}, zooms, lengths["unit"])
    counts.to_csv(zoom_table, index=False)
    write_json(summary, {"model": model, **lengths, "zooms": list(zooms), "sides": sides})
    labels = [zoom_label(z, s, scale) for z, s in zip(zooms, sides, strict=True)]
    plot_planes(
        {k: v[shown] for k, v in pc_planes.items()},
        sides,
        title(model, "PC planes"),
        planes_figure,
        labels,
    )
    plot_planes(
        {k: v[shown] for k, v in ax_planes.items()},
        sides,
        title(model, "planes of original axes"),
        axis_planes_figure,
        labels,
    )


def zoom_label(zoom, side, scale: str) -> str:
    """A panel's title: the configured zoom and, when relative, the side it became."""
    if zoom is None:
        return "full view"
    if scale == "relative":
        return f"side {zoom:g} σ̃ = {side:.3g}"
    return f"side {zoom:g}"
