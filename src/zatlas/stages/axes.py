"""axes: number density along every axis of z, and the dominant (off-centre or wide) axes."""

from __future__ import annotations

from zatlas.analysis import axes as axes_an
from zatlas.analysis import scale as scale_an
from zatlas.stages.files import load, title, write_json


def run(
    z,
    table,
    density,
    dominant,
    summary,
    figure_all,
    figure_dominant,
    model: str,
    bin_width,
    center_threshold,
    width_factor,
    max_plotted,
    scale,
) -> None:
    from zatlas.plots.axes import plot_axes_all, plot_axes_dominant

    zs = load(z)
    # the bin is a length like the threshold: relative to the spread unless absolute
    bin_used = bin_width * scale_an.factor(scale, scale_an.axis_stds(zs))
    per_axis, edges, counts = axes_an.axis_table(zs, bin_used)
    dom = axes_an.dominant_axes(per_axis, center_threshold, width_factor, scale)
    per_axis.to_csv(table, index=False)
    axes_an.density_long(edges, counts).to_csv(density, index=False)
    dom.to_csv(dominant, index=False)
    lengths = scale_an.describe(scale, per_axis["std"])
    write_json(
        summary,
        {
            "model": model,
            **lengths,
            "bin_width": bin_width,
            "bin_width_used": bin_used,
            "center_threshold": center_threshold,
            "center_limit": center_threshold * lengths["unit"],
            "width_factor": width_factor,
            "median_fwhm": float(per_axis["fwhm"].median()),
            "n_axes": len(per_axis),
            "n_dominant": len(dom),
            "n_off_center": int(dom["off_center"].sum()),
            "n_broad": int(dom["broad"].sum()),
            # axes with more than one mode: no centre or FWHM (NaN in table.csv)
            "n_multimodal": int((per_axis["n_modes"] > 1).sum()),
            "mode_method": "KDE at Silverman's bandwidth; modes by prominence and excess mass",
        },
    )
    plot_axes_all(
        edges, counts, title(model, f"density along all {len(per_axis)} axes"), figure_all
    )
    plot_axes_dominant(
        edges, counts, dom.head(max_plotted), title(model, "dominant axes"), figure_dominant
    )
