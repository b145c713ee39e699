"""The reproduction scorecard section and the statement of the length scale used."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from zatlas.analysis.scorecard import scorecard
from zatlas.report.artifacts import Artifact, find_file, models_in, read_json
from zatlas.report.markup import read_caption, rst_to_html, table_html
from zatlas.report.summary import fmt


def headlines(arts: list[Artifact]) -> dict[str, dict]:
    """Each model's numbers for the card, from compare.csv (the one table of headline
    numbers, written by the compare stage)."""
    path = find_file(arts, "compare", "all models", "compare.csv")
    if path is None or not path.exists():
        return {}
    frame = pd.read_csv(path)
    frame = frame.astype(object).where(frame.notna(), None)
    return {str(r["model"]): r for r in frame.to_dict(orient="records")}


def scale_statement(arts: list[Artifact], config: dict) -> str:
    """Which length scale the zoom windows and the dominant-axis threshold used."""
    mode = config.get("analysis", {}).get("scale", "relative")
    units = []
    for model in models_in(arts, config):
        path = find_file(arts, "axes", model, "summary.json") or find_file(
            arts, "pca", model, "summary.json"
        )
        if path and "median_axis_std" in read_json(path):
            units.append(f"{model} {fmt(read_json(path)['median_axis_std'], 3)}")
    spread = f" (median per-axis standard deviation: {', '.join(units)})" if units else ""
    if mode == "absolute":
        return (
            "Lengths are <b>absolute</b> (<code>analysis.scale: absolute</code>): the zoom "
            "sides and the dominant-axis threshold are taken literally, as in the blog"
            f"{spread}."
        )
    return (
        "Lengths are <b>relative</b> (<code>analysis.scale: relative</code>): the zoom sides "
        "and the dominant-axis threshold are in units of each model's median per-axis "
        f"standard deviation{spread}; <code>analysis.scale: absolute</code> takes them "
        "literally, as the blog did."
    )


def render_scorecard(arts: list[Artifact], config: dict, captions_dir: str | Path) -> str:
    card = scorecard(headlines(arts), config)
    parts = ["<h2 id='scorecard'>Reproduction scorecard</h2>"]
    if card["comparable"]:
        parts.append("<p>This run uses CelebA at the blog's settings: its numbers compare.</p>")
    else:
        diff = card["differences"]
        parts.append(
            f"<p>This run differs from the blog's in {len(diff)} setting(s), so its numbers "
            "are not a reproduction (they are shown for orientation):</p>"
        )
        parts.append(table_html(diff.astype(str), max_rows=len(diff)))
    table = card["table"].copy()
    table["in_range"] = table["in_range"].map({True: "yes", False: "no"}).fillna("")
    parts.append(table_html(table, max_rows=len(table)))
    parts.append(f"<p>{scale_statement(arts, config)}</p>")
    caption = read_caption(captions_dir, "scorecard")
    if caption:
        parts.append(f"<div class='caption'>{rst_to_html(caption)}</div>")
    return "\n".join(parts)
