"""Checks that files claiming to be CelebA are: md5 first, else the content."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path

from zatlas.data.archive import image_members, member_table, read_member
from zatlas.data.attributes import read_attributes, read_partition
from zatlas.data.celeba.spec import (
    ATTRIBUTES,
    PARTITION,
    ZIP,
    CelebaFile,
    CelebaSpec,
    Expected,
    Log,
    SourceFailed,
    VerificationFailed,
)
from zatlas.data.celeba.subset import subset_ids
from zatlas.data.decode import decode_error
from zatlas.errors import ZatlasError
from zatlas.progress import progress

_MD5_CACHE: dict[tuple[int, int, int, int], str] = {}


def short_reason(exc: BaseException, limit: int = 200) -> str:
    """One readable line for a failed download: the innermost cause of urllib3's nested
    messages ("... Caused by NameResolutionError(...)"), cut to `limit` characters."""
    text = f"{type(exc).__name__}: {exc}"
    if "Caused by " in text:
        text = text.rsplit("Caused by ", 1)[1]
        while text.endswith(")") and text.count(")") > text.count("("):
            text = text[:-1]  # the closing brackets of the messages around the cause
    return text if len(text) <= limit else text[: limit - 3] + "..."


def md5sum(path: str | Path, chunk: int = 1 << 20) -> str:
    """md5 of a file; remembered per inode, size and mtime, so that a verified `.part`
    renamed into place is not read twice (1.4 GB)."""
    st = os.stat(path)
    key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    if key not in _MD5_CACHE:
        digest = hashlib.md5()
        with open(path, "rb") as fh:
            while block := fh.read(chunk):
                digest.update(block)
        _MD5_CACHE[key] = digest.hexdigest()
    return _MD5_CACHE[key]


def sniff(path: Path, file: CelebaFile, check_size: bool = True) -> str | None:
    """Why `path` cannot be `file`, judged by its size and first bytes; None if plausible."""
    size = path.stat().st_size
    if size == 0:
        return "it is empty"
    with open(path, "rb") as fh:
        head = fh.read(1024)
    lowered = head.lstrip().lower()
    if lowered.startswith((b"<!doctype", b"<html", b"<?xml")) or b"<html" in lowered:
        return (
            "it is an HTML page, not the file (Google Drive's 'quota exceeded' or "
            "'cannot scan for viruses' page)"
        )
    if file.name.endswith(".zip") and head[:4] != b"PK\x03\x04":
        return "it is not a zip archive (no PK\\x03\\x04 magic bytes)"
    if check_size and file.size is not None and size != file.size:
        return f"it has {size:,} bytes, expected {file.size:,}"
    return None


def _file_record(path: Path, file: CelebaFile, md5: str | None = None) -> dict:
    md5 = md5 or md5sum(path)
    return {
        "bytes": path.stat().st_size,
        "md5": md5,
        "official_md5": file.md5,
        "matches_official": md5 == file.md5,
    }


def verify_content(
    zip_path: Path,
    partition_path: Path,
    attributes_path: Path,
    expected: Expected,
    log: Log,
    allow_subset: bool = False,
) -> dict:
    """Count, size and split check of a CelebA layout; VerificationFailed says what is off.

    With `allow_subset`, an archive holding fewer images than the official release passes
    when every image in it is a listed CelebA image in its official split, of the official
    size; the record then says `subset` and carries the real counts."""

    def fail(why: str):
        raise VerificationFailed(why)

    try:
        partition = read_partition(partition_path)
        attributes = read_attributes(attributes_path)
    except ZatlasError as exc:
        fail(str(exc))
    if partition["image_id"].duplicated().any():
        fail(f"{partition_path.name} lists an image more than once")
    ids = set(partition["image_id"])
    want = dict(expected.splits)
    members = _members(zip_path, fail)
    if allow_subset and (len(partition) != expected.n_images or set(members) != ids):
        if set(attributes["image_id"]) != ids or len(attributes) != len(ids):
            fail(f"{attributes_path.name} and {partition_path.name} list different images")
        order, counts = subset_ids(partition, members, expected, partition_path.name)
        _check_images(zip_path, order, members, expected, fail)
        log(
            f"WARNING: a subset of CelebA: {len(order):,} of the {expected.n_images:,} official "
            f"images (splits {counts}); every image present verified ({expected.width}x"
            f"{expected.height} JPEG, a listed CelebA id in its official split). The results "
            "describe this subset, not the whole of CelebA."
        )
        return {
            "n_images": len(order),
            "splits": counts,
            "subset": True,
            "official_n_images": expected.n_images,
        }
    if len(partition) != expected.n_images:
        fail(
            f"{partition_path.name} lists {len(partition):,} images, expected {expected.n_images:,}"
        )
    counts = partition["split"].value_counts().to_dict()
    if {k: counts.get(k, 0) for k in want} != want:
        fail(f"{partition_path.name} splits are {counts}, expected {want}")
    if set(attributes["image_id"]) != ids or len(attributes) != len(ids):
        fail(f"{attributes_path.name} and {partition_path.name} list different images")
    if set(members) != ids:
        lacking = sorted(ids - set(members))
        extra = sorted(set(members) - ids)
        fail(
            f"{zip_path.name} holds {len(members):,} JPEGs: {len(lacking):,} listed "
            f"images missing (first {lacking[:3]}), {len(extra):,} unlisted "
            f"(first {extra[:3]})"
        )
    order = sorted(ids)
    _check_images(zip_path, order, members, expected, fail)
    log(
        f"content verified: {len(order):,} images of {expected.width}x{expected.height}, "
        f"splits {want}"
    )
    return {"n_images": len(order), "splits": want}


def _members(zip_path: Path, fail) -> dict[str, str]:
    try:
        with zipfile.ZipFile(zip_path) as zf:
            try:
                return image_members(zf)
            except ZatlasError as exc:  # the same image twice
                fail(str(exc))
    except zipfile.BadZipFile as exc:
        fail(f"{zip_path.name} is not a readable zip archive ({exc})")


def _check_images(zip_path: Path, order: list[str], members: dict, expected: Expected, fail):
    """Every image in `order` a JPEG of the official size (the first 10 failures named)."""
    from PIL import Image

    try:
        with zipfile.ZipFile(zip_path) as zf:
            locations = member_table(zf, [members[i] for i in order])
    except zipfile.BadZipFile as exc:
        fail(f"{zip_path.name} is not a readable zip archive ({exc})")
    bad = []
    with open(zip_path, "rb") as fh:
        for image_id, where in progress(
            list(zip(order, locations, strict=True)), desc="verifying images", total=len(order)
        ):
            try:
                data = read_member(fh, where)
                if data[:2] != b"\xff\xd8":
                    raise ValueError("not a JPEG")
                with Image.open(io.BytesIO(data)) as img:
                    size = img.size
                if size != (expected.width, expected.height):
                    raise ValueError(f"{size[0]}x{size[1]}")
            except (OSError, ValueError, SyntaxError, zipfile.BadZipFile) as exc:
                bad.append(f"{image_id} ({decode_error(exc)})")
                if len(bad) >= 10:
                    break
    if bad:
        fail(
            f"{zip_path.name}: images that are not {expected.width}x{expected.height} JPEGs: "
            + "; ".join(bad)
        )


def verify_folder(
    dest: Path, spec: CelebaSpec, log: Log, paths: dict | None = None, allow_subset: bool = False
) -> dict:
    """Verify the required files (official md5s, else content); record every file present.

    `paths` maps a file name to where it is now (a `.part` not yet renamed); the rest are
    looked for in `dest`.
    """
    paths = {f.name: dest / f.name for f in spec.files} | (paths or {})
    files = {}
    for f in spec.files:
        if paths[f.name].exists():
            files[f.name] = _file_record(paths[f.name], f)
    if all(files[f.name]["matches_official"] for f in spec.required):
        verified_by = "md5"
        expected = spec.expected
        content = {"n_images": expected.n_images, "splits": dict(expected.splits)}
        log("every required file matches its official md5")
    else:
        verified_by = "content"
        off = [f.name for f in spec.required if not files[f.name]["matches_official"]]
        log(f"not the official bytes ({', '.join(off)}): verifying the content")
        content = verify_content(
            paths[ZIP], paths[PARTITION], paths[ATTRIBUTES], spec.expected, log, allow_subset
        )
    return {"verified_by": verified_by, **content, "files": files}


def _publish(parts: dict[str, Path], dest: Path) -> None:
    for name, part in parts.items():
        part.replace(dest / name)


def _verify_and_publish(parts: dict[str, Path], dest: Path, spec: CelebaSpec, log: Log) -> dict:
    try:
        # an archive this source did not write is the user's own: it may be a subset
        result = verify_folder(dest, spec, log, paths=parts, allow_subset=ZIP not in parts)
    except VerificationFailed as exc:
        for part in parts.values():
            part.unlink(missing_ok=True)
        raise SourceFailed(f"content does not verify: {exc}") from None
    _publish(parts, dest)
    return result
