"""axes: number density along every axis of z, and the dominant (off-centre or wide) axes."""

from __future__ import annotations

from zatlas.analysis import axes as axes_an
from zatlas.stages.files import load, title


def run(
    z,
    table,
    density,
    dominant,
    figure_all,
    figure_dominant,
    model: str,
    bin_width,
    center_threshold,
    width_factor,
    max_plotted,
) -> None:
    from zatlas.plots.figures import plot_axes_all, plot_axes_dominant

    zs = load(z)
    per_axis, edges, counts = axes_an.axis_table(zs, bin_width)
    dom = axes_an.dominant_axes(per_axis, center_threshold, width_factor)
    per_axis.to_csv(table, index=False)
    axes_an.density_long(edges, counts).to_csv(density, index=False)
    dom.to_csv(dominant, index=False)
    plot_axes_all(
        edges, counts, title(model, f"density along all {len(per_axis)} axes"), figure_all
    )
    plot_axes_dominant(
        edges, counts, dom.head(max_plotted), title(model, "dominant axes"), figure_dominant
    )
