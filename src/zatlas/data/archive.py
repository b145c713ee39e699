"""Reading zip members without extracting anything (a folder data set's containers are in
`container`).

Member names with `..`, absolute names, drive letters, links and folders are skipped (and
said so): nothing is written, so a hostile name cannot escape, and a name outside the
archive's folder cannot stand in for a listed image. A zip's central directory is parsed
once, in the parent; workers get each member's offset, size, method and CRC and read the
bytes themselves (CRC checked). A member never inflates past the size its header gives,
so a lying header cannot fill the memory.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath

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
    if member.compressed > member.size * 1.01 + 1024:  # deflate never grows data that much
        raise zipfile.BadZipFile("compressed size larger than the data it holds")
    fh.seek(member.offset + 30 + name_len + extra_len)
    data = fh.read(member.compressed)
    if len(data) != member.compressed:
        raise zipfile.BadZipFile("member truncated")
    if member.method == zipfile.ZIP_DEFLATED:
        try:  # at most one byte past the promised size: enough to see the lie
            data = zlib.decompressobj(-15).decompress(data, member.size + 1)
        except zlib.error as exc:
            raise zipfile.BadZipFile(f"bad deflate stream: {exc}") from None
    elif member.method != zipfile.ZIP_STORED:
        raise zipfile.BadZipFile(f"unsupported compression method {member.method}")
    if len(data) != member.size or zlib.crc32(data) != member.crc:
        raise zipfile.BadZipFile("Bad CRC-32")
    return data
