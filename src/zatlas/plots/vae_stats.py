"""The VAE's logvar and |z - mu| histograms."""

from __future__ import annotations

from zatlas.plots import plt, save

# The report's words for this stage (our page and Snakemake's, zatlas.captions): CAPTION
# under every figure without its own, FILE_CAPTIONS by output file stem.
CAPTION = """\
VAE only: histograms, over all components of all images, of logvar (left) and of
``|z - mu|`` (right), log-scaled counts. The table holds the blog's numbers: logvar min, max and
mean and the count of components in [-3, 5]; the largest ``|z - mu|`` and the count above 0.05;
the radius computed from z against from mu, with absolute and relative differences. A tiny
kl_factor drives logvar far below 0, so z = mu and the VAE behaves like an AE.
"""


def plot_vae_stats(logvar_hist, diff_hist, title: str, path) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    for ax, (counts, edges), label in zip(
        axes, (logvar_hist, diff_hist), ("logvar", "|z - mu|"), strict=True
    ):
        ax.stairs(counts, edges)
        ax.set(xlabel=label, ylabel="components", yscale="log")
    fig.suptitle(title)
    save(fig, path)
