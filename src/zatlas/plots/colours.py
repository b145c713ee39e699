"""Point colours from an attribute column: numbers on a colour scale, categories (strings)
one colour each (the most frequent first, the rest grey as "other"), with a legend."""

from __future__ import annotations

import numpy as np
import pandas as pd

from zatlas.plots import plt

MAX_CATEGORIES = 12


def is_categorical(values) -> bool:
    """A column of strings (or any non-numeric values) is a category, never a number."""
    return not pd.api.types.is_numeric_dtype(pd.Series(values))


def colour_args(values) -> tuple[dict, list]:
    """(keywords for ax.scatter, legend handles: empty for a numeric column)."""
    if not is_categorical(values):
        return {"c": np.asarray(values, dtype=float), "cmap": "coolwarm"}, []
    labels = pd.Series(values).astype(str)
    top = labels.value_counts().index[:MAX_CATEGORIES].tolist()
    palette = plt.get_cmap("tab20").colors
    colours = {name: palette[i % len(palette)] for i, name in enumerate(top)}
    grey = (0.6, 0.6, 0.6)
    rgb = np.array([colours.get(v, grey) for v in labels])
    handles = [
        plt.Line2D([], [], marker="o", ls="", color=colours[n], label=n, markersize=4) for n in top
    ]
    if len(top) < labels.nunique():
        handles.append(
            plt.Line2D([], [], marker="o", ls="", color=grey, label="other", markersize=4)
        )
    return {"c": rgb}, handles


def legend(ax, handles: list) -> None:
    if handles:
        ax.legend(handles=handles, fontsize=6, loc="best", framealpha=0.7, markerscale=1.5)
