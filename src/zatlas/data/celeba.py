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

import csv
import glob
import hashlib
import io
import os
import re
import shutil
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np

from zatlas.data.attributes import CELEBA_ATTRIBUTES, SPLITS, read_attributes, read_partition
from zatlas.data.prepare import image_members, member_table, read_member, safe_member
from zatlas.errors import ZatlasError
from zatlas.progress import progress

CELEBA_PAGE = "https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html"
KAGGLE_DATASET = "jessicali9530/celeba-dataset"
HF_REPO = "huggan/CelebA-faces-with-attributes"
HF_REVISION = "b47e27a7c6bc578361ce132da8c8dad573b98d9e"
DOWNLOAD_SOURCES = ("gdrive", "kaggle", "huggingface")

ZIP = "img_align_celeba.zip"
PARTITION = "list_eval_partition.txt"
ATTRIBUTES = "list_attr_celeba.txt"
IDENTITY = "identity_CelebA.txt"
IMAGE_NAME = re.compile(r"^\d{6}\.jpg$")

Log = Callable[[str], None]


def _print(message: str) -> None:
    print(f"[acquire] {message}", flush=True)


# -- what CelebA is --------------------------------------------------------------------------


@dataclass(frozen=True)
class CelebaFile:
    name: str
    drive_id: str
    md5: str
    size: int | None = None
    required: bool = True

    @property
    def url(self) -> str:
        return f"https://drive.google.com/uc?id={self.drive_id}"


@dataclass(frozen=True)
class Expected:
    """What verified content looks like (the real CelebA by default; tests use small ones)."""

    n_images: int = 202_599
    width: int = 178
    height: int = 218
    splits: tuple[tuple[str, int], ...] = (("train", 162_770), ("valid", 19_867), ("test", 19_962))


@dataclass(frozen=True)
class CelebaSpec:
    files: tuple[CelebaFile, ...]
    expected: Expected = field(default_factory=Expected)

    def file(self, name: str) -> CelebaFile:
        return next(f for f in self.files if f.name == name)

    @property
    def required(self) -> tuple[CelebaFile, ...]:
        return tuple(f for f in self.files if f.required)


OFFICIAL = CelebaSpec(
    files=(
        CelebaFile(
            ZIP, "0B7EVK8r0v71pZjFTYXZWM3FlRnM", "00d2c5bc6d35e252742224ab0c1e8fcb", 1_443_490_838
        ),
        CelebaFile(PARTITION, "0B7EVK8r0v71pY0NSMzRuSXJEVkk", "d32c9cbf5e040fd4025c592c306e6668"),
        CelebaFile(ATTRIBUTES, "0B7EVK8r0v71pblRyaVFSWGxPY0U", "75e246fa4810816ffd6ee81facbd244c"),
        CelebaFile(
            IDENTITY,
            "1_ee_0u7vcNLOfNLegJRHmolfH5ICW-XS",
            "32bd1bd63d3c78cd57e08160ec5ed1e2",
            required=False,
        ),
    )
)


class SourceFailed(Exception):
    """This source cannot deliver CelebA now; the message says why. The next one is tried."""


class VerificationFailed(ZatlasError):
    """Files that claim to be CelebA are not what CelebA is."""


# -- checks ----------------------------------------------------------------------------------


_MD5_CACHE: dict[tuple[int, int, int, int], str] = {}


def short_reason(exc: BaseException, limit: int = 200) -> str:
    """One readable line for a failed download: the innermost cause of urllib3's nested
    messages ("... Caused by NameResolutionError(...)"), cut to `limit` characters."""
    text = f"{type(exc).__name__}: {exc}"
    if "Caused by " in text:
        text = text.rsplit("Caused by ", 1)[1]
        while text.endswith(")") and text.count(")") > text.count("("):
            text = text[:-1]  # the closing brackets of the messages around the cause
    return text if len(text) <= limit else text[: limit - 3] + "..."


def md5sum(path: str | Path, chunk: int = 1 << 20) -> str:
    """md5 of a file; remembered per inode, size and mtime, so that a verified `.part`
    renamed into place is not read twice (1.4 GB)."""
    st = os.stat(path)
    key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    if key not in _MD5_CACHE:
        digest = hashlib.md5()
        with open(path, "rb") as fh:
            while block := fh.read(chunk):
                digest.update(block)
        _MD5_CACHE[key] = digest.hexdigest()
    return _MD5_CACHE[key]


def sniff(path: Path, file: CelebaFile, check_size: bool = True) -> str | None:
    """Why `path` cannot be `file`, judged by its size and first bytes; None if plausible."""
    size = path.stat().st_size
    if size == 0:
        return "it is empty"
    with open(path, "rb") as fh:
        head = fh.read(1024)
    lowered = head.lstrip().lower()
    if lowered.startswith((b"<!doctype", b"<html", b"<?xml")) or b"<html" in lowered:
        return (
            "it is an HTML page, not the file (Google Drive's 'quota exceeded' or "
            "'cannot scan for viruses' page)"
        )
    if file.name.endswith(".zip") and head[:4] != b"PK\x03\x04":
        return "it is not a zip archive (no PK\\x03\\x04 magic bytes)"
    if check_size and file.size is not None and size != file.size:
        return f"it has {size:,} bytes, expected {file.size:,}"
    return None


