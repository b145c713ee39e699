"""A folder of your own images as the data set (`data.dataset: folder`).

`data.path` is a directory, a zip or a tar(.gz) of JPEG, PNG, WebP, GIF, BMP, TIFF or
PGM/PPM images, in any layout (nested folders, any names, mixed formats, sizes and modes).
Nothing there is ever written, moved or extracted. The acquire step lists the images,
reads each once and records a manifest: `manifest.tsv` (name, bytes, md5 per image)
beside `source.json`, which holds the count, total bytes and a content hash (sha256 of the
sorted `name<TAB>md5` lines). It depends on the folder's content and nothing else (see
`fingerprint`), so every config on the same folder shares it; the split, the attributes
and the cap on images are the prepare step's, under results/<run>/. The prepare step lists
the folder again and checks every image's md5 while it decodes it, so a folder changed
after it was recorded stops the run with the names of what changed, instead of silently
mixing results of two data sets. Images are centre-cropped to a square (the whole shorter
side unless `crop` is given) and resized, as for CelebA.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from zatlas.data.container import Container, Entry, Limits
from zatlas.data.decode import PrepareSpec, chunk_size, decode_all
from zatlas.data.folder_manifest import (
    Log,
    changed_error,
    content_hash,
    diff,
    list_images,
    read_manifest,
    report_skipped,
    say,
    tell,
)
from zatlas.data.folder_tables import build_table
from zatlas.data.formats import FORMATS_IN_WORDS, KIND_NAMES, image_kind, suffix_kind
from zatlas.data.prepare import finish, select_rows
from zatlas.progress import progress

MANIFEST = "manifest.tsv"
SPLIT_FRACTIONS = (0.8, 0.1, 0.1)
CHUNK_BYTES = 64_000_000  # bytes of a compressed tar's images in one chunk, at most


def _file_md5(path: str | Path | None) -> str | None:
    return hashlib.md5(Path(path).expanduser().read_bytes()).hexdigest() if path else None


def acquire_folder(
    path: str | Path, dest: str | Path, limits: Limits | None = None, log: Log = say
) -> dict:
    """Record the folder's manifest in `dest` (manifest.tsv) and return the source record."""
    container = Container.at(Path(path).expanduser().resolve(), limits)
    images, skipped = list_images(container, log)
    sizes = {e.name: e.size for e in images}
    md5s: dict[str, str] = {}
    not_images: list[str] = []
    renamed: list[str] = []
    stream = container.stream(set(sizes))
    for name, data in progress(stream, desc="reading images", total=len(sizes)):
        md5s[name] = hashlib.md5(data).hexdigest()
        kind = image_kind(data)
        if kind is None:
            not_images.append(name)
        elif kind != suffix_kind(name):
            renamed.append(f"{name!r} is {KIND_NAMES[kind]}")
    if not_images:
        tell(
            log,
            f"{len(not_images)} file(s) named as images are not {FORMATS_IN_WORDS} "
            f"by their content (first: {not_images[:5]}); data.on_corrupt decides what "
            "prepare does",
        )
    if renamed:
        tell(
            log,
            f"{len(renamed)} image(s) hold another format than their suffix says, "
            f"and are read by their content: {'; '.join(renamed[:5])}",
        )
    first_of: dict[str, str] = {}
    copies = [f"{n!r} = {first_of[d]!r}" for n, d in md5s.items() if first_of.setdefault(d, n) != n]
    if copies:  # allowed (a photo filed twice), but the user should know
        tell(log, f"{len(copies)} image(s) are byte-for-byte copies of another: {copies[:3]}")
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    manifest = "".join(f"{n}\t{sizes[n]}\t{md5s[n]}\n" for n in sorted(md5s))
    (dest / MANIFEST).write_text("name\tbytes\tmd5\n" + manifest, encoding="utf-8")
    record = {
        "dataset": "folder",
        "source": "folder",
        "path": container.path,
        "kind": container.kind,
        "n_images": len(md5s),
        "total_bytes": int(sum(sizes.values())),
        "content_hash": content_hash(md5s),
        "manifest": MANIFEST,
        "not_images": not_images[:20],
        "other_format": renamed[:20],
        "n_copies": len(copies),
        "n_left_out": len(skipped),
    }
    log(
        f"{len(md5s):,} images, {record['total_bytes']:,} bytes, content hash "
        f"{record['content_hash'][:16]}..."
    )
    report_skipped(skipped, log)
    return record


