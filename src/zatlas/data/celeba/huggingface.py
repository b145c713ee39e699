"""The Hugging Face parquet mirror: rows become CelebA's layout; the split is rebuilt."""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath

import numpy as np

from zatlas.data.attributes import CELEBA_ATTRIBUTES
from zatlas.data.celeba.formats import (
    _attribute_value,
    rebuild_partition,
    render_attributes,
    render_partition,
    write_official,
)
from zatlas.data.celeba.spec import (
    ATTRIBUTES,
    HF_REPO,
    HF_REVISION,
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


def hf_download(repo: str, revision: str, staging: Path) -> list[Path]:
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        raise SourceFailed(
            "the huggingface_hub client is not installed (a dependency of zatlas: run `make` "
            "again, or pip install huggingface_hub)"
        ) from None
    folder = snapshot_download(
        repo_id=repo,
        repo_type="dataset",
        revision=revision,
        allow_patterns=["data/*.parquet"],
        local_dir=str(staging),
    )
    return sorted(Path(folder).glob("data/*.parquet"))


def _hf_image_id(image_id, path) -> str:
    raw = str(image_id or "") or PurePosixPath(str(path or "").replace("\\", "/")).name
    stem = raw[:-4] if raw.lower().endswith(".jpg") else raw
    if not stem.isdigit():
        raise SourceFailed(f"image id {raw!r} is not a CelebA image id")
    return f"{int(stem):06d}.jpg"


class HuggingFaceSource:
    name = "huggingface"

    def __init__(
        self,
        download: Callable[[str, str, Path], list[Path]] | None = None,
        repo: str = HF_REPO,
        revision: str = HF_REVISION,
    ):
        self.download = download or hf_download
        self.repo, self.revision = repo, revision

    def describe(self) -> str:
        return f"the Hugging Face mirror {self.repo} at revision {self.revision[:12]}"

    def fetch(self, dest: Path, spec: CelebaSpec, log: Log) -> dict:
        staging = dest / ".huggingface"
        staging.mkdir(parents=True, exist_ok=True)
        try:
            files = self.download(self.repo, self.revision, staging)
        except SourceFailed:
            raise
        except Exception as exc:
            raise SourceFailed(f"download failed ({short_reason(exc)})") from None
        if not files:
            raise SourceFailed("the mirror returned no parquet files")
        result = convert_parquet(files, dest, spec, log)
        shutil.rmtree(staging, ignore_errors=True)
        origin = f"https://huggingface.co/datasets/{self.repo}/tree/{self.revision}"
        return {"origin": origin, "revision": self.revision, **result}


def convert_parquet(files: Sequence[Path], dest: Path, spec: CelebaSpec, log: Log) -> dict:
    """Parquet rows (image bytes, image_id, 40 attributes) -> CelebA's layout; the split is
    taken from list_eval_partition.txt when it is there, else rebuilt from the ids."""
    import pyarrow.parquet as pq

    parts: dict[str, Path] = {}
    need_zip = not (dest / ZIP).exists()
    attrs: dict[str, np.ndarray] = {}
    zip_part = dest / f"{ZIP}.part"
    out = zipfile.ZipFile(zip_part, "w", zipfile.ZIP_STORED) if need_zip else None
    try:
        for path in files:
            table = pq.ParquetFile(path)
            names = set(table.schema_arrow.names)
            missing = [c for c in ("image", *CELEBA_ATTRIBUTES) if c not in names]
            if missing:
                raise SourceFailed(f"{Path(path).name} lacks the columns {missing[:5]}")
            columns = ["image", *CELEBA_ATTRIBUTES] + (["image_id"] if "image_id" in names else [])
            for batch in table.iter_batches(batch_size=2048, columns=columns):
                for row in batch.to_pylist():
                    image = row["image"] or {}
                    image_id = _hf_image_id(row.get("image_id"), image.get("path"))
                    if image_id in attrs:
                        raise SourceFailed(f"{image_id} appears twice in the mirror")
                    try:
                        attrs[image_id] = np.array(
                            [_attribute_value(row[a]) for a in CELEBA_ATTRIBUTES], np.int8
                        )
                    except (TypeError, ValueError) as exc:
                        raise SourceFailed(f"{image_id}: {exc}") from None
                    if out is not None:
                        if not image.get("bytes"):
                            raise SourceFailed(f"{image_id}: no image bytes in the mirror")
                        out.writestr(f"img_align_celeba/{image_id}", image["bytes"])
    except BaseException:
        if out is not None:
            out.close()
            zip_part.unlink(missing_ok=True)
        raise
    if out is not None:
        out.close()
        parts[ZIP] = zip_part
    log(f"{len(attrs):,} images read from {len(files)} parquet file(s)")
    ids = sorted(attrs)
    if not (dest / ATTRIBUTES).exists():
        values = np.array([attrs[i] for i in ids], np.int8).reshape(len(ids), -1)
        parts[ATTRIBUTES] = dest / f"{ATTRIBUTES}.part"
        write_official(
            parts[ATTRIBUTES],
            render_attributes(ids, values),
            spec.file(ATTRIBUTES).md5,
        )
    if not (dest / PARTITION).exists():
        ordered, splits = rebuild_partition(ids, spec.expected)
        parts[PARTITION] = dest / f"{PARTITION}.part"
        write_official(
            parts[PARTITION],
            render_partition(ordered, splits),
            spec.file(PARTITION).md5,
        )
        log("rebuilt list_eval_partition.txt from the image ids (the split is contiguous)")
    return _verify_and_publish(parts, dest, spec, log)