def _file_record(path: Path, file: CelebaFile, md5: str | None = None) -> dict:
    md5 = md5 or md5sum(path)
    return {
        "bytes": path.stat().st_size,
        "md5": md5,
        "official_md5": file.md5,
        "matches_official": md5 == file.md5,
    }


def verify_content(
    zip_path: Path, partition_path: Path, attributes_path: Path, expected: Expected, log: Log
) -> dict:
    """Count, size and split check of a CelebA layout; VerificationFailed says what is off."""

    def fail(why: str):
        raise VerificationFailed(why)

    try:
        partition = read_partition(partition_path)
        attributes = read_attributes(attributes_path)
    except ZatlasError as exc:
        fail(str(exc))
    if partition["image_id"].duplicated().any():
        fail(f"{partition_path.name} lists an image more than once")
    if len(partition) != expected.n_images:
        fail(
            f"{partition_path.name} lists {len(partition):,} images, expected {expected.n_images:,}"
        )
    counts = partition["split"].value_counts().to_dict()
    want = dict(expected.splits)
    if {k: counts.get(k, 0) for k in want} != want:
        fail(f"{partition_path.name} splits are {counts}, expected {want}")
    ids = set(partition["image_id"])
    if set(attributes["image_id"]) != ids or len(attributes) != len(ids):
        fail(f"{attributes_path.name} and {partition_path.name} list different images")
    try:
        with zipfile.ZipFile(zip_path) as zf:
            try:
                members = image_members(zf)
            except ZatlasError as exc:  # the same image twice
                fail(str(exc))
            if set(members) != ids:
                lacking = sorted(ids - set(members))
                extra = sorted(set(members) - ids)
                fail(
                    f"{zip_path.name} holds {len(members):,} JPEGs: {len(lacking):,} listed "
                    f"images missing (first {lacking[:3]}), {len(extra):,} unlisted "
                    f"(first {extra[:3]})"
                )
            order = sorted(ids)
            locations = member_table(zf, [members[i] for i in order])
    except zipfile.BadZipFile as exc:
        fail(f"{zip_path.name} is not a readable zip archive ({exc})")
    from PIL import Image

    bad = []
    with open(zip_path, "rb") as fh:
        for image_id, where in progress(
            list(zip(order, locations, strict=True)), desc="verifying images", total=len(order)
        ):
            try:
                data = read_member(fh, where)
                if data[:2] != b"\xff\xd8":
                    raise ValueError("not a JPEG")
                with Image.open(io.BytesIO(data)) as img:
                    size = img.size
                if size != (expected.width, expected.height):
                    raise ValueError(f"{size[0]}x{size[1]}")
            except (OSError, ValueError, SyntaxError, zipfile.BadZipFile) as exc:
                bad.append(f"{image_id} ({exc})")
                if len(bad) >= 10:
                    break
    if bad:
        fail(
            f"{zip_path.name}: images that are not {expected.width}x{expected.height} JPEGs: "
            + "; ".join(bad)
        )
    log(
        f"content verified: {len(order):,} images of {expected.width}x{expected.height}, "
        f"splits {want}"
    )
    return {"n_images": len(order), "splits": want}


def verify_folder(dest: Path, spec: CelebaSpec, log: Log, paths: dict | None = None) -> dict:
    """Verify the required files (official md5s, else content); record every file present.

    `paths` maps a file name to where it is now (a `.part` not yet renamed); the rest are
    looked for in `dest`.
    """
    paths = {f.name: dest / f.name for f in spec.files} | (paths or {})
    files = {}
    for f in spec.files:
        if paths[f.name].exists():
            files[f.name] = _file_record(paths[f.name], f)
    if all(files[f.name]["matches_official"] for f in spec.required):
        verified_by = "md5"
        expected = spec.expected
        content = {"n_images": expected.n_images, "splits": dict(expected.splits)}
        log("every required file matches its official md5")
    else:
        verified_by = "content"
        off = [f.name for f in spec.required if not files[f.name]["matches_official"]]
        log(f"not the official bytes ({', '.join(off)}): verifying the content")
        content = verify_content(
            paths[ZIP], paths[PARTITION], paths[ATTRIBUTES], spec.expected, log
        )
    return {"verified_by": verified_by, **content, "files": files}


def _publish(parts: dict[str, Path], dest: Path) -> None:
    for name, part in parts.items():
        part.replace(dest / name)


# -- the official text formats -------------------------------------------------------------


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


# -- sources -----------------------------------------------------------------------------------


