"""The VAE's logvar and |z - mu| histograms."""

from __future__ import annotations

from zatlas.plots import plt, save


def plot_vae_stats(logvar_hist, diff_hist, title: str, path) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    for ax, (counts, edges), label in zip(
        axes, (logvar_hist, diff_hist), ("logvar", "|z - mu|"), strict=True
    ):
        ax.stairs(counts, edges)
        ax.set(xlabel=label, ylabel="components", yscale="log")
    fig.suptitle(title)
    save(fig, path)
