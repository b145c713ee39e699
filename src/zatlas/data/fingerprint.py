"""Content fingerprints of the files a run reads, so that a changed file reruns its rule.

Snakemake decides reruns by the modification times of the files a rule names as input; a
folder of images, or a CSV named only in the config, is none of those. So when the
workflow is parsed, `fingerprint` writes a small file whose text is a hash of the content
(each image's md5 with its name, or the file's own md5) and rewrites it only when that text
changes: its time moves with the content and nothing else, and the rule that reads the
data names it as an input. An image replaced by another (the same count), an edited
attributes or split CSV, a file renamed: each reruns the rule; touching a file, or copying
the folder as it is, reruns nothing.

Hashing every image at every parse would cost minutes on a large folder, so a cache beside
the fingerprint keeps each file's md5 under its (size, mtime, inode, ctime) stamp: only
files new or touched since the last parse are read again. ctime is set by the kernel on
every write, so even a copy that restores the old mtime (`cp -p`, `touch -d`) is seen. A
zip is fingerprinted by its central directory (each member's name, size and CRC-32), a
tar by each member's md5, both only when the archive's own stamp changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from pathlib import Path

from zatlas.data.container import Container, Entry, is_image_name

CHUNK = 1 << 20


def _stamp(path: Path) -> list:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns]


def file_md5(path: str | Path) -> str:
    h = hashlib.md5()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _write_if_changed(path: Path, text: str) -> bool:
    """Write atomically, and only when the text differs (the mtime is what Snakemake sees)."""
    try:
        if path.read_text() == text:
            return False
    except (OSError, UnicodeDecodeError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    tmp.replace(path)
    return True


def _load_cache(path: Path) -> dict:
    try:
        cache = json.loads(path.read_text())
        return cache if isinstance(cache, dict) else {}
    except (OSError, ValueError):
        return {}


def _directory_md5s(container: Container, images: list[Entry], cache: dict) -> dict[str, str]:
    """Each image's md5: from the cache when its stamp is unchanged, else read now."""
    out, stale = {}, []
    for e in images:
        key = [e.size, *e.stamp]
        hit = cache.get(e.name)
        if hit and hit[:-1] == key:
            out[e.name] = hit[-1]
        else:
            stale.append(e)
    if len(stale) > 100:
        print(f"zatlas: fingerprinting {len(stale):,} new or changed images", file=sys.stderr)
    for e in stale:
        out[e.name] = file_md5(Path(container.path) / e.name)
        cache[e.name] = [e.size, *e.stamp, out[e.name]]
    for name in set(cache) - {e.name for e in images}:
        del cache[name]
    return out


def _archive_lines(container: Container, images: list[Entry], cache: dict) -> list[str]:
    stamp = _stamp(Path(container.path))
    if cache.get("archive") == stamp and "lines" in cache:
        return cache["lines"]
    if container.kind == "zip":  # the central directory holds every member's CRC
        lines = [f"{e.name}\t{e.size}\t{e.where.crc:08x}" for e in images]
    else:
        names = {e.name for e in images}
        lines = sorted(
            f"{n}\t{hashlib.md5(data).hexdigest()}" for n, data in container.stream(names)
        )
    cache.clear()
    cache.update({"archive": stamp, "lines": lines})
    return lines


def folder_fingerprint(container: Container, images: list[Entry], out: Path) -> Path:
    """Write `out` (the images' content digest) when it changed, and its cache beside it."""
    cache_path = out.with_name(out.name + ".cache.json")
    cache = _load_cache(cache_path)
    before = json.dumps(cache, sort_keys=True)
    if container.kind == "directory":
        md5s = _directory_md5s(container, images, cache)
        lines = [f"{n}\t{md5s[n]}" for n in sorted(md5s)]
    else:
        lines = _archive_lines(container, images, cache)
    digest = hashlib.sha256(json.dumps(lines).encode()).hexdigest()
    text = f"{digest}  {len(lines)} images in {container.path} ({container.kind})\n"
    if json.dumps(cache, sort_keys=True) != before:
        _write_if_changed(cache_path, json.dumps(cache))
    _write_if_changed(out, text)
    return out


def file_fingerprint(path: str | Path, folder: str | Path = "resources/inputs") -> Path:
    """A file named in the config (an attributes or split CSV): its md5, in a file keyed by
    the path, rewritten only when the md5 changes (the md5 cached under the file's stamp)."""
    path = Path(path).expanduser()
    where = str(path.resolve())
    stem = re.sub(r"[^A-Za-z0-9]+", "-", path.name).strip("-")[:40] or "file"
    out = Path(folder) / f"{stem}_{hashlib.sha1(where.encode()).hexdigest()[:8]}.md5"
    cache_path = out.with_name(out.name + ".cache.json")
    cache = _load_cache(cache_path)
    stamp = _stamp(path)
    if cache.get("stamp") != stamp:
        cache = {"stamp": stamp, "md5": file_md5(path)}
        _write_if_changed(cache_path, json.dumps(cache))
    _write_if_changed(out, f"{cache['md5']}  {where}\n")
    return out


def data_fingerprint(path: str | Path, out: str | Path, limits=None) -> Path:
    """The fingerprint of a folder data set's images at `path`, written to `out`."""
    container = Container.at(Path(path).expanduser().resolve(), limits)
    images = [e for e in container.entries() if is_image_name(e.name)]
    return folder_fingerprint(container, images, Path(out))