class LocalSource:
    name = "local"

    def describe(self) -> str:
        return "the files already in the folder (placed by hand or by an earlier run)"

    def fetch(self, dest: Path, spec: CelebaSpec, log: Log) -> dict:
        for f in spec.files:
            path = dest / f.name
            if path.exists() and (why := sniff(path, f, check_size=False)):
                raise VerificationFailed(_bad_local(path, why))
        missing = [f.name for f in spec.required if not (dest / f.name).exists()]
        if missing:
            raise SourceFailed(f"not there: {', '.join(missing)}")
        try:
            return {"origin": str(dest), **verify_folder(dest, spec, log)}
        except VerificationFailed as exc:
            raise VerificationFailed(_bad_local(dest, str(exc))) from None


def _bad_local(path: Path, why: str) -> str:
    return (
        f"{path} does not verify as CelebA: {why}. Files there are never deleted or "
        "overwritten by the pipeline: replace the bad file with the right one (see the "
        "checksums in README.md, 'Real CelebA'), or delete it to let the pipeline download it."
    )


def gdown_download(file_id: str, target: Path) -> None:
    """Fetch one Drive file to `target`, resuming a partial download gdown left there."""
    import gdown

    out = gdown.download(id=file_id, output=str(target), quiet=False, resume=True, retries=3)
    if out is None:
        raise SourceFailed("gdown got no file from Google Drive")


class GDriveSource:
    name = "gdrive"

    def __init__(self, downloader: Callable[[str, Path], None] | None = None):
        self.downloader = downloader or gdown_download

    def describe(self) -> str:
        return "the official Google Drive files, one by one (gdown)"

    def fetch(self, dest: Path, spec: CelebaSpec, log: Log) -> dict:
        failed = []
        for f in spec.files:  # all of them, even after a failure: the small files often
            if (dest / f.name).exists():  # come when the archive hits Drive's quota
                log(f"{f.name}: already there")
                continue
            try:
                self._fetch_one(dest, f, log)
            except SourceFailed as exc:
                if f.required:
                    failed.append(f"{f.name}: {exc}")
                log(f"{f.name}{'' if f.required else ' (optional)'} not fetched: {exc}")
        if failed:
            raise SourceFailed("; ".join(failed))
        origin = {f.name: f.url for f in spec.files}
        return {"origin": origin, **verify_folder(dest, spec, log)}

    def _fetch_one(self, dest: Path, f: CelebaFile, log: Log) -> None:
        part = dest / f"{f.name}.part"
        if part.exists() or any(_gdown_partials(dest, f)):
            why = self._download(dest, f, part, log, resuming=True)
            if why is None:
                return
            log(f"{f.name}: the resumed download does not verify ({why}); starting over")
            _discard(dest, f, part)
        why = self._download(dest, f, part, log, resuming=False)
        if why is not None:
            _discard(dest, f, part)
            raise SourceFailed(why)

    def _download(self, dest: Path, f: CelebaFile, part: Path, log: Log, resuming: bool):
        """Download into `part`; rename it into place when it verifies, else say why not."""
        log(f"{f.name}: downloading {f.url}" + (" (resuming)" if resuming else ""))
        try:
            self.downloader(f.drive_id, part)
        except SourceFailed:
            raise
        except Exception as exc:  # any client's network error: the .part stays, to resume
            raise SourceFailed(f"download failed ({short_reason(exc)})") from None
        if not part.exists():
            return "the download produced no file"
        why = sniff(part, f)
        if why is None and (md5 := md5sum(part)) != f.md5:
            why = f"md5 {md5}, expected {f.md5}"
        if why is None:
            part.replace(dest / f.name)
            for leftover in _gdown_partials(dest, f):
                leftover.unlink()
            log(f"{f.name}: verified (md5 {f.md5})")
            return None
        log(f"{f.name}: rejected, {why}")
        return why


def _gdown_partials(dest: Path, f: CelebaFile) -> list[Path]:
    """gdown's own partial files for our `.part` target (`<name>.part<8 chars>.part`)."""
    return list(dest.glob(f"{glob.escape(f.name)}.part?*.part"))


def _discard(dest: Path, f: CelebaFile, part: Path) -> None:
    part.unlink(missing_ok=True)
    for leftover in _gdown_partials(dest, f):
        leftover.unlink()


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
            "the kaggle client is not installed (pip install 'zatlas[celeba]')"
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


def _verify_and_publish(parts: dict[str, Path], dest: Path, spec: CelebaSpec, log: Log) -> dict:
    try:
        result = verify_folder(dest, spec, log, paths=parts)
    except VerificationFailed as exc:
        for part in parts.values():
            part.unlink(missing_ok=True)
        raise SourceFailed(f"content does not verify: {exc}") from None
    _publish(parts, dest)
    return result


def hf_download(repo: str, revision: str, staging: Path) -> list[Path]:
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        raise SourceFailed(
            "the huggingface_hub client is not installed (pip install 'zatlas[celeba]')"
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


# -- the entry point ---------------------------------------------------------------------------


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