def _table_files(attributes, splits) -> dict:
    """The attribute and split files this run read, with their md5 (for prepare.json)."""
    return {
        key: {"path": str(given), "md5": _file_md5(given)} if given else None
        for key, given in (("attributes", attributes), ("split_file", splits))
    }


def prepare_folder(
    record_path: str | Path,
    images_out: str | Path,
    attributes_out: str | Path,
    summary_out: str | Path,
    spec: PrepareSpec,
    attributes: str | Path | None = None,
    splits: str | Path | None = None,
    fractions: Sequence[float] = SPLIT_FRACTIONS,
    seed: int = 0,
    limits: Limits | None = None,
) -> dict:
    """Decode the recorded folder into images.npy + attributes.parquet, checking every image
    against the manifest."""
    t0 = time.perf_counter()
    record_path = Path(record_path)
    record = json.loads(record_path.read_text())
    manifest = read_manifest(record_path.parent / record["manifest"])
    container = Container.at(record["path"], limits)
    images, _ = list_images(container, lambda _m: None)
    sizes = {e.name: e.size for e in images}
    old_sizes = {n: s for n, (s, _) in manifest.items()}
    if sizes != old_sizes:
        raise changed_error(record_path, container.path, diff(old_sizes, sizes))
    attributes = Path(attributes).expanduser() if attributes else None
    splits = Path(splits).expanduser() if splits else None
    table = build_table(list(sizes), attributes, splits, fractions, seed)
    table = select_rows(table, spec.n_images)
    n = len(table)
    row_of = {name: r for r, name in enumerate(table["image_id"])}
    spec = replace(spec, orient=True)
    warn_upsampling(container, images, spec, n)
    step = chunk_size(n, spec.workers or os.cpu_count() or 1)
    if container.random_access():
        where = {e.name: e.where for e in images}
        items = [(row_of[name], where[name]) for name in table["image_id"]]
        chunks: Iterator[list] = (items[i : i + step] for i in range(0, n, step))
        reader: Container | None = container
    else:
        chunks, reader = _byte_chunks(container, row_of, step), None
    part = Path(str(images_out) + ".part.npy")
    start = time.perf_counter()
    failures, digests, workers, notes = decode_all(reader, chunks, n, part, spec, md5=True)
    seconds = time.perf_counter() - start
    names = table["image_id"].tolist()
    now = {names[r]: (sizes[names[r]], d) for r, d in digests.items()}
    was = {name: manifest[name] for name in now}
    if now != was:
        part.unlink(missing_ok=True)
        raise changed_error(record_path, container.path, diff(was, now))
    advice = (
        "Replace or remove those files (then delete "
        f"{record_path} or run snakemake with `-R acquire`), or set data.on_corrupt: skip "
        "to drop them (their names are then recorded)."
    )
    extra = {
        "dataset": "folder",
        "path": container.path,
        "content_hash": record["content_hash"],
        "seed": seed,
        "split_fractions": None if splits else list(fractions),
        **_table_files(attributes, splits),
    }
    return finish(
        table,
        part,
        failures,
        container.path,
        advice,
        spec,
        seconds,
        t0,
        workers,
        images_out,
        attributes_out,
        summary_out,
        extra,
        notes,
    )


def warn_upsampling(container: Container, images: list[Entry], spec: PrepareSpec, n: int) -> None:
    """Say so, with the array's size, when image_size is far above the images' own size
    (read from the headers of a few images spread over the folder)."""
    from zatlas.data.decode import source_side

    if not container.random_access():
        return
    pick = images[:: max(1, len(images) // 16)][:16]
    sides = []
    with container.open() as fh:
        for e in pick:
            side = source_side(container.read(fh, e.where), spec.crop)
            if side:
                sides.append(side)
    if sides and spec.image_size > 2 * max(sides):
        size = n * spec.image_size**2 * 3
        tell(
            say,
            f"warning: data.image_size {spec.image_size} is more than twice the "
            f"largest square of the images sampled ({max(sides)} px): every image is blown "
            f"up, and images.npy takes {size / 1e9:,.2f} GB for {n:,} images. A smaller "
            "image_size keeps the same detail",
        )


def _byte_chunks(container: Container, row_of: dict[str, int], step: int) -> Iterator[list]:
    """(row, bytes) chunks of a compressed tar, streamed once in archive order; a chunk
    holds at most `step` images and about CHUNK_BYTES bytes, so memory stays bounded."""
    chunk, held = [], 0
    for name, data in container.stream(set(row_of)):
        chunk.append((row_of[name], data))
        held += len(data)
        if len(chunk) == step or held >= CHUNK_BYTES:
            yield chunk
            chunk, held = [], 0
    if chunk:
        yield chunk
