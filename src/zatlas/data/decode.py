"""Images -> centre-cropped, resized uint8 rows of a memory-mapped array, in parallel.

JPEGs are decoded in draft mode: libjpeg decodes straight to 1/2, 1/4 or 1/8 scale when
that still leaves enough pixels for the target size (64 px and below from a 178 px crop),
saving most of the cost of a full decode. Worker processes, one per core, write straight
into the memory-mapped output, so no image array is ever pickled or held whole. An image
that fails to decode (truncated, bad CRC, not an image) is reported by its name; the caller
stops the run or drops it, never leaves a blank.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import tarfile
import zipfile
from collections import deque
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from zatlas.data.container import Container
from zatlas.data.formats import FORMATS_IN_WORDS, PIL_FORMATS, to_rgb
from zatlas.progress import progress

DECODE_ERRORS = (
    OSError,
    ValueError,
    SyntaxError,
    zipfile.BadZipFile,
    tarfile.TarError,
    Image.DecompressionBombError,
)


@dataclass(frozen=True)
class PrepareSpec:
    image_size: int = 96
    crop: int | None = 178  # None: the whole shorter side
    n_images: int | None = None
    on_corrupt: str = "error"  # or "skip"
    workers: int = 0  # 0 = one per core
    orient: bool = False  # turn photos upright by their EXIF orientation tag


def decode_error(exc: BaseException) -> str:
    """Why an image did not decode, in words (PIL's own message names a BytesIO object)."""
    if isinstance(exc, UnidentifiedImageError):
        return f"not a readable {FORMATS_IN_WORDS} image"
    if type(exc) is ValueError:  # our own checks ("not a JPEG", "64x64")
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def decode_face(data: bytes, image_size: int, crop: int | None, orient: bool = False) -> np.ndarray:
    """Decode one image, cut the centred crop x crop square (the largest square when crop is
    None or larger than the image), resize to image_size; every mode becomes 8-bit RGB (see
    `formats`)."""
    return decode_image(data, image_size, crop, orient)[0]


def source_side(data: bytes, crop: int | None) -> int | None:
    """The side of the square an image gives (from its header only), or None if unreadable."""
    try:
        with Image.open(io.BytesIO(data), formats=PIL_FORMATS) as img:
            return min(img.size) if crop is None else min(crop, *img.size)
    except DECODE_ERRORS:
        return None


def decode_image(
    data: bytes, image_size: int, crop: int | None, orient: bool = False
) -> tuple[np.ndarray, list[str]]:
    """`decode_face`, with notes on what was done beyond the crop (first frame, alpha)."""
    with Image.open(io.BytesIO(data), formats=PIL_FORMATS) as img:
        if orient and img.getexif().get(0x0112, 1) != 1:
            img = ImageOps.exif_transpose(img)
        w0, h0 = img.size
        side0 = min(w0, h0) if crop is None else min(crop, w0, h0)
        need = (math.ceil(w0 * image_size / side0), math.ceil(h0 * image_size / side0))
        img.draft("RGB", need)  # a reduced-scale decode, when that still leaves `need`
        img, notes = to_rgb(img)
        scale = img.size[0] / w0
        # the whole shorter side, after a reduced-scale decode rounded each side up, can
        # come out a hair larger than the image in float arithmetic: keep the box inside
        side = min(side0 * scale, *img.size)
        left = max((img.size[0] - side) / 2, 0.0)
        top = max((img.size[1] - side) / 2, 0.0)
        out = img.resize(
            (image_size, image_size),
            Image.Resampling.BILINEAR,
            box=(left, top, left + side, top + side),
        )
        return np.asarray(out, dtype=np.uint8), notes


def _decode_chunk(
    container: Container | None, items: list, out_path: str, spec: PrepareSpec, md5: bool
):
    """Decode (row, where) items into their rows; `where` is the bytes when no container."""
    images = np.load(out_path, mmap_mode="r+")
    failures, digests, notes = [], [], []
    with container.open() if container is not None else nullcontext() as fh:
        for row, where in items:
            try:
                data = where if container is None else container.read(fh, where)
                if md5:
                    digests.append((row, hashlib.md5(data).hexdigest()))
                images[row], said = decode_image(data, spec.image_size, spec.crop, spec.orient)
                notes += [(row, note) for note in said]
            except DECODE_ERRORS as exc:
                images[row] = 0
                failures.append((row, decode_error(exc)))
    images.flush()
    del images
    return len(items), failures, digests, notes


def decode_all(
    container: Container | None,
    chunks: Iterable[list],
    n: int,
    out_path: Path,
    spec: PrepareSpec,
    md5: bool = False,
) -> tuple[list[tuple[int, str]], dict[int, str], int, list[tuple[int, str]]]:
    """Decode every chunk of (row, where) items into `out_path`, a new (n, s, s, 3) array.

    Returns the failures (row, why) sorted by row, the md5 of each row's bytes (when asked),
    the number of workers used and the notes (row, what was done: first frame, alpha). At
    most a few chunks are in flight at once, so chunks carrying bytes (a compressed tar)
    never pile up in memory.
    """
    np.lib.format.open_memmap(
        out_path, mode="w+", dtype=np.uint8, shape=(n, spec.image_size, spec.image_size, 3)
    ).flush()
    workers = spec.workers or os.cpu_count() or 1
    failures: list[tuple[int, str]] = []
    digests: dict[int, str] = {}
    notes: list[tuple[int, str]] = []
    bar = progress(None, desc="decoding images", total=n)

    def collect(result):
        done, bad, md5s, said = result
        failures.extend(bad)
        notes.extend(said)
        digests.update(md5s)
        bar.update(done)

    args = (str(out_path), spec, md5)
    if workers == 1:
        for items in chunks:
            collect(_decode_chunk(container, items, *args))
    else:
        with ProcessPoolExecutor(workers) as pool:
            pending: deque = deque()
            for items in chunks:
                pending.append(pool.submit(_decode_chunk, container, items, *args))
                if len(pending) >= 2 * workers:
                    collect(pending.popleft().result())
            while pending:
                collect(pending.popleft().result())
    bar.close()
    return sorted(failures), digests, workers, sorted(notes)


def chunk_size(n: int, workers: int) -> int:
    return max(64, min(4096, math.ceil(n / (max(workers, 1) * 8))))


def report_notes(notes: list[tuple[int, str]], names) -> dict[str, list[str]]:
    """What was done to some images (first frame used, alpha composited): counted with
    examples on the console, every name in the log; returns {note: names}."""
    from zatlas.logs import console

    by_note: dict[str, list[str]] = {}
    for row, note in notes:
        by_note.setdefault(note, []).append(names[row])
    for note, which in by_note.items():
        print(f"note: {note}: {which}", flush=True)
        console(f"[prepare] {len(which)} image(s): {note} (first: {which[:3]})")
    return by_note


def report_failures(failures: list[tuple[int, str]], names) -> None:
    for row, why in failures[:20]:
        print(f"corrupt image {names[row]}: {why}", flush=True)
    if len(failures) > 20:
        print(f"... and {len(failures) - 20} more corrupt images", flush=True)


def publish(part: Path, images_out: Path, n: int, bad_rows: list[int]) -> np.ndarray:
    """Move the decoded array into place, without the rows in `bad_rows`; the rows kept."""
    keep = np.setdiff1d(np.arange(n), bad_rows)
    if bad_rows:
        _compact(part, Path(images_out), keep)
        part.unlink()
    else:
        part.replace(images_out)
    return keep


def _compact(src: Path, dst: Path, keep: np.ndarray, block: int = 4096) -> None:
    full = np.load(src, mmap_mode="r")
    out = np.lib.format.open_memmap(
        dst, mode="w+", dtype=full.dtype, shape=(len(keep), *full.shape[1:])
    )
    for i in range(0, len(keep), block):
        out[i : i + block] = full[keep[i : i + block]]
    out.flush()
