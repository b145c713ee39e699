"""Bring an external model's latents into the run: rows put in the data set's order (by
id), written as float32 .npy in blocks (never whole in memory when the source is .npy)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePosixPath

import numpy as np

from zatlas.errors import ZatlasError
from zatlas.external.sources import BLOCK_ROWS, Source


def _key_variants(name: str) -> list[str]:
    """An image name and the shorter names a user's ids may use: the file name, its stem."""
    base = PurePosixPath(name.replace("\\", "/")).name
    return list(dict.fromkeys([name, base, PurePosixPath(base).stem]))


def match_ids(ids: Sequence[str], image_ids: Sequence[str], ids_file, images_file) -> np.ndarray:
    """`order` such that row order[i] of the user's arrays is image i of the data set.

    An id matches an image by its full name, its file name or its stem when that is unique.
    Every image needs exactly one row; rows naming no image of the run (a model encoded on
    all of CelebA, a run on a subset) are left out. Messages name both files."""
    ids = [str(i).strip() for i in ids]
    row_of: dict[str, int] = {}
    for r, i in enumerate(ids):
        if i in row_of:
            raise ZatlasError(f"{ids_file}: id {i!r} is listed twice (rows {row_of[i]} and {r})")
        row_of[i] = r
    lookup: dict[str, int | None] = {}
    for img, name in enumerate(image_ids):
        for key in _key_variants(str(name)):
            lookup[key] = None if key in lookup and lookup[key] != img else img
    order = np.full(len(image_ids), -1, dtype=np.int64)
    unknown = []
    for i, r in row_of.items():
        img = lookup.get(i)
        if img is None or order[img] >= 0:
            unknown.append(i)
            continue
        order[img] = r
    lacking = np.flatnonzero(order < 0)
    if len(lacking):
        missing = [str(image_ids[j]) for j in lacking[:5]]
        raise ZatlasError(
            f"{len(lacking)} of the {len(image_ids)} images of {images_file} have no row in "
            f"{ids_file} (first: {missing}); {len(unknown)} id(s) there name no image (first: "
            f"{unknown[:5]}). The ids must be the images' names (path in the folder, file "
            "name or stem)"
        )
    return order


def write_rows(src: Source, out_path, order: np.ndarray | None) -> None:
    """src's rows (those `order` picks, in its order; else all as they are) into a float32
    .npy."""
    n, d = src.shape
    if order is not None and len(order) == n and np.array_equal(order, np.arange(n)):
        order = None
    n_out = n if order is None else len(order)
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype("<f4")), "fortran_order": False}
    # plain writes, not a memory map: 2 GB of dirty mapped pages would count as the job's
    with open(out_path, "wb") as fh:
        np.lib.format.write_array_header_1_0(fh, {**header, "shape": (n_out, d)})
        if order is None:
            for _, block in src.blocks():
                fh.write(np.ascontiguousarray(block, dtype="<f4").tobytes())
        else:
            arr = src.array()  # memory-mapped for .npy: rows gathered block by block
            for start in range(0, n_out, BLOCK_ROWS):
                rows = order[start : start + BLOCK_ROWS]
                fh.write(np.ascontiguousarray(arr[rows], dtype="<f4").tobytes())


def check_decoder(path, z_row: np.ndarray, image_size: int | None) -> dict:
    """Decode two rows: the decoder must take z's width and, with images, make images of
    the data set's size. Returns the image shape it makes."""
    from zatlas.decoders import load_decoder

    dec = load_decoder(path)
    try:
        images = dec(np.asarray(z_row, dtype=np.float32))
    except ZatlasError:
        raise
    except Exception as exc:  # a framework's own error: say which file and what it got
        raise ZatlasError(
            f"decoder {path} failed on z rows of shape {z_row.shape}: {type(exc).__name__}: "
            f"{str(exc)[:300]}"
        ) from None
    shape = tuple(int(s) for s in images.shape[1:])
    if image_size is not None and shape[:2] != (image_size, image_size):
        raise ZatlasError(
            f"decoder {path} makes {shape[0]}x{shape[1]} images; the data set's are "
            f"{image_size}x{image_size} (data.image_size)"
        )
    lo, hi = float(images.min()), float(images.max())
    return {"image_shape": list(shape), "output_min": lo, "output_max": hi}
