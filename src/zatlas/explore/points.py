"""The explorer's per-point table: one row per embedded face, every view's coordinates.

Pure numpy/pandas. The views of one model (t-SNE embeddings, PC planes) share this table,
so a selection made on one view selects the same faces on the others. A view that lacks a
face (a t-SNE of a smaller subset) has NaN coordinates there and simply does not draw it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from zatlas.errors import ZatlasError

SPLITS = ("train", "valid", "test")
# a string column with more distinct values than this is an id or a path, not a category
MAX_CATEGORIES = 1000
MISSING = "(missing)"


@dataclass
class Points:
    """Columns aligned with `rows` (indices into the run's images and latents)."""

    rows: np.ndarray
    ids: list[str]
    split: np.ndarray  # uint8 code into `split_names`
    split_names: list[str]
    radius: np.ndarray
    cluster: np.ndarray
    attr_lo: np.ndarray  # bits 0..31 of the attributes, uint32
    attr_hi: np.ndarray  # bits 32..63
    attribute_names: list[str]
    views: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (n, 2) float32
    numeric: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (n,) float32
    # name -> (codes uint16, names): names ordered from the commonest among these points
    categorical: dict[str, tuple[np.ndarray, list[str]]] = field(default_factory=dict)
    # k nearest neighbours in z among these points: (n, k) indices into the points, and
    # their Euclidean distances (zatlas.explore.neighbours)
    neighbours: tuple[np.ndarray, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.rows)


def union_rows(view_rows: list[np.ndarray]) -> np.ndarray:
    """Sorted union of the rows that any view shows."""
    if not view_rows:
        raise ZatlasError("the explorer needs at least one view (a t-SNE embedding or a PC plane)")
    return np.unique(np.concatenate([np.asarray(r, dtype=np.int64) for r in view_rows]))


def align_view(rows: np.ndarray, view_rows: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """(len(rows), 2) float32: the view's coordinates at `rows`, NaN where it has none."""
    out = np.full((len(rows), 2), np.nan, dtype=np.float32)
    pos = np.searchsorted(rows, view_rows)
    ok = (pos < len(rows)) & (rows[np.minimum(pos, len(rows) - 1)] == view_rows)
    out[pos[ok]] = np.asarray(xy, dtype=np.float32)[ok]
    return out


def attribute_bits(frame: pd.DataFrame, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Two uint32 bit masks: bit j set when attribute names[j] is true (> 0, so CelebA's
    -1/1 and 0/1 codings both work)."""
    if len(names) > 64:
        raise ZatlasError(f"at most 64 attributes fit the explorer, got {len(names)}")
    lo = np.zeros(len(frame), dtype=np.uint32)
    hi = np.zeros(len(frame), dtype=np.uint32)
    for j, name in enumerate(names):
        on = frame[name].to_numpy() > 0
        if j < 32:
            lo |= on.astype(np.uint32) << np.uint32(j)
        else:
            hi |= on.astype(np.uint32) << np.uint32(j - 32)
    return lo, hi


def classify_columns(frame: pd.DataFrame, columns: list[str]) -> dict[str, list[str]]:
    """Sort attribute columns into how the explorer shows them: "flags" (numeric, at most
    two values: packed as bits, at most 64), "numeric" (a continuous colour scale) and
    "categorical" (strings and other labels of at most MAX_CATEGORIES values); columns of
    more distinct values than that (ids, paths) are left out."""
    out: dict[str, list[str]] = {"flags": [], "numeric": [], "categorical": []}
    for name in columns:
        col = frame[name]
        numeric = pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)
        if numeric and col.nunique() <= 2 and len(out["flags"]) < 64:
            out["flags"].append(name)
        elif numeric and not pd.api.types.is_bool_dtype(col):
            out["numeric"].append(name)
        elif col.nunique(dropna=True) <= MAX_CATEGORIES:
            out["categorical"].append(name)
    return out


def category_codes(values) -> tuple[np.ndarray, list[str]]:
    """uint16 codes and their names, the commonest first (ties by name), so the palette's
    first colours go to the largest groups; a missing value is its own category."""
    s = pd.Series(values, dtype=object)
    s = s.where(s.notna(), MISSING).astype(str)
    counts = s.value_counts()
    names = sorted(counts.index, key=lambda v: (-counts[v], v))
    codes = s.map({n: i for i, n in enumerate(names)}).to_numpy(np.uint16)
    return codes, names


def split_codes(split: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """uint8 codes, CelebA's three splits first in their usual order, then any others."""
    values = pd.Series(split).astype(str)
    names = [s for s in SPLITS if s in set(values)] + sorted(set(values) - set(SPLITS))
    return values.map({n: i for i, n in enumerate(names)}).to_numpy(np.uint8), names


def assemble(
    views: dict[str, tuple[np.ndarray, np.ndarray]],
    attributes: pd.DataFrame,
    attribute_names: list[str],
    radius: np.ndarray,
    cluster: np.ndarray,
    numeric_names: list[str] = (),
    categorical_names: list[str] = (),
) -> Points:
    """The table of every face any view shows.

    `views` maps a view name to (its rows, its (n, 2) coordinates); `attributes` has one
    row per image (image_id, split and the attribute columns); `radius` and `cluster`
    have one entry per image. `attribute_names` are the flags (bits), `numeric_names` and
    `categorical_names` the other columns shown (see classify_columns).
    """
    rows = union_rows([r for r, _ in views.values()])
    frame = attributes.iloc[rows]
    ids = frame["image_id"].astype(str).tolist() if "image_id" in frame else [str(r) for r in rows]
    # codes over every image, so that a split keeps its colour on every model's page
    split, split_names = split_codes(
        attributes["split"].to_numpy() if "split" in attributes else np.full(len(attributes), "")
    )
    lo, hi = attribute_bits(frame, attribute_names)
    return Points(
        rows=rows,
        ids=ids,
        split=split[rows],
        split_names=split_names,
        radius=np.asarray(radius, dtype=np.float32)[rows],
        cluster=np.asarray(cluster, dtype=np.int32)[rows],
        attr_lo=lo,
        attr_hi=hi,
        attribute_names=list(attribute_names),
        views={name: align_view(rows, r, xy) for name, (r, xy) in views.items()},
        numeric={
            c: pd.to_numeric(frame[c], errors="coerce").to_numpy(np.float32) for c in numeric_names
        },
        categorical={c: category_codes(frame[c].to_numpy()) for c in categorical_names},
    )
