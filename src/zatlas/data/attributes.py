"""CelebA's text files: attribute names and strict parsers/writers for both list files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from zatlas.errors import ZatlasError

CELEBA_ATTRIBUTES = (
    "5_o_Clock_Shadow Arched_Eyebrows Attractive Bags_Under_Eyes Bald Bangs Big_Lips Big_Nose "
    "Black_Hair Blond_Hair Blurry Brown_Hair Bushy_Eyebrows Chubby Double_Chin Eyeglasses Goatee "
    "Gray_Hair Heavy_Makeup High_Cheekbones Male Mouth_Slightly_Open Mustache Narrow_Eyes "
    "No_Beard Oval_Face Pale_Skin Pointy_Nose Receding_Hairline Rosy_Cheeks Sideburns Smiling "
    "Straight_Hair Wavy_Hair Wearing_Earrings Wearing_Hat Wearing_Lipstick Wearing_Necklace "
    "Wearing_Necktie Young"
).split()
SPLITS = {0: "train", 1: "valid", 2: "test"}


def read_partition(path: str | Path) -> pd.DataFrame:
    """`list_eval_partition.txt`: `<image_id> <0|1|2>` per line -> image_id, split."""
    ids, splits = [], []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2 or parts[1] not in ("0", "1", "2"):
                raise ZatlasError(f"{path}, line {lineno}: expected '<image>.jpg <0|1|2>'")
            ids.append(parts[0])
            splits.append(SPLITS[int(parts[1])])
    return pd.DataFrame({"image_id": ids, "split": splits})


def read_attributes(path: str | Path) -> pd.DataFrame:
    """`list_attr_celeba.txt`: count, header of 40 names, then `<image_id> ±1 x40` rows."""
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    if len(lines) < 2 or not lines[0].strip().isdigit():
        raise ZatlasError(f"{path}, line 1: expected the number of images")
    count = int(lines[0])
    names = lines[1].split()
    if len(names) != len(CELEBA_ATTRIBUTES):
        raise ZatlasError(f"{path}, line 2: expected {len(CELEBA_ATTRIBUTES)} attribute names")
    ids, rows = [], []
    for lineno, line in enumerate(lines[2:], start=3):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != len(names) + 1 or any(v not in ("1", "-1") for v in parts[1:]):
            raise ZatlasError(f"{path}, line {lineno}: expected an image id and 40 values of ±1")
        ids.append(parts[0])
        rows.append([int(v) for v in parts[1:]])
    if len(ids) != count:
        raise ZatlasError(f"{path}: header says {count} images, found {len(ids)} rows")
    values = np.asarray(rows, dtype=np.int8).reshape(len(ids), len(names))
    frame = pd.DataFrame(values, columns=names)
    frame.insert(0, "image_id", ids)
    return frame


def write_partition(path: str | Path, image_ids, splits) -> None:
    codes = {v: k for k, v in SPLITS.items()}
    with open(path, "w", encoding="utf-8") as fh:
        for image_id, split in zip(image_ids, splits, strict=True):
            fh.write(f"{image_id} {codes[split]}\n")


def write_attributes(path: str | Path, image_ids, values: np.ndarray) -> None:
    """Write in CelebA's own format (values right-aligned in 3-character columns)."""
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(f"{len(image_ids)}\n{' '.join(CELEBA_ATTRIBUTES)} \n")
        for image_id, row in zip(image_ids, values, strict=True):
            fh.write(image_id + "".join(f"{int(v):3d}" for v in row) + "\n")


def attribute_columns(table: pd.DataFrame) -> list[str]:
    """The attribute columns of an attributes.parquet table: every column but the id and the
    split (CelebA's 40, or a folder data set's own, or none)."""
    return [c for c in table.columns if c not in ("image_id", "split")]


def discrete_attributes(table: pd.DataFrame, max_levels: int = 20, bins: int = 4) -> pd.DataFrame:
    """The attribute columns as labels for mutual information: flags and columns of at most
    `max_levels` distinct values as they are, any other numeric column cut into `bins`
    quantile bins (0 .. bins-1), so that a continuous column (an age, a score) is not
    counted as thousands of one-image classes. A column of strings is a category: one
    multi-class label, whatever its number of classes, never cut into bins; one whose every
    value differs names the rows (a label, a file name) and is left out."""
    out = {}
    for name in attribute_columns(table):
        col = table[name]
        if not pd.api.types.is_numeric_dtype(col):
            if col.nunique() < len(col) or len(col) < 2:
                out[name] = col.astype(str).to_numpy()
        elif col.nunique() <= max_levels:
            out[name] = col.to_numpy()
        else:
            out[name] = pd.qcut(col, bins, labels=False, duplicates="drop").to_numpy()
    return pd.DataFrame(out, index=table.index)
