"""k-means inertia against k (mean and min-max over seeds)."""

from __future__ import annotations

import pandas as pd

from zatlas.plots import plt, save

# The report's words for this stage (our page and Snakemake's, zatlas.captions): CAPTION
# under every figure without its own, FILE_CAPTIONS by output file stem.
CAPTION = """\
k-means inertia (sum of squared distances to the nearest centre) against k, over several
seeds: the line is the mean, the band the min-max range over the seeds, so a single unlucky
initialisation shows as a spike inside the band. The dashed line is the kneedle elbow of the
mean curve; an elbow at a small k means few well-separated clusters, no clear elbow means none.
"""


def plot_kmeans(summary: pd.DataFrame, elbow: int, title: str, path) -> None:
    fig, ax = plt.subplots(figsize=(6.5, 4))
    ax.fill_between(
        summary["k"], summary["min"], summary["max"], alpha=0.3, label="min-max over seeds"
    )
    ax.plot(summary["k"], summary["mean"], "o-", ms=3, label="mean")
    ax.axvline(elbow, color="C3", ls="--", label=f"elbow k={elbow}")
    ax.set(xlabel="k", ylabel="inertia", title=title)
    ax.legend()
    save(fig, path)
