"""Acquire the real CelebA (aligned and cropped faces) into resources/celeba/.

Sources are tried in order; each attempt is logged, and the first whose files verify wins:

1. `local`: the files already in the folder (placed by hand, or by an earlier run). They
   are verified (md5, or content when they are not the official bytes) and never
   downloaded again. A file there that fails verification stops the run: it is never
   deleted or overwritten.
2. `gdrive`: the official Google Drive files, one by one, through gdown (ids and md5s as in
   torchvision's CelebA loader). Drive's quota error arrives as an HTML page saved under the
   file's name: it is recognised and thrown away.
3. `kaggle`: the `jessicali9530/celeba-dataset` mirror, when Kaggle credentials exist. Its
   nested image folder is flattened into CelebA's zip and its CSVs converted to the
   official text formats.
4. `huggingface`: a parquet mirror carrying image ids and the 40 attributes, pinned to a
   revision; the official split is rebuilt (it is contiguous in image id).

Every download goes to a `.part` file that is renamed only after it verifies, so an
interrupted run never leaves a half file under the final name; the next run resumes the
`.part` (or, when what it holds does not verify, restarts it). Mirrors whose bytes differ
from the official zip are verified by content instead: image count, size of every image,
split counts. Sources are plain objects with `name`, `describe()` and `fetch(dest, spec,
log)`, and their network calls are injectable callables, so all of this is tested offline.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from zatlas.data.celeba.formats import (
    rebuild_partition,
    render_attributes,
    render_partition,
    write_official,
)
from zatlas.data.celeba.huggingface import HuggingFaceSource, convert_parquet, hf_download
from zatlas.data.celeba.kaggle import (
    KaggleSource,
    convert_kaggle,
    kaggle_credentials,
    kaggle_download,
)
from zatlas.data.celeba.sources import GDriveSource, LocalSource, gdown_download
from zatlas.data.celeba.spec import (
    ATTRIBUTES,
    CELEBA_PAGE,
    DOWNLOAD_SOURCES,
    HF_REPO,
    HF_REVISION,
    IDENTITY,
    IMAGE_NAME,
    KAGGLE_DATASET,
    OFFICIAL,
    PARTITION,
    ZIP,
    CelebaFile,
    CelebaSpec,
    Expected,
    Log,
    SourceFailed,
    VerificationFailed,
    _print,
)
from zatlas.data.celeba.verify import md5sum, short_reason, sniff, verify_content, verify_folder
from zatlas.errors import ZatlasError

__all__ = [
    "ATTRIBUTES",
    "CELEBA_PAGE",
    "DOWNLOAD_SOURCES",
    "HF_REPO",
    "HF_REVISION",
    "IDENTITY",
    "IMAGE_NAME",
    "KAGGLE_DATASET",
    "OFFICIAL",
    "PARTITION",
    "SOURCES",
    "ZIP",
    "CelebaFile",
    "CelebaSpec",
    "Expected",
    "GDriveSource",
    "HuggingFaceSource",
    "KaggleSource",
    "LocalSource",
    "SourceFailed",
    "VerificationFailed",
    "acquire_celeba",
    "convert_kaggle",
    "convert_parquet",
    "default_sources",
    "gdown_download",
    "hf_download",
    "kaggle_credentials",
    "kaggle_download",
    "manual_instructions",
    "md5sum",
    "rebuild_partition",
    "render_attributes",
    "render_partition",
    "short_reason",
    "sniff",
    "verify_content",
    "verify_folder",
    "write_official",
]

SOURCES: dict[str, Callable[[], object]] = {
    "gdrive": GDriveSource,
    "kaggle": KaggleSource,
    "huggingface": HuggingFaceSource,
}


def default_sources(download_sources: Sequence[str] = DOWNLOAD_SOURCES) -> list:
    """The local folder first (always), then the download sources in the order given."""
    unknown = [s for s in download_sources if s not in SOURCES]
    if unknown:
        raise ZatlasError(f"unknown CelebA source(s) {unknown}; known: {sorted(SOURCES)}")
    return [LocalSource(), *(SOURCES[name]() for name in download_sources)]


def manual_instructions(dest: Path, spec: CelebaSpec = OFFICIAL) -> str:
    lines = [
        f"Manual fallback: download these files (CelebA page: {CELEBA_PAGE}, 'Align&Cropped "
        f"Images' and 'Anno' on its Google Drive) and place them, unrenamed, in {dest}/:"
    ]
    width = max(len(f.name) for f in spec.files)
    for f in spec.files:
        size = f", {f.size:,} bytes" if f.size else ""
        optional = "" if f.required else " (optional)"
        lines.append(f"  {f.name:<{width}}  md5 {f.md5}{size}{optional}  {f.url}")
    lines.append(
        "then run the workflow again: files found there are verified and never downloaded again."
    )
    return "\n".join(lines)


def acquire_celeba(
    dest: str | Path,
    download_sources: Sequence[str] = DOWNLOAD_SOURCES,
    *,
    sources: Sequence | None = None,
    spec: CelebaSpec | None = None,
    log: Log = _print,
) -> dict:
    """Put CelebA's files into `dest` from the first source that verifies; return the record
    (source used, how it was verified, checksums, every attempt)."""
    spec = OFFICIAL if spec is None else spec
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    sources = default_sources(download_sources) if sources is None else sources
    attempts = []
    for source in sources:
        log(f"trying {source.name}: {source.describe()}")
        start = time.perf_counter()
        try:
            result = source.fetch(dest, spec, log)
        except SourceFailed as exc:
            log(f"{source.name} failed: {exc}")
            attempts.append({"source": source.name, "ok": False, "reason": str(exc)})
            continue
        seconds = round(time.perf_counter() - start, 1)
        attempts.append({"source": source.name, "ok": True, "seconds": seconds})
        log(f"{source.name} succeeded in {seconds} s ({result['verified_by']} verified)")
        return {"dataset": "celeba", "source": source.name, **result, "attempts": attempts}
    tried = "\n".join(f"  {a['source']}: {a['reason']}" for a in attempts)
    raise ZatlasError(
        f"could not acquire CelebA into {dest}. Tried:\n{tried}\n{manual_instructions(dest, spec)}"
    )
