"""The training curves: loss, reconstruction and KL loss per epoch."""

from __future__ import annotations

import pandas as pd

from zatlas.plots import plt, save


def plot_history(history: pd.DataFrame, title: str, path) -> None:
    cols = [c for c in ("loss", "reco_loss", "kl_loss") if c in history]
    fig, axes = plt.subplots(1, len(cols), figsize=(4.2 * len(cols), 3.4), squeeze=False)
    for ax, col in zip(axes[0], cols, strict=True):
        ax.plot(history["epoch"], history[col], "o-", label="train")
        if f"val_{col}" in history:
            ax.plot(history["epoch"], history[f"val_{col}"], "s--", label="validation")
        ax.set(xlabel="epoch", title=col.replace("_", " "))
        ax.legend()
    fig.suptitle(title)
    save(fig, path)
