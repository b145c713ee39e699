"""radius: number density of z-points against their distance from the origin."""

from __future__ import annotations

from collections.abc import Mapping

from zatlas.analysis import radius as radius_an
from zatlas.stages.files import load, title, write_json


def check_config(cfg: Mapping, n: int) -> list[str]:
    """Cross-field problems of this stage's settings in the resolved config `cfg` (with `n`
    images), each naming its key; run by config.validate_config when the config is read."""
    problems = []
    for i, shell in enumerate(cfg["analysis"]["radius"]["shells"]):
        if shell[0] >= shell[1]:
            problems.append(f"config key 'analysis.radius.shells[{i}]': lower bound >= upper")
    return problems


def run(z, densities, summary, figure, model: str, bin_widths, shells) -> None:
    from zatlas.plots.radius import plot_radius

    zs = load(z)
    r = radius_an.radii(zs)
    table = radius_an.radius_densities(r, bin_widths)
    stats = radius_an.radius_summary(r, zs.shape[1], max(bin_widths), shells, bin_widths)
    stats["model"] = model
    table.to_csv(densities, index=False)
    write_json(summary, stats)
    plot_radius(table, stats, title(model, "number density vs radius"), figure)
