"""What a page carries besides its Bokeh views: the per-point columns as base64 typed arrays
(read by the page without a JSON number per value), the colourings on offer, and the
neighbours, packed compactly into a script file of their own that the page loads after its
first view is drawn.
"""

from __future__ import annotations

import base64
import json

import numpy as np
from bokeh.palettes import Viridis256

from zatlas.explore.points import Points
from zatlas.explore.sprites import SpriteLayout

CATEGORICAL = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
    "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
]  # fmt: skip
TYPED = {
    "uint8": "Uint8Array", "uint16": "Uint16Array", "uint32": "Uint32Array",
    "int32": "Int32Array", "float32": "Float32Array",
}  # fmt: skip


def typed(values: np.ndarray, dtype: str) -> dict:
    """{"type": the JS typed-array name, "b64": little-endian bytes in base64}."""
    arr = np.ascontiguousarray(values, dtype=np.dtype(dtype).newbyteorder("<"))
    return {"type": TYPED[dtype], "b64": base64.b64encode(arr.tobytes()).decode("ascii")}


def index_dtype(n: int) -> str:
    return "uint16" if n <= 1 << 16 else "uint32"


def percentile_range(values: np.ndarray) -> list[float]:
    """The 1st-99th percentile of the finite values: a colour scale that a few outliers do
    not flatten."""
    v = values[np.isfinite(values)]
    if not len(v):
        return [0.0, 1.0]
    lo, hi = np.percentile(v, [1, 99])
    return [float(lo), float(hi) if hi > lo else float(lo) + 1.0]


def columns(points: Points, slots: np.ndarray | None) -> dict:
    """Every per-point column the page reads, as typed arrays."""
    cols = {
        "row": typed(points.rows, "uint32"),
        "radius": typed(points.radius, "float32"),
        "cluster": typed(points.cluster, "uint16"),
        "split": typed(points.split, "uint8"),
        "attr_lo": typed(points.attr_lo, "uint32"),
        "attr_hi": typed(points.attr_hi, "uint32"),
    }
    if slots is not None:
        cols["slot"] = typed(slots, "uint32")
    for j, values in enumerate(points.numeric.values()):
        cols[f"num{j}"] = typed(values, "float32")
    for j, (codes, _) in enumerate(points.categorical.values()):
        cols[f"cat{j}"] = typed(codes, "uint16")
    return cols


def colourings(points: Points) -> list[dict]:
    """The colour-by menu: what each entry reads and how it is drawn."""
    k = int(points.cluster.max()) + 1 if len(points) else 1
    out = [
        {"key": "cluster", "kind": "category", "column": "cluster",
         "names": [str(c) for c in range(k)], "counts": np.bincount(points.cluster, minlength=k)},
        {"key": "radius", "kind": "numeric", "column": "radius",
         "range": percentile_range(points.radius)},
        {"key": "split", "kind": "category", "column": "split", "names": points.split_names,
         "counts": np.bincount(points.split, minlength=len(points.split_names))},
    ]  # fmt: skip
    for j, (name, values) in enumerate(points.numeric.items()):
        out.append(
            {"key": name, "kind": "numeric", "column": f"num{j}", "range": percentile_range(values)}
        )
    for j, (name, (codes, names)) in enumerate(points.categorical.items()):
        out.append(
            {"key": name, "kind": "category", "column": f"cat{j}", "names": names,
             "counts": np.bincount(codes, minlength=len(names))}
        )  # fmt: skip
    for j, name in enumerate(points.attribute_names):
        out.append({"key": name, "kind": "flag", "bit": j})
    for c in out:
        if "counts" in c:
            c["counts"] = [int(v) for v in c["counts"]]
    return out


def page_meta(
    model: str, points: Points, sprites: SpriteLayout | None, models: list[str], ids: dict
) -> dict:
    return {
        "model": model,
        "models": models,
        "n": len(points),
        **ids,
        "views": list(points.views),
        "split_names": points.split_names,
        "attribute_names": points.attribute_names,
        "numeric_names": list(points.numeric),
        "categorical_names": list(points.categorical),
        "category_names": [names for _, names in points.categorical.values()],
        "colourings": colourings(points),
        "categorical": CATEGORICAL,
        "continuous": list(Viridis256),
        "sprites": sprites.to_json() if sprites is not None else None,
        "neighbours": None if points.neighbours is None else points.neighbours[0].shape[1],
    }


def neighbours_script(model: str, points: Points) -> str:
    """A script that hands the page its neighbours: indices into the page's points (uint16
    or uint32), distances quantized to uint16 steps of max_distance / 65535 (a relative
    error under 1e-5 of the largest distance), both base64."""
    idx, dist = points.neighbours
    top = float(dist.max()) if dist.size else 0.0
    scale = top / 65535 if top > 0 else 1.0
    data = {
        "k": int(idx.shape[1]),
        "index": typed(idx, index_dtype(len(points))),
        "distance": typed(np.rint(dist / scale), "uint16"),
        "scale": scale,
    }
    text = json.dumps(data, separators=(",", ":"))
    table = "(window.zatlasNeighbours = window.zatlasNeighbours || {})"
    return f"{table}[{json.dumps(model)}] = {text};\n"
