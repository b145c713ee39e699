"""CelebA layout -> centre-cropped, resized uint8 array + attribute table.

Reads the zip in place: members are never extracted, so a hostile member name (say
`../evil.jpg`) cannot escape the folder; names with `..`, absolute names and folders are
ignored. The central directory is parsed once, in the parent: opening a 202,599-member
archive costs seconds, too much to repeat per chunk or per worker. Workers get each
member's offset, size, method and CRC, and read the bytes themselves (CRC checked).

JPEGs are decoded in draft mode: libjpeg decodes straight to 1/2, 1/4 or 1/8 scale when
that still leaves enough pixels for the target size (64 px and below from a 178 px crop),
saving most of the cost of a full decode. Worker processes, one per core, write straight
into the memory-mapped output, so no image array is ever pickled or held whole.
A JPEG that fails to decode (truncated, bad CRC, not an image) is counted and reported; by
`on_corrupt` it stops the run or is dropped with its id recorded, never left as a blank.
"""

from __future__ import annotations

import io
import json
import math
import os
import struct
import time
import zipfile
import zlib
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


def safe_member(name: str) -> bool:
    """A member name that stays inside the archive's folder (no `..`, not absolute)."""
    path = PurePosixPath(name.replace("\\", "/"))
    return not (name.endswith("/") or path.is_absolute() or ".." in path.parts or ":" in name)


def image_members(zf: zipfile.ZipFile) -> dict[str, str]:
    """Map `000001.jpg` -> member name, ignoring anything that is not a plain JPEG entry."""
    members = {}
    for name in zf.namelist():
        if not safe_member(name):
            continue
        path = PurePosixPath(name)
        if path.suffix.lower() == ".jpg":
            if path.name in members:
                raise ZatlasError(
                    f"{zf.filename} holds {path.name} twice ({members[path.name]}, {name}): "
                    "not a CelebA archive; delete it and acquire again"
                )
            members[path.name] = name
    return members


@dataclass(frozen=True)
class Member:
    """Where one member's bytes sit in the archive: read without parsing the directory."""

    offset: int  # of the local file header
    compressed: int
    method: int
    crc: int
    size: int


def member_table(zf: zipfile.ZipFile, names: list[str]) -> list[Member]:
    table = []
    for name in names:
        info = zf.getinfo(name)
        if info.flag_bits & 0x1:
            raise ZatlasError(f"{zf.filename}: {name} is encrypted; CelebA's archive is not")
        table.append(
            Member(
                info.header_offset, info.compress_size, info.compress_type, info.CRC, info.file_size
            )
        )
    return table


def read_member(fh, member: Member) -> bytes:
    """The member's bytes, decompressed and CRC-checked (zipfile.BadZipFile if damaged)."""
    fh.seek(member.offset)
    header = fh.read(30)
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile("bad local file header")
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    fh.seek(member.offset + 30 + name_len + extra_len)
    data = fh.read(member.compressed)
    if len(data) != member.compressed:
        raise zipfile.BadZipFile("member truncated")
    if member.method == zipfile.ZIP_DEFLATED:
        try:
            data = zlib.decompress(data, -15)
        except zlib.error as exc:
            raise zipfile.BadZipFile(f"bad deflate stream: {exc}") from None
    elif member.method != zipfile.ZIP_STORED:
        raise zipfile.BadZipFile(f"unsupported compression method {member.method}")
    if len(data) != member.size or zlib.crc32(data) != member.crc:
        raise zipfile.BadZipFile("Bad CRC-32")
    return data


