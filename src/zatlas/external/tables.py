"""Row ids and metadata tables of an external model or a run without images.

- ids: a text file of one id per line (no header), or a column of a CSV, TSV or Parquet
  table (`table.csv:column`; by default `image_id`, else `id`, else the first column).
- metadata: a CSV, TSV (the Embedding Projector's metadata.tsv, with its header) or Parquet
  table, one row per latent row. A column of numbers stays numeric; any other column is a
  category (strings), never cut into bins.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from zatlas.errors import ZatlasError
from zatlas.external.sources import split_key

ID_COLUMNS = ("image_id", "id")


def _read_table(path: Path, label: str) -> pd.DataFrame:
    if not path.is_file():
        raise ZatlasError(f"{label}: {path} does not exist")
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
        sep = "\t" if suffix == ".tsv" else ","
        return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise ZatlasError(f"{label}: cannot read {path} as a table ({exc})") from None


def read_ids(spec: str, label: str) -> list[str]:
    """The id of every row, in order, as strings."""
    path, column = split_key(spec)
    if path.suffix.lower() not in (".csv", ".tsv", ".parquet", ".pq"):
        if not path.is_file():
            raise ZatlasError(f"{label}: {path} does not exist")
        lines = path.read_text(encoding="utf-8-sig").splitlines()
        while lines and not lines[-1].strip():
            lines.pop()
        return [line.strip() for line in lines]
    table = _read_table(path, label)
    if column is None:
        column = next((c for c in ID_COLUMNS if c in table), table.columns[0])
    if column not in table:
        raise ZatlasError(f"{label}: {path} has no column {column!r} (it has {list(table)})")
    return table[column].astype(str).str.strip().tolist()


def typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers where a whole column parses as finite numbers, else strings (categories)."""
    out = pd.DataFrame(index=frame.index)
    for name in frame.columns:
        col = frame[name]
        if pd.api.types.is_numeric_dtype(col):
            out[name] = col
            continue
        text = col.astype(str).str.strip()
        numbers = pd.to_numeric(text, errors="coerce")
        if numbers.notna().all() and np.isfinite(numbers.to_numpy(float)).all():
            whole = (numbers == np.round(numbers)).all()
            out[name] = numbers.astype(np.int64 if whole else np.float32)
        else:
            out[name] = text.astype(object)
    return out


def read_metadata(spec: str, label: str = "data.metadata") -> pd.DataFrame:
    """The metadata table with typed columns (see `typed`)."""
    path, _ = split_key(spec)
    table = _read_table(path, label)
    if table.columns.empty:
        raise ZatlasError(f"{label}: {path} has no columns; expected a header row")
    return typed(table)


def header(spec: str, label: str = "data.metadata") -> list[str]:
    """A table's column names, read without its rows."""
    path, _ = split_key(spec)
    if not path.is_file():
        raise ZatlasError(f"{label}: {path} does not exist")
    if path.suffix.lower() in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names)
    sep = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        return list(pd.read_csv(path, sep=sep, nrows=0, encoding="utf-8-sig").columns)
    except (ValueError, OSError) as exc:
        raise ZatlasError(f"{label}: cannot read {path} as a table ({exc})") from None


def count_rows(spec: str, label: str) -> int:
    """Rows of an ids file or a metadata table (for the checks made at parse time)."""
    path, _ = split_key(spec)
    if path.suffix.lower() in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        if not path.is_file():
            raise ZatlasError(f"{label}: {path} does not exist")
        return pq.ParquetFile(path).metadata.num_rows
    if path.suffix.lower() in (".csv", ".tsv"):
        return len(_read_table(path, label))
    return len(read_ids(spec, label))
