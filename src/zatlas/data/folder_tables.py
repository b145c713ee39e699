"""The table of a folder data set: image id, split and the user's own attribute columns.

Formats (CSV, header row, UTF-8, comma-separated):

- attributes: an id column (`image_id` when there is one, else the first column) holding the
  image's path inside the folder (`a/b/x.jpg`) or, when unique, its file name (`x.jpg`);
  every other column numeric (±1 / 0-1 flags or any finite number) or a category (any
  column with a value that is not a number: kept as strings, one multi-class label). Every
  image needs a row.
- splits: the same id column and a `split` column (else the second column) of `train`,
  `valid` (or `val`, `validation`) and `test`, or CelebA's codes 0, 1, 2.

Without a split file the images are split at random, seeded, by the configured fractions.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from zatlas.errors import ZatlasError

SPLIT_NAMES = {
    "train": "train",
    "0": "train",
    "valid": "valid",
    "val": "valid",
    "validation": "valid",
    "1": "valid",
    "test": "test",
    "2": "test",
}
RESERVED = ("image_id", "split")


def _rows(path: Path, what: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (line number, cells) of a CSV, every row as wide as the header."""
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise ZatlasError(f"data.{what}: {path} does not exist") from None
    except UnicodeDecodeError:
        raise ZatlasError(f"data.{what}: {path} is not UTF-8 text") from None
    reader = csv.reader(io.StringIO(text))
    header, rows = None, []
    for lineno, row in enumerate(reader, start=1):
        if not row or not any(c.strip() for c in row):
            continue
        row = [c.strip() for c in row]
        if header is None:
            header = row
            if len(header) < 2:
                raise ZatlasError(
                    f"{path}, line {lineno}: expected a header row of at least two columns "
                    "(the image id and a value), comma-separated"
                )
            if len(set(header)) != len(header):
                raise ZatlasError(f"{path}, line {lineno}: a column name appears twice")
            continue
        if len(row) != len(header):
            raise ZatlasError(
                f"{path}, line {lineno}: {len(row)} fields, the header has {len(header)}"
            )
        rows.append((lineno, row))
    if header is None:
        raise ZatlasError(
            f"data.{what}: {path} is empty; expected a header row and one row per image"
        )
    return header, rows


def _resolver(names: Sequence[str]):
    """id in a CSV -> image name: the path inside the folder, or a file name when unique."""
    exact = set(names)
    by_base: dict[str, str | None] = {}
    for name in names:
        base = PurePosixPath(name).name
        by_base[base] = None if base in by_base else name
    return lambda key: key if key in exact else by_base.get(key.replace("\\", "/"))


def _keyed(path: Path, what: str, names: Sequence[str], id_col: str, header, rows):
    """{image name: (line, row)}; unknown ids and ids listed twice are reported."""
    resolve = _resolver(names)
    col = header.index(id_col)
    found: dict[str, tuple[int, list[str]]] = {}
    unknown = []
    for lineno, row in rows:
        name = resolve(row[col])
        if name is None:
            unknown.append(row[col])
            continue
        if name in found:
            raise ZatlasError(
                f"{path}, line {lineno}: {row[col]!r} is listed twice (first on line "
                f"{found[name][0]})"
            )
        found[name] = (lineno, row)
    if unknown:
        print(
            f"data.{what}: {len(unknown)} row(s) of {path} name no image in the folder "
            f"(ignored; first: {unknown[:5]})",
            flush=True,
        )
    lacking = [n for n in names if n not in found]
    if lacking:
        raise ZatlasError(
            f"data.{what}: {path} has no row for {len(lacking)} of the {len(names)} images "
            f"(first: {lacking[:5]}); add a row per image (the id is its path inside the "
            "folder, or its file name when that is unique)"
        )
    return found


def _id_column(header: list[str]) -> str:
    return "image_id" if "image_id" in header else header[0]


