"""Write the explorer: Bokeh WebGL scatters sharing one data source per model, our own
hover card and selection grid around them, every script copied into the results folder.

Bokeh (its WebGL backend) was chosen over Plotly's scattergl, regl-scatterplot and the
embedding-atlas components: its two scripts weigh about 1.5 MB against Plotly's 4.6 MB; a
ColumnDataSource shared by several figures links box and lasso selections across them with
no code of ours; numpy columns travel gzip-compressed inside the page; the Python package
builds the page, so nothing needs Node or a bundler, and nothing is fetched at run time.
"""

from __future__ import annotations

import html
import json
import shutil
from importlib import resources
from pathlib import Path

import numpy as np
from bokeh.palettes import Viridis256

from zatlas.explore.points import Points
from zatlas.explore.sprites import SpriteLayout

CATEGORICAL = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
    "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
]  # fmt: skip
PLOT_PX = 520


def _bokeh_scripts() -> tuple[list[Path], str]:
    import bokeh
    from bokeh.util.paths import bokehjs_path

    js = Path(bokehjs_path()) / "js"
    return [js / "bokeh.min.js", js / "bokeh-gl.min.js"], bokeh.__version__


def copy_static(out_dir: str | Path) -> list[str]:
    """Copy Bokeh's scripts and ours into out_dir/static; their relative paths, load order."""
    static = Path(out_dir) / "static"
    static.mkdir(parents=True, exist_ok=True)
    scripts, version = _bokeh_scripts()
    names = []
    for src in scripts:
        name = src.name.replace(".min.js", f"-{version}.min.js")
        shutil.copyfile(src, static / name)
        names.append(f"static/{name}")
    ours = resources.files("zatlas.explore") / "static"
    for name in ("explore.js", "explore.css"):
        (static / name).write_text((ours / name).read_text())
    return names


def marker_size(n: int) -> float:
    return 6.0 if n < 2_000 else (3.0 if n < 50_000 else 2.0)


def data_range(values: np.ndarray, pad: float = 0.05):
    """A Bokeh Range1d around the finite values, padded by `pad` of their span."""
    from bokeh.models import Range1d

    v = values[np.isfinite(values)]
    lo, hi = (float(v.min()), float(v.max())) if len(v) else (0.0, 1.0)
    margin = (hi - lo) * pad or 1.0
    return Range1d(lo - margin, hi + margin)


def bokeh_item(points: Points, slots: np.ndarray) -> dict:
    """The Bokeh document (as a JSON item): one WebGL figure per view, one shared source."""
    from bokeh.embed import json_item
    from bokeh.layouts import row
    from bokeh.models import (
        BoxSelectTool,
        ColumnDataSource,
        CustomJS,
        HoverTool,
        LassoSelectTool,
        LinearColorMapper,
        PanTool,
        ResetTool,
        WheelZoomTool,
    )
    from bokeh.plotting import figure

    data = {
        "row": points.rows.astype(np.int32),
        "slot": np.asarray(slots, dtype=np.int32),
        "radius": points.radius.astype(np.float32),
        "cluster": points.cluster.astype(np.int32),
        "split": points.split.astype(np.uint8),
        "attr_lo": points.attr_lo,
        "attr_hi": points.attr_hi,
        # the colour column starts as the cluster, so the page need not replace it (a
        # change of data re-indexes every view: seconds at 165,000 points)
        "c": points.cluster.astype(np.float32),
    }
    for i, xy in enumerate(points.views.values()):
        data[f"x{i}"], data[f"y{i}"] = xy[:, 0].copy(), xy[:, 1].copy()
    source = ColumnDataSource(data, name="points")
    k = int(points.cluster.max()) + 1 if len(points) else 1
    mapper = LinearColorMapper(
        palette=[CATEGORICAL[i % len(CATEGORICAL)] for i in range(max(k, 2))],
        low=-0.5,
        high=max(k, 2) - 0.5,
        name="colors",
    )
    hover_js = CustomJS(code="window.zatlas && window.zatlas.hover(cb_data)")
    size = marker_size(len(points))
    figures = []
    for i, name in enumerate(points.views):
        box, lasso = BoxSelectTool(), LassoSelectTool()
        fig = figure(
            title=name,
            # fixed ranges: no data-range pass and no second paint while the page loads
            x_range=data_range(data[f"x{i}"]),
            y_range=data_range(data[f"y{i}"]),
            width=PLOT_PX,
            height=PLOT_PX,
            output_backend="webgl",
            tools=[box, lasso, PanTool(), WheelZoomTool(), ResetTool()],
            active_drag=box,
            name=f"view-{i}",
            min_border=10,
        )
        glyph = fig.scatter(
            f"x{i}",
            f"y{i}",
            source=source,
            size=size,
            line_color=None,
            fill_alpha=0.7,
            fill_color={"field": "c", "transform": mapper},
            selection_fill_alpha=0.9,
            nonselection_fill_alpha=0.08,
        )
        fig.add_tools(HoverTool(renderers=[glyph], tooltips=None, callback=hover_js))
        figures.append(fig)
    source.selected.js_on_change(
        "indices", CustomJS(code="window.zatlas && window.zatlas.select(cb_obj)")
    )
    return json_item(row(*figures))


