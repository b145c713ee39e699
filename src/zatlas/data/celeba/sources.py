"""The local folder and the official Google Drive files."""

from __future__ import annotations

import glob
from collections.abc import Callable
from pathlib import Path

from zatlas.data.celeba.spec import (
    CelebaFile,
    CelebaSpec,
    Log,
    SourceFailed,
    VerificationFailed,
)
from zatlas.data.celeba.verify import (
    md5sum,
    short_reason,
    sniff,
    verify_folder,
)


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
            return {"origin": str(dest), **verify_folder(dest, spec, log, allow_subset=True)}
        except VerificationFailed as exc:
            raise VerificationFailed(_bad_local(dest, str(exc))) from None


def _bad_local(path: Path, why: str) -> str:
    return (
        f"{path} does not verify as CelebA: {why}. Files there are never deleted or "
        "overwritten by the pipeline: replace the bad file with the right one (see the "
        "checksums in docs/data.md, 'Real CelebA'), or delete it to let the pipeline download it. "
        "(A subset of CelebA is accepted when every image in it verifies.)"
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
        return {"origin": origin, **verify_folder(dest, spec, log, allow_subset=True)}

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
