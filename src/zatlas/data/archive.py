"""Reading images out of a directory, a zip or a tar without ever extracting anything.

Member names with `..`, absolute names, drive letters, links and folders are skipped (and
said so): nothing is written, so a hostile name cannot escape, and a name outside the
archive's folder cannot stand in for a listed image. A zip's central directory is parsed
once, in the parent; workers get each member's offset, size, method and CRC and read the
bytes themselves (CRC checked). A plain tar is read the same way, by offset; a compressed
tar cannot be read by offset and is streamed once, in archive order, by the parent.
"""

from __future__ import annotations

import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from zatlas.errors import ZatlasError

Log = Callable[[str], None]


def _print(message: str) -> None:
    print(message, flush=True)


def safe_member(name: str) -> bool:
    """A member name that stays inside the archive's folder (no `..`, not absolute)."""
    path = PurePosixPath(name.replace("\\", "/"))
    return not (name.endswith("/") or path.is_absolute() or ".." in path.parts or ":" in name)


def image_members(zf: zipfile.ZipFile, log: Log = _print) -> dict[str, str]:
    """Map `000001.jpg` -> member name, ignoring anything that is not a plain JPEG entry."""
    members = {}
    for name in zf.namelist():
        if not safe_member(name):
            if not name.endswith("/"):
                log(f"skipping unsafe member name {name!r} in {zf.filename} (outside its folder)")
            continue
        path = PurePosixPath(name)
        if path.suffix.lower() == ".jpg":
            if path.name in members:
                raise ZatlasError(
                    f"{zf.filename} holds {path.name} twice ({members[path.name]}, {name}): "
                    "not a CelebA archive; replace it with the official one"
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
            raise ZatlasError(f"{zf.filename}: {name} is encrypted; store it unencrypted")
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


# A folder data set: any container of images ------------------------------------------------

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".jpe", ".png", ".webp")


@dataclass(frozen=True)
class Entry:
    """One file of a container: its name (relative POSIX path), where it is, its size."""

    name: str
    where: object  # a relative path (directory), a Member (zip), a data offset (plain tar)
    size: int


@dataclass(frozen=True)
class Container:
    """A directory, a zip or a tar; `kind` is "directory", "zip", "tar" or "tar-stream"."""

    path: str
    kind: str

    @classmethod
    def at(cls, path: str | Path) -> Container:
        p = Path(path)
        if p.is_dir():
            return cls(str(p), "directory")
        if not p.is_file():
            raise ZatlasError(
                f"data.path: {p} does not exist; point it at a folder, a .zip or a .tar of images"
            )
        if zipfile.is_zipfile(p):
            return cls(str(p), "zip")
        if tarfile.is_tarfile(p):
            with open(p, "rb") as fh:
                head = fh.read(6)
            compressed = (
                head[:2] == b"\x1f\x8b" or head[:3] == b"BZh" or head[:6] == b"\xfd7zXZ\x00"
            )
            return cls(str(p), "tar-stream" if compressed else "tar")
        raise ZatlasError(
            f"data.path: {p} is neither a folder nor a zip or tar archive; point it at a folder, "
            "a .zip or a .tar(.gz) of JPEG, PNG or WebP images"
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

    def entries(self, log: Log = _print) -> list[Entry]:
        """Every plain, safely named file, sorted by name (unsafe ones logged and skipped)."""
        if self.kind == "directory":
            root = Path(self.path)
            found = [
                Entry(p.relative_to(root).as_posix(), p.relative_to(root).as_posix(), st.st_size)
                for p in root.rglob("*")
                if p.is_file() and (st := p.stat())
            ]
        elif self.kind == "zip":
            found = self._zip_entries(log)
        else:
            found = self._tar_entries(log)
        names = [e.name for e in found]
        if len(set(names)) != len(names):
            seen, twice = set(), None
            for n in names:
                if n in seen:
                    twice = n
                    break
                seen.add(n)
            raise ZatlasError(f"{self.path} holds {twice} twice: keep one of them and run again")
        return sorted(found, key=lambda e: e.name)

    def _zip_entries(self, log: Log) -> list[Entry]:
        try:
            with zipfile.ZipFile(self.path) as zf:
                infos = [i for i in zf.infolist() if not i.is_dir()]
                unsafe = [i.filename for i in infos if not safe_member(i.filename)]
                for name in unsafe:
                    log(f"skipping unsafe member name {name!r} in {self.path} (outside its folder)")
                infos = [i for i in infos if safe_member(i.filename)]
                table = member_table(zf, [i.filename for i in infos])
        except zipfile.BadZipFile as exc:
            raise ZatlasError(f"{self.path} is not a readable zip ({exc}); replace it") from None
        return [Entry(i.filename, m, i.file_size) for i, m in zip(infos, table, strict=True)]

    def _tar_entries(self, log: Log) -> list[Entry]:
        found = []
        try:
            with tarfile.open(self.path, "r:*") as tf:
                for m in tf:
                    if m.isdir():
                        continue
                    if not m.isfile() or not safe_member(m.name):
                        why = "a link" if m.issym() or m.islnk() else "outside its folder"
                        if m.isfile() or m.issym() or m.islnk():
                            log(f"skipping unsafe member {m.name!r} in {self.path} ({why})")
                        continue
                    found.append(Entry(m.name, (m.offset_data, m.size), m.size))
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise ZatlasError(f"{self.path} is not a readable tar ({exc}); replace it") from None
        return found

    def stream(self, names: set[str]) -> Iterator[tuple[str, bytes]]:
        """(name, bytes) of the wanted members in archive order: one pass over any container."""
        if self.random_access():
            by_name = {e.name: e for e in self.entries(lambda _m: None) if e.name in names}
            with self.open() as fh:
                for name in sorted(by_name):
                    yield name, self.read(fh, by_name[name].where)
            return
        with tarfile.open(self.path, "r|*") as tf:
            for m in tf:
                if m.isfile() and m.name in names and safe_member(m.name):
                    fh = tf.extractfile(m)
                    yield m.name, fh.read() if fh else b""


def is_image_name(name: str) -> bool:
    """An image by its name: a JPEG/PNG/WebP suffix, not hidden, not macOS' resource forks."""
    parts = PurePosixPath(name).parts
    if any(p.startswith(".") for p in parts) or "__MACOSX" in parts:
        return False
    return PurePosixPath(name).suffix.lower() in IMAGE_SUFFIXES


def image_kind(data: bytes) -> str | None:
    """ "jpeg", "png" or "webp" by the magic bytes, else None."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None
