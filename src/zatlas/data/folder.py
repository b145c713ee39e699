"""A folder of your own images as the data set (`data.dataset: folder`).

`data.path` is a directory, a zip or a tar(.gz) of JPEG, PNG or WebP images, in any layout
(nested folders, any names, mixed formats and sizes, grayscale or colour). Nothing there is
ever written, moved or extracted. The acquire step lists the images, reads each once and
records a manifest: `manifest.tsv` (name, bytes, md5 per image) beside `source.json`, which
holds the count, total bytes and a content hash (sha256 of the sorted `name<TAB>md5` lines).
The prepare step lists the folder again and checks every image's md5 while it decodes it,
so a folder changed after it was recorded stops the run with the names of what changed,
instead of silently mixing results of two data sets. Images are centre-cropped to a square
(the whole shorter side unless `crop` is given) and resized, as for CelebA.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from zatlas.data.archive import Container, Entry, image_kind, is_image_name
from zatlas.data.decode import PrepareSpec, chunk_size, decode_all
from zatlas.data.folder_tables import build_table
from zatlas.data.prepare import finish, select_rows
from zatlas.errors import ZatlasError
from zatlas.progress import progress

MANIFEST = "manifest.tsv"
SPLIT_FRACTIONS = (0.8, 0.1, 0.1)

Log = Callable[[str], None]


def _print(message: str) -> None:
    print(f"[folder] {message}", flush=True)


def list_images(container: Container, log: Log = _print) -> list[Entry]:
    """The images of a container, sorted by name; other files are logged and left alone."""
    entries = container.entries(log)
    images = [e for e in entries if is_image_name(e.name)]
    others = [e.name for e in entries if not is_image_name(e.name)]
    if others:
        log(
            f"ignoring {len(others)} file(s) that are not .jpg/.jpeg/.png/.webp images or are "
            f"hidden (first: {others[:5]})"
        )
    if not images:
        raise ZatlasError(
            f"data.path: {container.path} holds no JPEG, PNG or WebP images (searched "
            "recursively); point data.path at the folder or archive that holds them"
        )
    return images


def content_hash(md5s: dict[str, str]) -> str:
    lines = "".join(f"{name}\t{md5s[name]}\n" for name in sorted(md5s))
    return hashlib.sha256(lines.encode()).hexdigest()


def _file_md5(path: str | Path | None) -> str | None:
    return hashlib.md5(Path(path).read_bytes()).hexdigest() if path else None


def acquire_folder(
    path: str | Path,
    dest: str | Path,
    attributes: str | Path | None = None,
    splits: str | Path | None = None,
    fractions: Sequence[float] = SPLIT_FRACTIONS,
    seed: int = 0,
    log: Log = _print,
) -> dict:
    """Record the folder's manifest in `dest` (manifest.tsv) and return the source record;
    the attribute and split files are parsed here already, so their mistakes show early."""
    container = Container.at(Path(path).expanduser().resolve())
    images = list_images(container, log)
    sizes = {e.name: e.size for e in images}
    md5s: dict[str, str] = {}
    not_images: list[str] = []
    stream = container.stream(set(sizes))
    for name, data in progress(stream, desc="reading images", total=len(sizes)):
        md5s[name] = hashlib.md5(data).hexdigest()
        if image_kind(data) is None:
            not_images.append(name)
    if not_images:
        log(
            f"{len(not_images)} file(s) named as images are not JPEG, PNG or WebP by their "
            f"content (first: {not_images[:5]}); data.on_corrupt decides what prepare does"
        )
    table = build_table(list(sizes), attributes, splits, fractions, seed)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    manifest = "".join(f"{n}\t{sizes[n]}\t{md5s[n]}\n" for n in sorted(md5s))
    (dest / MANIFEST).write_text("name\tbytes\tmd5\n" + manifest)
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
        "attributes": None,
        "splits": {k: int(v) for k, v in table["split"].value_counts().items()},
        "split_file": None,
        "split_fractions": None if splits else list(fractions),
        "seed": seed,
    }
    if attributes:
        columns = [c for c in table.columns if c not in ("image_id", "split")]
        record["attributes"] = {
            "path": str(attributes),
            "md5": _file_md5(attributes),
            "columns": columns,
        }
    if splits:
        record["split_file"] = {"path": str(splits), "md5": _file_md5(splits)}
    log(
        f"{len(md5s):,} images, {record['total_bytes']:,} bytes, content hash "
        f"{record['content_hash'][:16]}..., splits {record['splits']}"
    )
    return record


def read_manifest(path: Path) -> dict[str, tuple[int, str]]:
    out = {}
    for line in path.read_text().splitlines()[1:]:
        name, size, md5 = line.rsplit("\t", 2)
        out[name] = (int(size), md5)
    return out


def _changed(record_path: Path, where: str, details: str) -> ZatlasError:
    return ZatlasError(
        f"{where} changed since the acquire step recorded it in {record_path}: {details}. "
        "Results of the old and the new content must not be mixed: delete "
        f"{record_path} (or run snakemake with `-R acquire`) to record the folder as it is "
        "now, and run the workflow again."
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


def check_record(record_path: Path, record: dict, attributes, splits) -> None:
    """The attribute and split files named in the config are those recorded, unchanged."""
    for key, given, recorded in (
        ("attributes", attributes, record.get("attributes")),
        ("splits", splits, record.get("split_file")),
    ):
        if bool(given) != bool(recorded) or (given and _file_md5(given) != recorded["md5"]):
            raise _changed(record_path, f"data.{key} ({given or 'none'})", "not the file recorded")


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
) -> dict:
    """Decode the recorded folder into images.npy + attributes.parquet, checking every image
    against the manifest."""
    t0 = time.perf_counter()
    record_path = Path(record_path)
    record = json.loads(record_path.read_text())
    manifest = read_manifest(record_path.parent / record["manifest"])
    container = Container.at(record["path"])
    images = list_images(container)
    sizes = {e.name: e.size for e in images}
    old_sizes = {n: s for n, (s, _) in manifest.items()}
    if sizes != old_sizes:
        raise _changed(record_path, container.path, _diff(old_sizes, sizes))
    check_record(record_path, record, attributes, splits)
    table = build_table(list(sizes), attributes, splits, fractions, seed)
    table = select_rows(table, spec.n_images)
    n = len(table)
    row_of = {name: r for r, name in enumerate(table["image_id"])}
    spec = replace(spec, orient=True)
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
    failures, digests, workers = decode_all(reader, chunks, n, part, spec, md5=True)
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
    extra = {"dataset": "folder", "path": container.path, "content_hash": record["content_hash"]}
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
    )


def _byte_chunks(container: Container, row_of: dict[str, int], step: int) -> Iterator[list]:
    """(row, bytes) chunks of a compressed tar, streamed once in archive order."""
    chunk = []
    for name, data in container.stream(set(row_of)):
        chunk.append((row_of[name], data))
        if len(chunk) == step:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
