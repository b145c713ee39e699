"""k-means inertia against k (mean and min-max over seeds)."""

from __future__ import annotations

import pandas as pd

from zatlas.plots import plt, save


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
