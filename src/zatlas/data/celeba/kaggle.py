"""The Kaggle mirror: its nested image folder and CSVs become CelebA's layout."""

from __future__ import annotations

import os
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import numpy as np

from zatlas.data.archive import safe_member
from zatlas.data.attributes import CELEBA_ATTRIBUTES, SPLITS
from zatlas.data.celeba.formats import (
    _attribute_value,
    _csv_rows,
    render_attributes,
    render_partition,
    write_official,
)
from zatlas.data.celeba.spec import (
    ATTRIBUTES,
    IMAGE_NAME,
    KAGGLE_DATASET,
    PARTITION,
    ZIP,
    CelebaSpec,
    Log,
    SourceFailed,
)
from zatlas.data.celeba.verify import (
    _verify_and_publish,
    short_reason,
)
from zatlas.progress import progress


def kaggle_credentials(environ=None, home: Path | None = None) -> str | None:
    """Where Kaggle credentials are, or None (checked before the client is imported)."""
    environ = os.environ if environ is None else environ
    home = Path.home() if home is None else home
    if environ.get("KAGGLE_USERNAME") and environ.get("KAGGLE_KEY"):
        return "KAGGLE_USERNAME/KAGGLE_KEY"
    if environ.get("KAGGLE_API_TOKEN"):
        return "KAGGLE_API_TOKEN"
    folder = Path(environ.get("KAGGLE_CONFIG_DIR") or home / ".kaggle")
    for name in ("kaggle.json", "access_token"):
        if (folder / name).is_file():
            return str(folder / name)
    return None


def kaggle_download(dataset: str, staging: Path) -> Path:
    try:
        from kaggle.api.kaggle_api_extended import KaggleApi
    except ImportError:
        raise SourceFailed(
            "the kaggle client is not installed (a dependency of zatlas: run `make` "
            "again, or pip install kaggle)"
        ) from None
    api = KaggleApi()
    api.authenticate()
    api.dataset_download_files(dataset, path=str(staging), quiet=False, unzip=False)
    return staging / (dataset.split("/")[-1] + ".zip")


class KaggleSource:
    name = "kaggle"

    def __init__(
        self,
        download: Callable[[str, Path], Path] | None = None,
        environ=None,
        home: Path | None = None,
        dataset: str = KAGGLE_DATASET,
    ):
        self.download = download or kaggle_download
        self.environ, self.home, self.dataset = environ, home, dataset

    def describe(self) -> str:
        return f"the Kaggle mirror {self.dataset} (needs Kaggle credentials)"

    def fetch(self, dest: Path, spec: CelebaSpec, log: Log) -> dict:
        where = kaggle_credentials(self.environ, self.home)
        if where is None:
            raise SourceFailed(
                "no Kaggle credentials (~/.kaggle/kaggle.json, or KAGGLE_USERNAME and KAGGLE_KEY)"
            )
        log(f"Kaggle credentials from {where}")
        staging = dest / ".kaggle"
        staging.mkdir(parents=True, exist_ok=True)
        try:
            archive = self.download(self.dataset, staging)
        except SourceFailed:
            raise
        except Exception as exc:
            raise SourceFailed(f"download failed ({short_reason(exc)})") from None
        try:
            result = convert_kaggle(Path(archive), dest, spec, log)
        except zipfile.BadZipFile as exc:
            Path(archive).unlink(missing_ok=True)  # a truncated archive cannot be resumed
            raise SourceFailed(f"the Kaggle archive is damaged ({exc}); removed") from None
        shutil.rmtree(staging, ignore_errors=True)
        return {"origin": f"https://www.kaggle.com/datasets/{self.dataset}", **result}


def convert_kaggle(archive: Path, dest: Path, spec: CelebaSpec, log: Log) -> dict:
    """Kaggle's layout (img_align_celeba/img_align_celeba/*.jpg, CSVs) -> CelebA's layout."""
    with zipfile.ZipFile(archive) as src:
        images: dict[str, str] = {}
        tables: dict[str, str] = {}
        for name in src.namelist():
            if not safe_member(name):
                log(f"ignoring unsafe member name {name!r}")
                continue
            base = PurePosixPath(name).name
            if IMAGE_NAME.match(base):
                if base in images:
                    raise SourceFailed(f"{base} appears twice in the Kaggle archive")
                images[base] = name
            elif base in ("list_attr_celeba.csv", "list_eval_partition.csv"):
                tables[base] = name
        for need in ("list_attr_celeba.csv", "list_eval_partition.csv"):
            if need not in tables:
                raise SourceFailed(f"the Kaggle archive has no {need}")
        parts: dict[str, Path] = {}
        if not (dest / PARTITION).exists():
            ids, splits = [], []
            name = "list_eval_partition.csv"
            for lineno, (image_id, code) in _csv_rows(
                src.read(tables[name]), name, ["image_id", "partition"]
            ):
                if code not in ("0", "1", "2"):
                    raise SourceFailed(f"{name}, line {lineno}: partition {code!r} is not 0, 1, 2")
                ids.append(image_id)
                splits.append(SPLITS[int(code)])
            parts[PARTITION] = dest / f"{PARTITION}.part"
            write_official(
                parts[PARTITION],
                render_partition(ids, splits),
                spec.file(PARTITION).md5,
            )
        if not (dest / ATTRIBUTES).exists():
            ids_a, rows = [], []
            name = "list_attr_celeba.csv"
            for lineno, row in _csv_rows(
                src.read(tables[name]), name, ["image_id", *CELEBA_ATTRIBUTES]
            ):
                try:
                    rows.append(np.array([_attribute_value(v) for v in row[1:]], np.int8))
                except ValueError as exc:
                    raise SourceFailed(f"{name}, line {lineno}: {exc}") from None
                ids_a.append(row[0])
            values = np.array(rows, np.int8).reshape(len(rows), len(CELEBA_ATTRIBUTES))
            parts[ATTRIBUTES] = dest / f"{ATTRIBUTES}.part"
            write_official(
                parts[ATTRIBUTES],
                render_attributes(ids_a, values),
                spec.file(ATTRIBUTES).md5,
            )
        if not (dest / ZIP).exists():
            parts[ZIP] = dest / f"{ZIP}.part"
            log(f"flattening {len(images):,} images into {ZIP}")
            with zipfile.ZipFile(parts[ZIP], "w", zipfile.ZIP_STORED) as out:
                for base in progress(sorted(images), desc="repacking images", total=len(images)):
                    out.writestr(f"img_align_celeba/{base}", src.read(images[base]))
    return _verify_and_publish(parts, dest, spec, log)
