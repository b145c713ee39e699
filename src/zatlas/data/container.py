"""A folder data set's container: a directory, a zip or a tar, read without extracting.

Member names with `..`, absolute names, drive letters and links are skipped: nothing is
written, so a hostile name cannot escape. In a directory, links to folders are not
followed, and broken links, FIFOs, sockets and devices are left alone; each such file is
named among the skipped ones, never dropped without a word. The workflow's own
`results/` and `resources/` are never read as input, even under `data.path`.

Sizes are checked before a byte is decompressed: a member (or file) above
`Limits.image_bytes` or a total above `Limits.total_bytes` stops the run by name (a zip
member's size from the central directory, a tar member's from its header), and a zip
member that inflates to more than its header says is cut off there. Members are read one
at a time, so memory stays bounded by the largest image accepted.
"""

from __future__ import annotations

import os
import stat
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from zatlas.data.archive import member_table, read_member, safe_member
from zatlas.data.formats import FORMATS_IN_WORDS, IMAGE_SUFFIXES
from zatlas.errors import ZatlasError

Log = Callable[[str], None]
MB = 1_000_000


def _quiet(_message: str) -> None:
    pass


@dataclass(frozen=True)
class Limits:
    """Largest image (file or archive member, uncompressed) and largest total accepted."""

    image_bytes: int = 256 * MB
    total_bytes: int = 100_000 * MB


NO_LIMITS = Limits(1 << 62, 1 << 62)


@dataclass(frozen=True)
class Entry:
    """One file of a container: its name (relative POSIX path), where it is, its size, and
    (in a directory) its (mtime, inode, ctime) stamp for the fingerprint cache."""

    name: str
    where: object  # a relative path (directory), a Member (zip), a data offset (plain tar)
    size: int
    stamp: tuple = ()


def _mb(n: int) -> str:
    """Bytes in MB, to three significant digits without an exponent."""
    return f"{n / MB:,.0f}" if n >= 100 * MB else f"{n / MB:.3g}"


def workflow_folders() -> tuple[Path, ...]:
    """The workflow's own output folders (relative to the working directory): never input."""
    cwd = Path.cwd().resolve()
    return cwd / "results", cwd / "resources"


def _walk(root: Path) -> tuple[list[Entry], list[tuple[str, str]]]:
    """Regular files under `root` (links to files followed) and what was left out, why."""
    found, skipped = [], []
    own = set(workflow_folders())

    def rel(p: str) -> str:
        return Path(p).relative_to(root).as_posix()

    def unreadable(exc: OSError) -> None:
        skipped.append((rel(exc.filename), f"cannot be listed ({exc.strerror})"))

    for top, dirs, files in os.walk(root, onerror=unreadable):
        for d in list(dirs):
            full = os.path.join(top, d)
            why = None
            if os.path.islink(full):
                why = "a link to a folder (not followed: point data.path at it, or copy it in)"
            elif Path(full).resolve() in own:
                why = "the workflow's own output folder (never read as input)"
            elif d.startswith(".") or d == "__MACOSX":
                why = "a hidden folder"
            if why:
                dirs.remove(d)
                skipped.append((rel(full) + "/", why))
        for f in files:
            full = os.path.join(top, f)
            try:
                st = os.stat(full)
            except FileNotFoundError:
                skipped.append((rel(full), "a broken link"))
                continue
            except OSError as exc:
                skipped.append((rel(full), f"cannot be read ({exc.strerror})"))
                continue
            if not stat.S_ISREG(st.st_mode):
                skipped.append((rel(full), "not a regular file (a FIFO, socket or device)"))
                continue
            name = rel(full)
            found.append(Entry(name, name, st.st_size, (st.st_mtime_ns, st.st_ino, st.st_ctime_ns)))
    return found, skipped


