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
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from zatlas.data.container import Container, Entry, Limits, bad_names, is_image_name
from zatlas.data.decode import PrepareSpec, chunk_size, decode_all
from zatlas.data.folder_tables import build_table
from zatlas.data.formats import FORMATS_IN_WORDS, KIND_NAMES, image_kind, suffix_kind
from zatlas.data.prepare import finish, select_rows
from zatlas.errors import ZatlasError
from zatlas.logs import to_terminal
from zatlas.progress import progress

MANIFEST = "manifest.tsv"
SPLIT_FRACTIONS = (0.8, 0.1, 0.1)
CHUNK_BYTES = 64_000_000  # bytes of a compressed tar's images in one chunk, at most

Log = Callable[[str], None]


def _print(message: str) -> None:
    print(f"[folder] {message}", flush=True)


def _tell(log: Log, message: str) -> None:
    """In the log, and on the terminal too."""
    log(message)
    to_terminal(f"[folder] {message}")


def _why_not_image(name: str) -> str:
    hidden = any(p.startswith(".") or p == "__MACOSX" for p in name.split("/"))
    return "hidden" if hidden else "not an image by its name"


def list_images(
    container: Container, log: Log = _print
) -> tuple[list[Entry], list[tuple[str, str]]]:
    """The images of a container, sorted by name, and (name, why) of every file left out."""
    entries, skipped = container.listing(log)
    images = [e for e in entries if is_image_name(e.name)]
    skipped += [(e.name, _why_not_image(e.name)) for e in entries if not is_image_name(e.name)]
    bad = bad_names([e.name for e in images])
    if bad:
        shown = ", ".join(repr(n) for n in bad[:5])
        raise ZatlasError(
            f"data.path: {len(bad)} image name(s) in {container.path} hold bytes that are not "
            f"UTF-8 or control characters such as a newline (shown with Python escapes): "
            f"{shown}. Rename them (e.g. `convmv -f latin1 -t utf8 -r --notest <folder>`, or "
            "by hand) and run again"
        )
    if not images:
        raise ZatlasError(
            f"data.path: {container.path} holds no {FORMATS_IN_WORDS} images (searched "
            "recursively); point data.path at the folder or archive that holds them"
        )
    container.check_sizes(images)
    return images, sorted(skipped)


def report_skipped(skipped: list[tuple[str, str]], log: Log) -> None:
    """Every file left out in the log; their count by reason, with examples, on the console."""
    if not skipped:
        return
    for name, why in skipped:
        log(f"left out {name!r}: {why}")
    by_why = Counter(why for _, why in skipped)
    parts = []
    for why, count in by_why.most_common():
        first = [repr(n) for n, w in skipped if w == why][:3]
        parts.append(f"{count} {why} ({', '.join(first)}{', ...' if count > 3 else ''})")
    _tell(
        log,
        f"left out {len(skipped)} file(s) that are not used as images: "
        + "; ".join(parts)
        + " (the full list is in the acquire log)",
    )


def content_hash(md5s: dict[str, str]) -> str:
    lines = "".join(f"{name}\t{md5s[name]}\n" for name in sorted(md5s))
    return hashlib.sha256(lines.encode()).hexdigest()


def _file_md5(path: str | Path | None) -> str | None:
    return hashlib.md5(Path(path).expanduser().read_bytes()).hexdigest() if path else None


def acquire_folder(
    path: str | Path, dest: str | Path, limits: Limits | None = None, log: Log = _print
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
        _tell(
            log,
            f"{len(not_images)} file(s) named as images are not {FORMATS_IN_WORDS} "
            f"by their content (first: {not_images[:5]}); data.on_corrupt decides what "
            "prepare does",
        )
    if renamed:
        _tell(
            log,
            f"{len(renamed)} image(s) hold another format than their suffix says, "
            f"and are read by their content: {'; '.join(renamed[:5])}",
        )
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
        "n_left_out": len(skipped),
    }
    log(
        f"{len(md5s):,} images, {record['total_bytes']:,} bytes, content hash "
        f"{record['content_hash'][:16]}..."
    )
    report_skipped(skipped, log)
    return record


def read_manifest(path: Path) -> dict[str, tuple[int, str]]:
    out = {}
    try:
        lines = path.read_text(encoding="utf-8").split("\n")[1:]
        for line in filter(None, lines):
            name, size, md5 = line.rsplit("\t", 2)
            out[name] = (int(size), md5)
    except (OSError, ValueError) as exc:
        raise ZatlasError(
            f"{path} cannot be read ({exc}); delete {path.parent / 'source.json'} (or run "
            "snakemake with `-R acquire`) to record the folder again"
        ) from None
    return out


def _changed(record_path: Path, where: str, details: str) -> ZatlasError:
    return ZatlasError(
        f"{where} changed since the acquire step recorded it in {record_path}: {details}. "
        "Results of the old and the new content must not be mixed: run the workflow again "
        "(a changed folder reruns the acquire step by itself once it is still), or delete "
        f"{record_path} (or run snakemake with `-R acquire`) to record it as it is now."
    )


def _diff(old: dict, new: dict) -> str:
    added = sorted(set(new) - set(old))
    removed = sorted(set(old) - set(new))
    changed = sorted(n for n in set(old) & set(new) if old[n] != new[n])
    parts = [
        f"{len(names)} {what} (first: {names[:3]})"
        for what, names in (("added", added), ("removed", removed), ("changed", changed))
        if names
    ]
    return ", ".join(parts)


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
        raise _changed(record_path, container.path, _diff(old_sizes, sizes))
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
        raise _changed(record_path, container.path, _diff(was, now))
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
        _tell(
            _print,
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
