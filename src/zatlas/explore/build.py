"""Build the whole explorer folder: sprite sheets shared by every model, one page per model,
an index page, and the scripts they load."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zatlas.explore.page import copy_static, write_index, write_model_page
from zatlas.explore.points import Points, union_rows
from zatlas.explore.sprites import SpriteLayout, write_sprite_sheets


def write_explorer(
    out_dir: str | Path,
    images,
    pages: dict[str, Points],
    thumb: int = 32,
    sheet_px: int = 1024,
    quality: int = 75,
    sprites: SpriteLayout | None = None,
) -> dict:
    """Write out_dir/index.html and out_dir/<model>.html; returns a summary of what was
    written (faces, sheets, bytes). `images` is the run's (memory-mapped) image array, or
    None for a run without images (no thumbnails: the card shows the metadata); `sprites`
    reuses sheets already written for the same faces (benchmarks)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    # one thumbnail per face shown by any model: the models embed the same images
    rows = union_rows([p.rows for p in pages.values()])
    if sprites is None and images is not None:
        sprites = write_sprite_sheets(
            images, rows, out, thumb=thumb, sheet_px=sheet_px, quality=quality
        )
    scripts = copy_static(out)
    models = list(pages)
    entries = []
    for model, points in pages.items():
        slots = np.searchsorted(rows, points.rows) if sprites is not None else None
        write_model_page(out / f"{model}.html", model, points, slots, sprites, scripts, models)
        entries.append({"model": model, "n": len(points), "views": list(points.views)})
    write_index(out / "index.html", entries)
    files = [p for p in out.rglob("*") if p.is_file()]
    return {
        "models": entries,
        "thumbnails": int(len(rows)) if sprites is not None else 0,
        "thumb_px": thumb,
        "sheets": len(sprites.files) if sprites is not None else 0,
        "files": len(files),
        "bytes": int(sum(p.stat().st_size for p in files)),
        "sprite_bytes": int(sum((out / f).stat().st_size for f in getattr(sprites, "files", ()))),
    }
