"""Thumbnails packed into sprite sheets: a few hundred image files instead of one per face.

Sheet s holds the thumbnails of slots s * per_sheet ... (s + 1) * per_sheet - 1, row-major,
`per_row` to a row; the page finds a slot's sheet and pixel offset from these three numbers
alone, so no per-thumbnail table travels with the page.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from zatlas.errors import ZatlasError


@dataclass(frozen=True)
class SpriteLayout:
    thumb: int  # thumbnail side in pixels
    per_row: int  # thumbnails per sheet row
    per_sheet: int  # thumbnails per sheet
    n: int  # thumbnails in all
    files: tuple[str, ...]  # sheet file names, relative to the page's folder

    def locate(self, slot: int) -> tuple[int, int, int]:
        """(sheet, x, y): the sheet and the top-left pixel of `slot`'s thumbnail."""
        sheet, k = divmod(int(slot), self.per_sheet)
        row, col = divmod(k, self.per_row)
        return sheet, col * self.thumb, row * self.thumb

    def to_json(self) -> dict:
        return {**asdict(self), "files": list(self.files)}


def downscale(images: np.ndarray, size: int) -> np.ndarray:
    """(n, size, size, 3) uint8 thumbnails: a block mean where the side divides evenly (the
    usual 96 -> 48 / 32 / 24), Pillow's box filter otherwise."""
    imgs = np.asarray(images)
    n, h, w = imgs.shape[:3]
    if h == w == size:
        return imgs.astype(np.uint8, copy=False)
    if h % size == 0 and w % size == 0:
        f = h // size
        blocks = imgs.reshape(n, size, f, size, w // size, -1).astype(np.float32)
        return np.rint(blocks.mean(axis=(2, 4))).astype(np.uint8)
    return np.stack(
        [np.asarray(Image.fromarray(im).resize((size, size), Image.BOX)) for im in imgs]
    )


def sheet_layout(n: int, thumb: int, sheet_px: int) -> tuple[int, int]:
    """(per_row, per_sheet) for square sheets of at most sheet_px pixels a side."""
    if thumb < 4 or thumb > sheet_px:
        raise ZatlasError(f"thumbnail size {thumb} must lie between 4 and the sheet size")
    per_row = sheet_px // thumb
    return per_row, per_row * per_row


def write_sprite_sheets(
    images,
    rows: np.ndarray,
    out_dir: str | Path,
    prefix: str = "thumbs/sheet",
    thumb: int = 32,
    sheet_px: int = 1024,
    quality: int = 75,
) -> SpriteLayout:
    """Write the thumbnails of `images[rows]` (slot i <-> rows[i]) as WebP sheets.

    `images` is anything indexable by a sorted row array (a memory-mapped .npy): only one
    sheet's worth of images is read at a time.
    """
    rows = np.asarray(rows, dtype=np.int64)
    per_row, per_sheet = sheet_layout(len(rows), thumb, sheet_px)
    out_dir = Path(out_dir)
    (out_dir / prefix).parent.mkdir(parents=True, exist_ok=True)
    files = []
    for s, start in enumerate(range(0, len(rows), per_sheet)):
        chunk = rows[start : start + per_sheet]
        thumbs = downscale(np.asarray(images[chunk]), thumb)
        n_rows = -(-len(chunk) // per_row)
        sheet = np.zeros((n_rows * per_row, thumb, thumb, 3), dtype=np.uint8)
        sheet[: len(thumbs)] = thumbs[..., :3]
        sheet = sheet.reshape(n_rows, per_row, thumb, thumb, 3).transpose(0, 2, 1, 3, 4)
        name = f"{prefix}-{s:04d}.webp"
        Image.fromarray(sheet.reshape(n_rows * thumb, per_row * thumb, 3)).save(
            out_dir / name, "WEBP", quality=quality, method=4
        )
        files.append(name)
    return SpriteLayout(thumb, per_row, per_sheet, len(rows), tuple(files))
