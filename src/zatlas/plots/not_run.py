"""The figure of an analysis that could not run: its title and the reason, in words."""

from __future__ import annotations

import textwrap

from zatlas.plots import plt, save


def plot_not_run(reason: str, title: str, path) -> None:
    fig, ax = plt.subplots(figsize=(7, 2.6))
    ax.axis("off")
    ax.set_title(title)
    text = "\n".join(textwrap.wrap(f"Not run: {reason}", 80))
    ax.text(0.5, 0.5, text, ha="center", va="center", wrap=True, transform=ax.transAxes)
    save(fig, path)