@dataclass(frozen=True)
class Container:
    """A directory, a zip or a tar; `kind` is "directory", "zip", "tar" or "tar-stream"."""

    path: str
    kind: str
    limits: Limits = Limits()

    @classmethod
    def at(cls, path: str | Path, limits: Limits | None = None) -> Container:
        p = Path(path)
        limits = limits or Limits()
        if p.is_dir():
            return cls(str(p), "directory", limits)
        if not p.is_file():
            raise ZatlasError(
                f"data.path: {p} does not exist; point it at a folder, a .zip or a .tar of images"
            )
        with open(p, "rb") as fh:
            head = fh.read(6)
        if zipfile.is_zipfile(p):
            return cls(str(p), "zip", limits)
        if head[:4] == b"PK\x03\x04":
            raise ZatlasError(
                f"data.path: {p} starts like a zip but has no central directory at its end: "
                "the zip is truncated or corrupt (an interrupted download or copy?); copy it "
                "again, or point data.path at the unpacked folder"
            )
        if tarfile.is_tarfile(p):
            compressed = (
                head[:2] == b"\x1f\x8b" or head[:3] == b"BZh" or head[:6] == b"\xfd7zXZ\x00"
            )
            return cls(str(p), "tar-stream" if compressed else "tar", limits)
        raise ZatlasError(
            f"data.path: {p} is neither a folder nor a zip or tar archive; point it at a folder, "
            f"a .zip or a .tar(.gz) of {FORMATS_IN_WORDS} images"
        )

    def random_access(self) -> bool:
        return self.kind != "tar-stream"

    def open(self):
        """A handle for `read` (None for a directory); a context manager."""
        return nullcontext() if self.kind == "directory" else open(self.path, "rb")

    def read(self, fh, entry_where) -> bytes:
        if self.kind == "directory":
            return (Path(self.path) / entry_where).read_bytes()
        if self.kind == "zip":
            return read_member(fh, entry_where)
        offset, size = entry_where
        fh.seek(offset)
        data = fh.read(size)
        if len(data) != size:
            raise tarfile.ReadError("member truncated")
        return data

    def listing(self, log: Log = _quiet) -> tuple[list[Entry], list[tuple[str, str]]]:
        """Every plain, safely named file, sorted by name, and (name, why) of those left out."""
        if self.kind == "directory":
            found, skipped = _walk(Path(self.path))
        elif self.kind == "zip":
            found, skipped = self._zip_entries()
        else:
            found, skipped = self._tar_entries()
        for name, why in skipped:
            log(f"skipping {name!r} in {self.path}: {why}")
        seen: set[str] = set()
        for e in found:
            if e.name in seen:
                raise ZatlasError(
                    f"{self.path} holds {e.name!r} twice: keep one of them and run again"
                )
            seen.add(e.name)
        return sorted(found, key=lambda e: e.name), sorted(skipped)

    def entries(self, log: Log = _quiet) -> list[Entry]:
        return self.listing(log)[0]

    def _zip_entries(self):
        try:
            with zipfile.ZipFile(self.path) as zf:
                infos = [i for i in zf.infolist() if not i.is_dir()]
                skipped = [(i.filename, "outside its folder") for i in infos]
                skipped = [s for s in skipped if not safe_member(s[0])]
                infos = [i for i in infos if safe_member(i.filename)]
                table = member_table(zf, [i.filename for i in infos])
        except zipfile.BadZipFile as exc:
            raise ZatlasError(f"{self.path} is not a readable zip ({exc}); replace it") from None
        found = [Entry(i.filename, m, i.file_size) for i, m in zip(infos, table, strict=True)]
        return found, skipped

    def _tar_entries(self):
        found, skipped = [], []
        try:
            with tarfile.open(self.path, "r:*") as tf:
                for m in tf:
                    if m.isdir():
                        continue
                    if m.issym() or m.islnk():
                        skipped.append((m.name, "a link"))
                    elif not m.isfile():
                        skipped.append((m.name, "not a regular file"))
                    elif not safe_member(m.name):
                        skipped.append((m.name, "outside its folder"))
                    else:
                        found.append(Entry(m.name, (m.offset_data, m.size), m.size))
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise ZatlasError(
                f"{self.path} is not a readable tar ({exc}): it may be truncated; replace it"
            ) from None
        return found, skipped

    def check_sizes(self, entries: list[Entry]) -> None:
        """Stop before reading when an image or the total is above the configured limits."""
        big = [e for e in entries if e.size > self.limits.image_bytes]
        if big:
            shown = ", ".join(f"{e.name!r} ({_mb(e.size)} MB)" for e in big[:5])
            raise ZatlasError(
                f"{self.path}: {len(big)} image(s) above data.max_image_mb "
                f"({self.limits.image_bytes / MB:g} MB, uncompressed): {shown}. Remove them, "
                "or raise data.max_image_mb if they are real images"
            )
        total = sum(e.size for e in entries)
        if total > self.limits.total_bytes:
            raise ZatlasError(
                f"{self.path}: its images hold {total / MB:,.0f} MB uncompressed, above "
                f"data.max_total_mb ({self.limits.total_bytes / MB:g} MB); raise data.max_total_mb "
                "if that is what you mean, or point data.path at a smaller set"
            )

    def stream(self, names: set[str]) -> Iterator[tuple[str, bytes]]:
        """(name, bytes) of the wanted members in archive order: one pass over any container,
        one member in memory at a time."""
        if self.random_access():
            by_name = {e.name: e for e in self.entries() if e.name in names}
            self.check_sizes(list(by_name.values()))
            with self.open() as fh:
                for name in sorted(by_name):
                    yield name, self.read(fh, by_name[name].where)
            return
        with tarfile.open(self.path, "r|*") as tf:
            for m in tf:
                if m.isfile() and m.name in names and safe_member(m.name):
                    self.check_sizes([Entry(m.name, None, m.size)])
                    fh = tf.extractfile(m)
                    yield m.name, fh.read() if fh else b""


def is_image_name(name: str) -> bool:
    """An image by its name: an image suffix, not hidden, not macOS' resource forks."""
    parts = PurePosixPath(name).parts
    if any(p.startswith(".") for p in parts) or "__MACOSX" in parts:
        return False
    return PurePosixPath(name).suffix.lower() in IMAGE_SUFFIXES


def bad_names(names: list[str]) -> list[str]:
    """Names that cannot travel through the manifest, a CSV or a parquet table: bytes that are
    not UTF-8 (held as surrogates) or control characters such as a newline."""
    out = []
    for name in names:
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            out.append(name)
            continue
        if any(ord(c) < 32 or ord(c) == 127 for c in name):
            out.append(name)
    return out


def limits_mb(image_mb: float | None, total_mb: float | None) -> Limits:
    """Limits from the config's data.max_image_mb and data.max_total_mb (None: the defaults)."""
    default = Limits()
    return Limits(
        int(image_mb * MB) if image_mb else default.image_bytes,
        int(total_mb * MB) if total_mb else default.total_bytes,
    )
