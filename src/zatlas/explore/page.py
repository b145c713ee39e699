"""Write the explorer: one page per model with a Bokeh document per view (axes, tools and
an invisible glyph that answers hover, box and lasso), the points drawn by the page's own
script under it, our hover card and selection grid around them, every script copied into
the results folder.

Bokeh was chosen over Plotly and the embedding-atlas components: one script of 1.3 MB, the
page written from Python with nothing to bundle or fetch. Its WebGL markers were dropped
for the page's own drawing: a software renderer (a laptop without GPU acceleration,
headless Chromium) took seconds per paint of 165,000 markers, the page's ImageData stamping
takes tens of milliseconds.
"""

from __future__ import annotations

import html
import json
import shutil
from importlib import resources
from pathlib import Path

import numpy as np

from zatlas.explore.payload import columns, neighbours_script, page_meta
from zatlas.explore.points import Points
from zatlas.explore.sprites import SpriteLayout

PLOT_PX = 520
STATIC = ("explore-data.js", "explore-views.js", "explore-points.js", "explore-rings.js",
          "explore-card.js", "explore-colour.js", "explore-export.js", "explore.js",
          "explore.css")  # fmt: skip


def _bokeh_scripts() -> tuple[list[Path], str]:
    import bokeh
    from bokeh.util.paths import bokehjs_path

    js = Path(bokehjs_path()) / "js"
    return [js / "bokeh.min.js"], bokeh.__version__


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
    for name in STATIC:
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


def view_item(points: Points, v: int) -> dict:
    """View v as a Bokeh document of its own (a JSON item): axes, tools and an invisible
    scatter of x and y that answers hover, box and lasso; the page draws the points on a
    canvas of its own under it. One document per view lets the page build only the views
    on screen; the page keeps their selections in step and sizes each view to its box
    before building it."""
    from bokeh.embed import json_item
    from bokeh.models import (
        BoxSelectTool,
        ColumnDataSource,
        CustomJS,
        HoverTool,
        LassoSelectTool,
        PanTool,
        ResetTool,
        WheelZoomTool,
    )
    from bokeh.plotting import figure

    name, xy = list(points.views.items())[v]
    # x and y only: the page draws the points itself (explore-points.js), in its colours
    data = {"x": xy[:, 0].copy(), "y": xy[:, 1].copy()}
    source = ColumnDataSource(data, name="points")
    box, lasso = BoxSelectTool(), LassoSelectTool()
    fig = figure(
        title=name,
        # fixed ranges: no data-range pass and no second paint while the page loads
        x_range=data_range(data["x"]),
        y_range=data_range(data["y"]),
        width=PLOT_PX,  # the page sets the size of the box the view is shown in
        height=PLOT_PX,
        output_backend="canvas",
        # transparent, so that the page's points show through from underneath
        background_fill_color=None,
        border_fill_color=None,
        tools=[box, lasso, PanTool(), WheelZoomTool(), ResetTool()],
        active_drag=box,
        name="view",
        min_border=10,
    )
    # an invisible glyph: Bokeh finds the points under the pointer and in a box or lasso,
    # the page draws them (canvas backend: no WebGL left to start)
    glyph = fig.scatter(
        "x",
        "y",
        source=source,
        size=marker_size(len(points)),
        line_color=None,
        fill_color="#000000",
        fill_alpha=0,
        selection_fill_alpha=0,
        nonselection_fill_alpha=0,
    )
    for tool in (box, lasso):
        tool.renderers = [glyph]
    hover_js = CustomJS(code=f"window.zatlas && window.zatlas.hover({v}, cb_data)")
    fig.add_tools(HoverTool(renderers=[glyph], tooltips=None, callback=hover_js))
    source.selected.js_on_change(
        "indices", CustomJS(code=f"window.zatlas && window.zatlas.select({v}, cb_obj)")
    )
    return json_item(fig)


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


def neighbours_file(model: str) -> str:
    return f"data/{model}-neighbours.js"


def write_model_page(
    path: str | Path,
    model: str,
    points: Points,
    slots: np.ndarray | None,
    sprites: SpriteLayout | None,
    scripts: list[str],
    models: list[str],
) -> None:
    """One model's explorer page; `slots[i]` is point i's sprite slot (None, with no
    sprites, for a run without images: the card shows the metadata alone). The static
    folder, the sprite sheets and the neighbours' script sit beside the page."""
    out = Path(path).parent
    meta = page_meta(model, points, sprites, models, id_scheme(points))
    if points.neighbours is not None:
        meta["neighbours_src"] = neighbours_file(model)
        (out / "data").mkdir(exist_ok=True)
        (out / neighbours_file(model)).write_text(neighbours_script(model, points))
    head = "\n".join(f'<script src="{s}"></script>' for s in scripts)
    views = "\n".join(
        f'<div class="view" id="view-{v}" data-view="{v}"{"" if v == 0 else " hidden"}></div>'
        for v in range(len(points.views))
    )
    items = "\n".join(
        _json_script(f"zatlas-view-{v}", view_item(points, v)) for v in range(len(points.views))
    )
    ours = "\n".join(
        f'<script src="static/{name}"></script>' for name in STATIC if name.endswith(".js")
    )
    body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>zatlas explorer: {html.escape(model)}</title>
<link rel="stylesheet" href="static/explore.css">
{head}
</head><body class="explorer">
<div id="layout"><main id="content">
<header>{_nav(model, models)}
<h1>{html.escape(model)}: {len(points):,} encoded faces</h1></header>
<div id="toolbar"><span id="view-toggles" title="views shown (each is drawn the first
time it is shown)"></span>
<label>colour by <select id="color-by"></select></label>
<form id="search"><input id="search-box" type="search" placeholder="image id"
aria-label="find an image by id"><button type="submit">find</button>
<span id="search-msg" role="status"></span></form></div>
<div id="legend"></div>
<div id="plots">
{views}
</div>
<section id="selection"><h2><span id="selection-count">0</span> faces selected
<button type="button" id="export-ids" disabled>ids as CSV</button>
<button type="button" id="export-rows" disabled>rows as CSV</button>
<button type="button" id="clear-selection" disabled>clear</button></h2>
<div id="selection-grid"></div></section>
<p class="help">Hover a point: the card shows the face and its nearest neighbours in z,
and rings mark where those neighbours landed in each view. Click a point to pin the card
(click empty space or press Esc to let go); find an image by its id above. Drag a box (or
pick the lasso in a plot's toolbar) to select faces: they light up in every view and can
be saved as CSV. Wheel-zoom and pan are in the toolbar; reset starts over.</p>
</main>
<aside id="hover-card"><p id="card-state">hover a point; click to pin</p>
<div id="card-top"><div class="thumb big" id="hover-thumb"></div>
<dl id="hover-facts"><dt>image</dt><dd id="hover-id">–</dd></dl></div>
<h3 id="near-title">nearest in z</h3><div id="neighbours"></div>
<dl id="hover-info"></dl></aside></div>
{_json_script("zatlas-meta", meta)}
{_json_script("zatlas-columns", columns(points, slots))}
{items}
{ours}
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
<p>One page per model: every face of its t-SNE embeddings and PC planes. Hover a point
to see the face and its nearest neighbours, select a region to see all the faces in it.</p>
<ul id="models">
{items}
</ul></body></html>
"""
    )