def read_split_file(path: str | Path, names: Sequence[str]) -> list[str]:
    """The split of each image, in the order of `names`."""
    path = Path(path)
    header, rows = _rows(path, "splits")
    id_col = _id_column(header)
    split_col = "split" if "split" in header else [c for c in header if c != id_col][0]
    found = _keyed(path, "splits", names, id_col, header, rows)
    col = header.index(split_col)
    out = []
    for name in names:
        lineno, row = found[name]
        value = SPLIT_NAMES.get(row[col].lower())
        if value is None:
            raise ZatlasError(
                f"{path}, line {lineno}: split {row[col]!r} is not train, valid or test "
                "(or 0, 1, 2)"
            )
        out.append(value)
    if "train" not in out:
        raise ZatlasError(f"data.splits: {path} puts no image in the 'train' split")
    return out


def read_attribute_file(path: str | Path, names: Sequence[str]) -> pd.DataFrame:
    """One column per attribute, rows in the order of `names`: numbers (±1/0-1 as int8) or,
    where a value is not a number, a category (strings)."""
    path = Path(path)
    header, rows = _rows(path, "attributes")
    id_col = _id_column(header)
    columns = [c for c in header if c != id_col]
    clash = [c for c in columns if c in RESERVED]
    if clash:
        raise ZatlasError(f"{path}: the column name {clash[0]!r} is reserved; rename that column")
    found = _keyed(path, "attributes", names, id_col, header, rows)
    values = np.empty((len(names), len(columns)), dtype=np.float64)
    idx = [header.index(c) for c in columns]
    categorical = {c for c, i in zip(columns, idx, strict=True) if not _numbers(rows, i)}
    text: dict[str, list[str]] = {c: [] for c in categorical}
    for r, name in enumerate(names):
        lineno, row = found[name]
        for j, (c, i) in enumerate(zip(columns, idx, strict=True)):
            if c in categorical:
                text[c].append(row[i])
                continue
            v = float(row[i])
            if not math.isfinite(v):
                raise ZatlasError(
                    f"{path}, line {lineno}, column {c!r}: {row[i]!r} is not a finite number "
                    "(attributes are numbers, e.g. 1/-1 or 1/0 flags)"
                )
            values[r, j] = v
    frame = pd.DataFrame(index=range(len(names)))
    for j, c in enumerate(columns):
        if c in categorical:
            frame[c] = pd.Series(text[c], dtype=object)
            continue
        col = values[:, j]
        if np.all(np.isin(col, (-1.0, 0.0, 1.0))):
            frame[c] = col.astype(np.int8)
        elif np.all(col == np.round(col)) and np.abs(col).max(initial=0) < 2**31:
            frame[c] = col.astype(np.int32)
        else:
            frame[c] = col.astype(np.float32)
    return frame


def _numbers(rows, col: int) -> bool:
    """Whether every cell of a column parses as a number (NaN and inf included: those are
    numbers that the caller rejects by line); one word makes the column a category."""
    for _, row in rows:
        try:
            float(row[col])
        except ValueError:
            return False
    return True


def seeded_split(n: int, fractions: Sequence[float], seed: int) -> list[str]:
    """`n` images split at random by (train, valid, test) fractions, the same for a seed."""
    fr = np.asarray(fractions, dtype=float)
    if fr.shape != (3,) or (fr < 0).any() or not math.isclose(fr.sum(), 1.0, abs_tol=1e-6):
        raise ZatlasError(
            f"data.split_fractions: {list(fractions)} must be three non-negative fractions "
            "(train, valid, test) summing to 1"
        )
    n_valid, n_test = math.floor(n * fr[1]), math.floor(n * fr[2])
    labels = np.array(["test"] * n_test + ["valid"] * n_valid + ["train"] * (n - n_valid - n_test))
    order = np.random.default_rng(seed).permutation(n)
    out = np.empty(n, dtype=object)
    out[order] = labels
    return out.tolist()


def build_table(
    names: Sequence[str],
    attributes: str | Path | None,
    splits: str | Path | None,
    fractions: Sequence[float],
    seed: int,
) -> pd.DataFrame:
    """image_id, split, then the attribute columns (none without an attributes file)."""
    names = list(names)
    split = read_split_file(splits, names) if splits else seeded_split(len(names), fractions, seed)
    table = pd.DataFrame({"image_id": names, "split": split})
    if attributes:
        table = pd.concat([table, read_attribute_file(attributes, names)], axis=1)
    return table
