"""A miniature CelebA built at test time, in the exact layout of the real one.

`build_fixture` writes img_align_celeba.zip (deflated, members `img_align_celeba/000001.jpg`,
178x218 JPEGs), list_eval_partition.txt, list_attr_celeba.txt and identity_CelebA.txt, and
returns a `CelebaSpec` whose checksums and expected counts are the fixture's, so every
acquisition code path runs as on the real data set. The mirror builders write the same
images in Kaggle's and Hugging Face's layouts; `Served` plays Google Drive.
"""

from __future__ import annotations

import csv
import io
import random
import shutil
import zipfile
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from zatlas.data.attributes import CELEBA_ATTRIBUTES, read_attributes, read_partition
from zatlas.data.celeba import (
    ATTRIBUTES,
    IDENTITY,
    OFFICIAL,
    PARTITION,
    ZIP,
    CelebaSpec,
    Expected,
    md5sum,
)
from zatlas.data.synthetic import write_synthetic_celeba

DATE = (2015, 9, 28, 0, 0, 0)


def build_fixture(root: Path, n: int = 20, seed: int = 5) -> CelebaSpec:
    root.mkdir(parents=True, exist_ok=True)
    write_synthetic_celeba(root, n, seed)
    # The official archive is deflated: repack the synthetic (stored) one that way.
    stored = root / "stored.zip"
    (root / ZIP).replace(stored)
    with zipfile.ZipFile(stored) as src, zipfile.ZipFile(root / ZIP, "w") as out:
        for name in src.namelist():
            info = zipfile.ZipInfo(name, DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(info, src.read(name))
    stored.unlink()
    ids = read_partition(root / PARTITION)["image_id"]
    (root / IDENTITY).write_text("".join(f"{i} {1 + k % 7}\n" for k, i in enumerate(ids)))
    splits = read_partition(root / PARTITION)["split"].value_counts()
    files = tuple(
        replace(
            f,
            md5=md5sum(root / f.name),
            size=(root / f.name).stat().st_size if f.size is not None else None,
        )
        for f in OFFICIAL.files
    )
    expected = Expected(
        n_images=n, splits=tuple((s, int(splits.get(s, 0))) for s in ("train", "valid", "test"))
    )
    return CelebaSpec(files=files, expected=expected)


def copy_files(src: Path, dest: Path, names=(ZIP, PARTITION, ATTRIBUTES, IDENTITY)) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy2(src / name, dest / name)


def images(root: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(root / ZIP) as zf:
        return {Path(n).name: zf.read(n) for n in zf.namelist() if n.endswith(".jpg")}


class Served:
    """Google Drive in a box: file id -> bytes, with hooks to misbehave."""

    def __init__(self, root: Path, spec: CelebaSpec):
        self.data = {f.drive_id: (root / f.name).read_bytes() for f in spec.files}
        self.calls: list[str] = []

    def __call__(self, file_id: str, target: Path) -> None:
        self.calls.append(file_id)
        target.write_bytes(self.data[file_id])


def kaggle_archive(root: Path, out: Path, extra: dict[str, bytes] | None = None) -> Path:
    """The Kaggle mirror's layout: nested image folder, CSVs instead of the text files."""
    part = read_partition(root / PARTITION)
    attrs = read_attributes(root / ATTRIBUTES)
    codes = {"train": 0, "valid": 1, "test": 2}
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        for image_id, data in images(root).items():
            zf.writestr(f"img_align_celeba/img_align_celeba/{image_id}", data)
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(["image_id", *CELEBA_ATTRIBUTES])
        writer.writerows(attrs.itertuples(index=False, name=None))
        zf.writestr("list_attr_celeba.csv", buf.getvalue())
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(["image_id", "partition"])
        writer.writerows(
            (i, codes[s]) for i, s in zip(part["image_id"], part["split"], strict=True)
        )
        zf.writestr("list_eval_partition.csv", buf.getvalue())
        zf.writestr("list_bbox_celeba.csv", "image_id,x_1,y_1,width,height\r\n")
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return out


def hf_parquet(root: Path, out_dir: Path, n_files: int = 2, seed: int = 0) -> list[Path]:
    """The Hugging Face mirror: parquet shards of (image struct, image_id, 40 int columns),
    rows shuffled, no split column."""
    out_dir.mkdir(parents=True, exist_ok=True)
    attrs = read_attributes(root / ATTRIBUTES).set_index("image_id")
    rows = list(images(root).items())
    random.Random(seed).shuffle(rows)
    paths = []
    for k in range(n_files):
        chunk = rows[k::n_files]
        columns = {
            "image": [{"bytes": data, "path": image_id} for image_id, data in chunk],
            "label": [0] * len(chunk),
            "image_id": [image_id for image_id, _ in chunk],
        }
        for a in CELEBA_ATTRIBUTES:
            columns[a] = [int(attrs.loc[i, a]) for i, _ in chunk]
        path = out_dir / f"train-{k:05d}-of-{n_files:05d}.parquet"
        pq.write_table(pa.table(columns), path)
        paths.append(path)
    return paths
