"""Latent arrays in the formats people have, read in row blocks (never whole when large).

- `.npy`: memory-mapped.
- `.npz`: `file.npz:key` names the array (the only array when there is one); an npz member
  cannot be memory-mapped, so it is loaded once (use .npy for arrays of gigabytes).
- Parquet: `file.parquet:column` names a list/array column; without a column, the one
  list column, else every floating-point column in file order (one per dimension).
- `.tsv` / `.csv` / `.txt`: numbers without a header, one row per line (the Embedding
  Projector's vectors.tsv), parsed in blocks.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zatlas.errors import ZatlasError

BLOCK_ROWS = 65_536
TEXT = (".tsv", ".csv", ".txt")
FORMATS = (".npy", ".npz", ".parquet", ".pq", *TEXT)


def split_key(spec: str) -> tuple[Path, str | None]:
    """`path` or `path:key` (the key after the last colon, when the path alone is no file)."""
    spec = str(spec)
    path = Path(spec).expanduser()
    if not path.exists() and ":" in spec:
        head, key = spec.rsplit(":", 1)
        if key and "/" not in key:
            return Path(head).expanduser(), key
    return path, None


@dataclass
class Source:
    """A 2-D latent array: its shape, and its rows in blocks as float32."""

    label: str  # how messages name it: the config key and the file
    path: Path
    key: str | None
    shape: tuple[int, ...]
    fmt: str

    def blocks(self, block_rows: int = BLOCK_ROWS) -> Iterator[tuple[int, np.ndarray]]:
        """(first row, float32 block) over the whole array, in order."""
        reader = {
            ".npy": self._array_blocks,
            ".npz": self._array_blocks,
            ".parquet": self._parquet_blocks,
            ".pq": self._parquet_blocks,
        }.get(self.fmt, self._text_blocks)
        yield from reader(block_rows)

    def array(self):
        """The whole array as numpy (memory-mapped for .npy)."""
        if self.fmt == ".npy":
            return np.load(self.path, mmap_mode="r", allow_pickle=False)
        if self.fmt == ".npz":
            with np.load(self.path, allow_pickle=False) as z:
                return z[self.key]
        return np.concatenate([b for _, b in self.blocks()])

    def _array_blocks(self, block_rows):
        if self.fmt == ".npy":
            yield from _npy_blocks(self.path, block_rows)
            return
        arr = self.array()
        for start in range(0, len(arr), block_rows):
            yield start, np.asarray(arr[start : start + block_rows], dtype=np.float32)

    def _parquet_blocks(self, block_rows):
        import pyarrow.parquet as pq

        columns = _parquet_columns(self.path, self.key, self.label)
        start = 0
        for batch in pq.ParquetFile(self.path).iter_batches(block_rows, columns=columns):
            if len(columns) == 1 and _is_list(batch.schema.field(0).type):
                block = _list_block(batch.column(0), self.label, start)
            else:
                block = np.column_stack(
                    [c.to_numpy(zero_copy_only=False) for c in batch.columns]
                ).astype(np.float32)
            yield start, block
            start += len(block)

    def _text_blocks(self, block_rows):
        delim = _delimiter(self.path)
        rows: list[list[str]] = []
        start = 0
        with open(self.path, encoding="utf-8-sig", newline="") as fh:
            for lineno, row in enumerate(csv.reader(fh, delimiter=delim), start=1):
                if not row or not any(c.strip() for c in row):
                    continue
                if len(row) != self.shape[1]:
                    raise ZatlasError(
                        f"{self.label}: {self.path}, line {lineno}: {len(row)} values, the "
                        f"first line has {self.shape[1]} (rows must all have the same length)"
                    )
                rows.append(row)
                if len(rows) == block_rows:
                    yield start, _parse(rows, self, start)
                    start += len(rows)
                    rows = []
        if rows:
            yield start, _parse(rows, self, start)


def _npy_blocks(path: Path, block_rows: int):
    """Row blocks of a C-ordered .npy read with plain file reads: one pass over 2 GB leaves
    no mapped pages behind in the job's memory (a memory map would count them all)."""
    fmt = np.lib.format
    with open(path, "rb") as fh:
        version = fmt.read_magic(fh)
        read = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
        shape, fortran, dtype = read(fh)
        if fortran or dtype.hasobject:
            arr = np.load(path, mmap_mode="r", allow_pickle=False)
            for start in range(0, len(arr), block_rows):
                yield start, np.asarray(arr[start : start + block_rows], dtype=np.float32)
            return
        n, d = shape
        for start in range(0, n, block_rows):
            rows = min(block_rows, n - start)
            block = np.fromfile(fh, dtype=dtype, count=rows * d).reshape(rows, d)
            yield start, block.astype(np.float32, copy=False)


