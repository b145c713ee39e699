"""CelebA layout -> centre-cropped, resized uint8 array + attribute table.

Reads the zip in place (members are never extracted, so a hostile member name cannot
escape the folder). JPEGs are decoded in draft mode: libjpeg decodes straight to 1/2, 1/4
or 1/8 scale when that still leaves enough pixels for the target size, which is most of
the cost of a full decode saved. Workers write straight into the memory-mapped output.
"""

from __future__ import annotations

import json
import math
import os
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd
from PIL import Image

from zatlas.data.attributes import read_attributes, read_partition
from zatlas.errors import ZatlasError
from zatlas.progress import progress

SOURCE_W, SOURCE_H = 178, 218


@dataclass(frozen=True)
class PrepareSpec:
    image_size: int = 96
    crop: int = 178
    n_images: int | None = None
    on_corrupt: str = "error"  # or "skip"
    workers: int = 0  # 0 = one per core


def select_rows(table: pd.DataFrame, n_images: int | None) -> pd.DataFrame:
    """First rows of each split, in proportion, so a capped run keeps valid/test images."""
    if n_images is None or n_images >= len(table):
        return table.reset_index(drop=True)
    parts = []
    for _, group in table.groupby("split", sort=False):
        parts.append(group.head(max(1, round(n_images * len(group) / len(table)))))
    return pd.concat(parts).sort_index().head(n_images).reset_index(drop=True)


def image_members(zf: zipfile.ZipFile) -> dict[str, str]:
    """Map `000001.jpg` -> member name, ignoring anything that is not a plain JPEG entry."""
    members = {}
    for name in zf.namelist():
        path = PurePosixPath(name)
        if name.endswith("/") or path.is_absolute() or ".." in path.parts:
            continue
        if path.suffix.lower() == ".jpg":
            members[path.name] = name
    return members


def decode_face(data: bytes, image_size: int, crop: int) -> np.ndarray:
    """Decode one JPEG, cut the centred crop x crop square, resize to image_size."""
    import io

    with Image.open(io.BytesIO(data)) as img:
        w0, h0 = img.size
        need = (math.ceil(w0 * image_size / crop), math.ceil(h0 * image_size / crop))
        img.draft("RGB", need)
        img = img.convert("RGB")
        scale = img.size[0] / w0
        side = min(crop, w0, h0) * scale
        left = (img.size[0] - side) / 2
        top = (img.size[1] - side) / 2
        out = img.resize(
            (image_size, image_size),
            Image.Resampling.BILINEAR,
            box=(left, top, left + side, top + side),
        )
        return np.asarray(out, dtype=np.uint8)


def _decode_chunk(
    zip_path: str, names: list[str], first_row: int, out_path: str, spec: PrepareSpec
):
    images = np.load(out_path, mmap_mode="r+")
    failures = []
    with zipfile.ZipFile(zip_path) as zf:
        for offset, name in enumerate(names):
            row = first_row + offset
            try:
                images[row] = decode_face(zf.read(name), spec.image_size, spec.crop)
            except (OSError, ValueError, SyntaxError, zipfile.BadZipFile) as exc:
                images[row] = 0
                failures.append((row, f"{type(exc).__name__}: {exc}"))
    images.flush()
    return len(names), failures


def prepare_celeba_layout(
    raw_dir: str | Path,
    images_out: str | Path,
    attributes_out: str | Path,
    summary_out: str | Path,
    spec: PrepareSpec,
) -> dict:
    raw = Path(raw_dir)
    zip_path = raw / "img_align_celeba.zip"
    for need in (zip_path, raw / "list_eval_partition.txt", raw / "list_attr_celeba.txt"):
        if not need.exists():
            raise ZatlasError(f"missing {need}: run the 'acquire' rule or place the file there")
    partition = read_partition(raw / "list_eval_partition.txt")
    attributes = read_attributes(raw / "list_attr_celeba.txt")
    table = partition.merge(attributes, on="image_id", how="inner", validate="one_to_one")
    if len(table) != len(partition):
        raise ZatlasError("list_eval_partition.txt and list_attr_celeba.txt list different images")
    table = select_rows(table, spec.n_images)

    with zipfile.ZipFile(zip_path) as zf:
        members = image_members(zf)
    missing = [i for i in table["image_id"] if i not in members]
    if missing:
        raise ZatlasError(
            f"{zip_path} lacks {len(missing)} images listed in the partition file "
            f"(first: {missing[:5]}); the archive is incomplete: delete it and acquire again"
        )
    names = [members[i] for i in table["image_id"]]

    start = time.perf_counter()
    n = len(table)
    part = Path(str(images_out) + ".part.npy")
    np.lib.format.open_memmap(
        part, mode="w+", dtype=np.uint8, shape=(n, spec.image_size, spec.image_size, 3)
    ).flush()
    workers = spec.workers or os.cpu_count() or 1
    chunk = max(64, min(4096, math.ceil(n / (workers * 8))))
    failures: list[tuple[int, str]] = []
    jobs = [(str(zip_path), names[i : i + chunk], i, str(part), spec) for i in range(0, n, chunk)]
    bar = progress(None, desc="decoding JPEGs", total=n)
    if workers == 1:
        for job in jobs:
            done, bad = _decode_chunk(*job)
            failures += bad
            bar.update(done)
    else:
        with ProcessPoolExecutor(workers) as pool:
            for done, bad in pool.map(_decode_chunk, *zip(*jobs, strict=True)):
                failures += bad
                bar.update(done)
    bar.close()
    seconds = time.perf_counter() - start

    bad_rows = sorted(r for r, _ in failures)
    bad_ids = [table["image_id"][r] for r in bad_rows]
    if failures and spec.on_corrupt == "error":
        part.unlink()
        details = "; ".join(f"{table['image_id'][r]} ({why})" for r, why in failures[:10])
        raise ZatlasError(
            f"{len(failures)} corrupt image(s) in {zip_path}: {details}. Re-acquire the archive, "
            "or set data.on_corrupt: skip to drop them (their ids are then recorded)."
        )
    if bad_rows:
        keep = np.setdiff1d(np.arange(n), bad_rows)
        _compact(part, Path(images_out), keep)
        part.unlink()
        table = table.iloc[keep].reset_index(drop=True)
    else:
        part.replace(images_out)
    table.to_parquet(attributes_out, index=False)
    summary = {
        "n_images": int(len(table)),
        "image_size": spec.image_size,
        "crop": spec.crop,
        "splits": {k: int(v) for k, v in table["split"].value_counts().items()},
        "skipped_corrupt": bad_ids,
        "seconds": round(seconds, 3),
        "images_per_second": round(n / seconds, 1) if seconds > 0 else None,
        "workers": workers,
    }
    Path(summary_out).write_text(json.dumps(summary, indent=2))
    return summary


def _compact(src: Path, dst: Path, keep: np.ndarray, block: int = 4096) -> None:
    full = np.load(src, mmap_mode="r")
    out = np.lib.format.open_memmap(
        dst, mode="w+", dtype=full.dtype, shape=(len(keep), *full.shape[1:])
    )
    for i in range(0, len(keep), block):
        out[i : i + block] = full[keep[i : i + block]]
    out.flush()
