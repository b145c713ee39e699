"""CelebA's official text formats, written from a mirror's tables."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from zatlas.data.attributes import CELEBA_ATTRIBUTES, SPLITS
from zatlas.data.celeba.spec import (
    Expected,
    SourceFailed,
)


def render_partition(ids: Sequence[str], splits: Sequence[str]) -> str:
    codes = {v: k for k, v in SPLITS.items()}
    return "".join(f"{i} {codes[s]}\n" for i, s in zip(ids, splits, strict=True))


def render_attributes(ids: Sequence[str], values: np.ndarray) -> str:
    """CelebA's format: the count, the names, then `<id>` and each value in 3 columns."""
    cells = np.where(np.asarray(values) == 1, "  1", " -1").tolist()
    lines = [str(len(ids)), " ".join(CELEBA_ATTRIBUTES) + " "]
    lines += [i + "".join(row) for i, row in zip(ids, cells, strict=True)]
    return "\n".join(lines) + "\n"


def write_official(path: Path, text: str, official_md5: str) -> None:
    """Write a text file in the official format, with the line ending (LF or CRLF) whose md5
    is the official one when one is, so that a converted file can be byte-identical."""
    data = text.encode()
    if hashlib.md5(data).hexdigest() != official_md5:
        crlf = text.replace("\n", "\r\n").encode()
        if hashlib.md5(crlf).hexdigest() == official_md5:
            data = crlf
    path.write_bytes(data)


def rebuild_partition(ids: Iterable[str], expected: Expected) -> tuple[list[str], list[str]]:
    """CelebA's official split is contiguous in image id: the first 162,770 train, the next
    19,867 valid, the last 19,962 test."""
    ordered = sorted(ids)
    splits: list[str] = []
    for name, count in expected.splits:
        splits += [name] * count
    if len(splits) != len(ordered):
        raise SourceFailed(
            f"{len(ordered):,} images, expected {expected.n_images:,}: cannot rebuild the split"
        )
    return ordered, splits


def _attribute_value(v) -> int:
    if isinstance(v, str):
        v = v.strip().lower()
        v = {"true": 1, "false": 0}.get(v, v)
    v = int(v)
    if v not in (-1, 0, 1):
        raise ValueError(f"attribute value {v!r} is not one of -1, 0, 1, true, false")
    return 1 if v == 1 else -1


def _csv_rows(data: bytes, name: str, header: Sequence[str]) -> Iterator[tuple[int, list[str]]]:
    """(line number, row) of a mirror's CSV, columns in the order of `header` (the file's
    own order may differ); a malformed line is an error that names it."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SourceFailed(f"{name} is not UTF-8 text") from None
    order = None
    for lineno, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row:
            continue
        row = [c.strip() for c in row]
        if order is None:
            if sorted(row) != sorted(header):
                raise SourceFailed(f"{name}, line {lineno}: expected the columns {list(header)}")
            order = [row.index(c) for c in header]
            continue
        if len(row) != len(header):
            raise SourceFailed(f"{name}, line {lineno}: expected {len(header)} fields")
        yield lineno, [row[i] for i in order]
