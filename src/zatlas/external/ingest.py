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
    Every image needs exactly one row; the message names both files."""
    ids = [str(i).strip() for i in ids]
    if len(ids) != len(image_ids):
        raise ZatlasError(
            f"{ids_file} lists {len(ids)} ids, {images_file} has {len(image_ids)} images; "
            "one row per image is needed"
        )
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
    if unknown:
        missing = [str(image_ids[j]) for j in np.flatnonzero(order < 0)[:5]]
        raise ZatlasError(
            f"{len(unknown)} id(s) of {ids_file} name no image of {images_file} (first: "
            f"{unknown[:5]}); images without a row: {missing}. The ids must be the images' "
            "names (path in the folder, file name or stem)"
        )
    return order


def write_rows(src: Source, out_path, order: np.ndarray | None) -> None:
    """src's rows (reordered by `order`, else as they are) into a float32 .npy."""
    n, d = src.shape
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype("<f4")), "fortran_order": False}
    # plain writes, not a memory map: 2 GB of dirty mapped pages would count as the job's
    with open(out_path, "wb") as fh:
        np.lib.format.write_array_header_1_0(fh, {**header, "shape": (n, d)})
        if order is None or np.array_equal(order, np.arange(n)):
            for _, block in src.blocks():
                fh.write(np.ascontiguousarray(block, dtype="<f4").tobytes())
        else:
            arr = src.array()  # memory-mapped for .npy: rows gathered block by block
            for start in range(0, n, BLOCK_ROWS):
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
