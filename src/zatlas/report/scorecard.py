"""The reproduction scorecard section and the statement of the length scale used."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from zatlas.analysis.scorecard import headline_numbers, scorecard
from zatlas.report.artifacts import Artifact, find_file, models_in, read_json
from zatlas.report.markup import read_caption, rst_to_html, table_html
from zatlas.report.summary import fmt


def headlines(arts: list[Artifact], config: dict) -> dict[str, dict]:
    """Each model's numbers for the card, from the files its stages wrote."""
    out = {}
    for model in models_in(arts, config):
        row: dict = {}
        radius = find_file(arts, "radius", model, "summary.json")
        if radius:
            row["radius_peak"] = read_json(radius).get("peak")
        kmeans = find_file(arts, "kmeans", model, "summary.json")
        if kmeans:
            row["elbow_k"] = read_json(kmeans).get("elbow_k")
        vae = find_file(arts, "vae_stats", model, "stats.json")
        if vae:
            row.update(read_json(vae))
        dominant = find_file(arts, "axes", model, "dominant.csv")
        table = find_file(arts, "axes", model, "table.csv")
        train = find_file(arts, "train", model, "train.json")
        loss = read_json(train).get("final", {}).get("loss") if train else None
        numbers = headline_numbers(
            row,
            pd.read_csv(dominant) if dominant else pd.DataFrame({"fwhm": []}),
            pd.read_csv(table) if table else pd.DataFrame({"fwhm": []}),
            loss,
        )
        if not dominant:
            numbers["n_dominant_axes"] = None
        out[model] = numbers
    return out


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
    card = scorecard(headlines(arts, config), config)
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
