"""traversals: real faces' codes moved along the dominant original axes and the leading
principal components, across the data's 1st to 99th percentile, and decoded; a grid per
direction and a table of how much the decoded face changes per unit step."""

from __future__ import annotations

from zatlas.stages.files import limit_threads, load, title


def grid_names(n_axes: int, n_components: int) -> list[str]:
    """The grid figures' stems, in the order `run` draws them."""
    return [f"axis-rank{r}" for r in range(1, n_axes + 1)] + [
        f"pc{k}" for k in range(1, n_components + 1)
    ]


def run(
    z,
    axes_table,
    decoder,
    table,
    change_figure,
    grids,
    model: str,
    n_axes: int,
    n_components: int,
    n_starts: int,
    n_steps: int,
    percentiles,
    reference_points: int,
    seed: int,
    threads: int = 1,
) -> None:
    import numpy as np
    import pandas as pd

    from zatlas.analysis import axes as axes_an
    from zatlas.analysis import traversals as tr
    from zatlas.analysis.subsample import subset
    from zatlas.decoders import load_decoder
    from zatlas.encoding import decode_points
    from zatlas.errors import ConfigError
    from zatlas.plots.traversals import plot_traversal_change, plot_traversal_grid

    limit_threads(threads, tensorflow=True)
    zs = load(z)
    if n_axes > zs.shape[1] or n_components > zs.shape[1]:
        raise ConfigError(
            f"analysis.traversals: n_axes ({n_axes}) and n_components ({n_components}) "
            f"must not exceed z_dim = {zs.shape[1]}"
        )
    # directions and percentile ranges from a seeded subset: enough for both
    ref = np.asarray(zs[subset(len(zs), reference_points, seed)], dtype=np.float32)
    directions = {}
    for a in axes_an.top_axes(pd.read_csv(axes_table), n_axes):
        directions[f"axis {a}"] = ("axis", a, tr.axis_direction(a, zs.shape[1]))
    for k, u in enumerate(tr.principal_directions(ref, n_components), 1):
        directions[f"PC{k}"] = ("pc", k, u)
    starts = np.asarray(zs[subset(len(zs), n_starts, seed + 1)], dtype=np.float32)
    dec = load_decoder(decoder)
    low, high = percentiles
    result, images, steps = tr.traverse(
        lambda pts: decode_points(dec, pts), ref, starts, directions, n_steps, low, high
    )
    result.insert(0, "model", model)
    result.to_csv(table, index=False)
    plot_traversal_change(result, title(model, "decoded change per unit step"), change_figure)
    for path, name in zip(grids, directions, strict=True):
        plot_traversal_grid(images[name], steps[name], title(model, f"along {name}"), path)