def page_meta(model: str, points: Points, sprites: SpriteLayout, models: list[str]) -> dict:
    r = points.radius[np.isfinite(points.radius)]
    lo, hi = np.percentile(r, [1, 99]) if len(r) else (0.0, 1.0)
    return {
        "model": model,
        "models": models,
        "n": len(points),
        **id_scheme(points),
        "views": list(points.views),
        "split_names": points.split_names,
        "attribute_names": points.attribute_names,
        "n_clusters": int(points.cluster.max()) + 1 if len(points) else 0,
        "radius_range": [float(lo), float(hi)],
        "categorical": CATEGORICAL,
        "continuous": list(Viridis256),
        "sprites": sprites.to_json(),
        "metadata": points.metadata,
    }


def id_scheme(points: Points) -> dict:
    """The image ids, or just their rule when they are CelebA's own (row r is
    "{r + 1:06d}.jpg"), which saves megabytes of page at full size."""
    if points.ids == [f"{r + 1:06d}.jpg" for r in points.rows]:
        return {"ids": None, "id_format": "celeba"}
    return {"ids": points.ids, "id_format": None}


def _json_script(element_id: str, data) -> str:
    # "</" would end the script element early; JSON allows the escaped form
    text = json.dumps(data, separators=(",", ":"), default=float).replace("</", "<\\/")
    return f'<script type="application/json" id="{element_id}">{text}</script>'


def _nav(current: str | None, models: list[str]) -> str:
    links = ['<a href="index.html">all models</a>'] + [
        f'<a href="{html.escape(m)}.html"{" class=current" if m == current else ""}>'
        f"{html.escape(m)}</a>"
        for m in models
    ]
    return "<nav>" + " ".join(links) + "</nav>"


def write_model_page(
    path: str | Path,
    model: str,
    points: Points,
    slots: np.ndarray,
    sprites: SpriteLayout,
    scripts: list[str],
    models: list[str],
) -> None:
    """One model's explorer page; `slots[i]` is point i's sprite slot. The static folder
    and the sprite sheets sit beside the page."""
    item = bokeh_item(points, slots)
    head = "\n".join(f'<script src="{s}"></script>' for s in scripts)
    body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>zatlas explorer: {html.escape(model)}</title>
<link rel="stylesheet" href="static/explore.css">
{head}
</head><body>
{_nav(model, models)}
<h1>{html.escape(model)}: {len(points):,} encoded faces</h1>
<p class="help">Hover a point to see its face. Drag a box (or pick the lasso in a plot's
toolbar) to select faces: the same faces light up in every view of this model. Scroll to
zoom after choosing the wheel-zoom tool; double-click or reset to start over.</p>
<div id="controls"><label>colour by <select id="color-by"></select></label>
<span id="legend"></span></div>
<div id="main"><div id="plots"></div>
<aside id="hover-card"><div class="thumb big" id="hover-thumb"></div>
<dl id="hover-info"><dt>image</dt><dd id="hover-id">–</dd></dl></aside></div>
<section id="selection"><h2><span id="selection-count">0</span> faces selected</h2>
<div id="selection-grid"></div></section>
{_json_script("zatlas-meta", page_meta(model, points, sprites, models))}
{_json_script("zatlas-doc", item)}
<script src="static/explore.js"></script>
</body></html>
"""
    Path(path).write_text(body)


def write_index(path: str | Path, entries: list[dict]) -> None:
    """The landing page: one line per model with its number of faces and views."""
    models = [e["model"] for e in entries]
    items = "\n".join(
        f'<li><a href="{html.escape(e["model"])}.html">{html.escape(e["model"])}</a>: '
        f"{e['n']:,} faces; views: {html.escape(', '.join(e['views']))}</li>"
        for e in entries
    )
    Path(path).write_text(
        f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>zatlas explorer</title>
<link rel="stylesheet" href="static/explore.css"></head><body>
{_nav(None, models)}
<h1>Latent-space explorer</h1>
<p>One page per model: every face of its t-SNE embeddings and PC planes, drawn with
WebGL. Hover a point to see the face, select a region to see all the faces in it.</p>
<ul id="models">
{items}
</ul></body></html>
"""
    )