def decode_face(data: bytes, image_size: int, crop: int) -> np.ndarray:
    """Decode one JPEG, cut the centred crop x crop square, resize to image_size."""
    with Image.open(io.BytesIO(data)) as img:
        w0, h0 = img.size
        need = (math.ceil(w0 * image_size / crop), math.ceil(h0 * image_size / crop))
        img.draft("RGB", need)  # a reduced-scale decode, when that still leaves `need`
        if img.mode != "RGB":  # (convert to the same mode would only copy)
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
    zip_path: str, members: list[Member], first_row: int, out_path: str, spec: PrepareSpec
):
    images = np.load(out_path, mmap_mode="r+")
    failures = []
    with open(zip_path, "rb") as fh:
        for offset, member in enumerate(members):
            row = first_row + offset
            try:
                images[row] = decode_face(read_member(fh, member), spec.image_size, spec.crop)
            except (
                OSError,
                ValueError,
                SyntaxError,
                zipfile.BadZipFile,
                Image.DecompressionBombError,
            ) as exc:
                images[row] = 0
                failures.append((row, f"{type(exc).__name__}: {exc}"))
    images.flush()
    del images
    return len(members), failures


def prepare_celeba_layout(
    raw_dir: str | Path,
    images_out: str | Path,
    attributes_out: str | Path,
    summary_out: str | Path,
    spec: PrepareSpec,
) -> dict:
    t0 = time.perf_counter()
    raw = Path(raw_dir)
    zip_path = raw / "img_align_celeba.zip"
    for need in (zip_path, raw / "list_eval_partition.txt", raw / "list_attr_celeba.txt"):
        if not need.exists():
            raise ZatlasError(f"missing {need}: run the 'acquire' rule or place the file there")
    partition = read_partition(raw / "list_eval_partition.txt")
    attributes = read_attributes(raw / "list_attr_celeba.txt")
    for name, frame in (
        ("list_eval_partition.txt", partition),
        ("list_attr_celeba.txt", attributes),
    ):
        dupes = frame["image_id"][frame["image_id"].duplicated()]
        if len(dupes):
            raise ZatlasError(f"{raw / name} lists {dupes.iloc[0]} more than once")
    table = partition.merge(attributes, on="image_id", how="inner", validate="one_to_one")
    if len(table) != len(partition):
        raise ZatlasError("list_eval_partition.txt and list_attr_celeba.txt list different images")
    table = select_rows(table, spec.n_images)

    try:
        with zipfile.ZipFile(zip_path) as zf:
            members = image_members(zf)
            missing = [i for i in table["image_id"] if i not in members]
            if missing:
                raise ZatlasError(
                    f"{zip_path} lacks {len(missing)} images listed in the partition file "
                    f"(first: {missing[:5]}); the archive is incomplete: delete it and acquire "
                    "again"
                )
            locations = member_table(zf, [members[i] for i in table["image_id"]])
    except zipfile.BadZipFile as exc:
        raise ZatlasError(
            f"{zip_path} is not a readable zip ({exc}): delete it and acquire again"
        ) from None

    start = time.perf_counter()
    n = len(table)
    part = Path(str(images_out) + ".part.npy")
    np.lib.format.open_memmap(
        part, mode="w+", dtype=np.uint8, shape=(n, spec.image_size, spec.image_size, 3)
    ).flush()
    workers = spec.workers or os.cpu_count() or 1
    chunk = max(64, min(4096, math.ceil(n / (workers * 8))))
    failures: list[tuple[int, str]] = []
    jobs = [
        (str(zip_path), locations[i : i + chunk], i, str(part), spec) for i in range(0, n, chunk)
    ]
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

    failures.sort()
    bad_rows = [r for r, _ in failures]
    bad_ids = [table["image_id"][r] for r in bad_rows]
    for row, why in failures[:20]:
        print(f"corrupt image {table['image_id'][row]}: {why}", flush=True)
    if len(failures) > 20:
        print(f"... and {len(failures) - 20} more corrupt images", flush=True)
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
        "n_corrupt": len(bad_ids),
        "skipped_corrupt": bad_ids,
        "seconds": round(seconds, 3),
        "images_per_second": round(n / seconds, 1) if seconds > 0 else None,
        "total_seconds": round(time.perf_counter() - t0, 3),
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