def _parse(rows, src: Source, start: int) -> np.ndarray:
    try:
        return np.asarray(rows, dtype=np.float32)
    except ValueError:
        for i, row in enumerate(rows):
            for cell in row:
                try:
                    float(cell)
                except ValueError:
                    raise ZatlasError(
                        f"{src.label}: {src.path}, row {start + i}: {cell.strip()!r} is not a "
                        "number (a latent file holds numbers only; the Projector's metadata "
                        "goes in data.metadata)"
                    ) from None
        raise


def _delimiter(path: Path) -> str:
    with open(path, encoding="utf-8-sig") as fh:
        first = fh.readline()
    return "\t" if "\t" in first or path.suffix == ".tsv" else ("," if "," in first else " ")


def _is_list(t) -> bool:
    import pyarrow as pa

    return pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t)


def _list_block(col, label: str, start: int) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.compute as pc

    col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    lengths = pc.list_value_length(col).to_numpy(zero_copy_only=False)
    if len(lengths) and (lengths != lengths[0]).any():
        bad = int(np.flatnonzero(lengths != lengths[0])[0])
        raise ZatlasError(
            f"{label}: row {start + bad} has {lengths[bad]} values, row {start} has "
            f"{lengths[0]} (every row must be as long)"
        )
    values = pc.list_flatten(col).to_numpy(zero_copy_only=False).astype(np.float32)
    return values.reshape(len(lengths), -1 if len(lengths) else 0)


def _parquet_columns(path: Path, key: str | None, label: str) -> list[str]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    if key is not None:
        if key not in schema.names:
            raise ZatlasError(f"{label}: {path} has no column {key!r} (it has {schema.names})")
        return [key]
    lists = [f.name for f in schema if _is_list(f.type)]
    if len(lists) == 1:
        return lists
    if len(lists) > 1:
        raise ZatlasError(
            f"{label}: {path} has several list columns {lists}; name one as {path}:<column>"
        )
    floats = [f.name for f in schema if pa.types.is_floating(f.type)]
    if not floats:
        raise ZatlasError(
            f"{label}: {path} has no list column and no floating-point columns; expected one "
            "array column or one float column per dimension"
        )
    return floats


def open_source(spec: str, label: str) -> Source:
    """Open `spec` (`path` or `path:key`) and read its shape only (cheap, any size)."""
    path, key = split_key(spec)
    fmt = path.suffix.lower()
    if not path.is_file():
        raise ZatlasError(f"{label}: {path} does not exist")
    if fmt not in FORMATS:
        raise ZatlasError(
            f"{label}: {path} has an unknown format; use .npy, .npz, .parquet or the "
            "Embedding Projector's vectors .tsv"
        )
    try:
        shape, key = _shape(path, key, fmt, label)
    except ZatlasError:
        raise
    except Exception as exc:  # a damaged file: say which, without a deep traceback
        raise ZatlasError(f"{label}: cannot read {path} ({type(exc).__name__}: {exc})") from None
    if len(shape) != 2:
        raise ZatlasError(
            f"{label}: {path} has shape {shape}; expected a 2-D array (rows, dimensions)"
        )
    return Source(label, path, key, tuple(int(s) for s in shape), fmt)


def _shape(path: Path, key: str | None, fmt: str, label: str):
    """(shape, key): the key is the npz array used (its only one when none was named)."""
    if fmt == ".npy":
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
        _numeric(arr.dtype, path, label)
        return arr.shape, key
    if fmt == ".npz":
        with np.load(path, allow_pickle=False) as z:
            names = list(z.files)
            if key is None and len(names) == 1:
                key = names[0]
            if key not in names:
                raise ZatlasError(
                    f"{label}: name the array in {path} as {path}:<key>; it holds {names}"
                )
            arr = z[key]
        _numeric(arr.dtype, path, label)
        return arr.shape, key
    if fmt in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        columns = _parquet_columns(path, key, label)
        meta = pq.ParquetFile(path).metadata
        if len(columns) > 1:
            return (meta.num_rows, len(columns)), key
        first = next(pq.ParquetFile(path).iter_batches(1, columns=columns), None)
        if first is None:
            return (0, 0), key
        width = len(first.column(0)[0]) if _is_list(first.schema.field(0).type) else 1
        return (meta.num_rows, width), key
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=_delimiter(path))
        widths = [len(r) for r in reader if r and any(c.strip() for c in r)]
    return (len(widths), widths[0] if widths else 0), key


def _numeric(dtype, path, label) -> None:
    if not (np.issubdtype(dtype, np.floating) or np.issubdtype(dtype, np.integer)):
        raise ZatlasError(f"{label}: {path} holds {dtype} values; expected numbers (float32)")
