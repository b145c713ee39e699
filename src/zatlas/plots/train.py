"""The training curves: loss, reconstruction and KL loss per epoch."""

from __future__ import annotations

import pandas as pd

from zatlas.plots import plt, save

# The report's words for this stage (our page and Snakemake's, zatlas.captions): CAPTION
# under every figure without its own, FILE_CAPTIONS by output file stem.
CAPTION = """\
Training curves of one model: total loss, reconstruction loss and KL loss per epoch, on the
training split (solid, circles) and on the validation split (dashed, squares). The
reconstruction loss is the binary cross-entropy summed over the pixels of an image and averaged
over the batch; the total is reconstruction + kl_factor × KL, so for an AE (and a VAE with a
tiny kl_factor) total and reconstruction coincide and the KL of an AE is 0. A validation curve
that turns up while the training curve keeps falling means overfitting.
"""


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
