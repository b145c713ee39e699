"""Acquisition of the real CelebA, offline: every source is mocked; the data is a miniature
CelebA built at test time with the expected checksums patched to its own."""

import hashlib
import io
import json
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from tests.celeba_fixture import Served, build_fixture, copy_files, hf_parquet, kaggle_archive
from zatlas.data.celeba import (
    ATTRIBUTES,
    IDENTITY,
    OFFICIAL,
    PARTITION,
    ZIP,
    Expected,
    GDriveSource,
    HuggingFaceSource,
    KaggleSource,
    LocalSource,
    SourceFailed,
    VerificationFailed,
    acquire_celeba,
    kaggle_credentials,
    md5sum,
    rebuild_partition,
    verify_content,
    write_official,
)
from zatlas.errors import ZatlasError

N = 20
KAGGLE_ENV = {"KAGGLE_USERNAME": "someone", "KAGGLE_KEY": "secret"}
HTML = b"<!DOCTYPE html><html><head><title>Google Drive - Quota exceeded</title></head></html>"
# The acquire rule's other keywords for CelebA (common.smk's acquire_settings), no mirrors.
CELEBA_SOURCE = {"sources": []}


@pytest.fixture(scope="module")
def fixture(tmp_path_factory):
    root = tmp_path_factory.mktemp("celeba_fixture")
    return root, build_fixture(root, N)


@pytest.fixture
def dest(tmp_path):
    return tmp_path / "resources" / "celeba"


def quiet(messages):
    return messages.append


def never(*args):
    raise AssertionError(f"this source must not be used: {args}")


class Refusing:
    """A source that always fails, recording that it was asked."""

    def __init__(self, name, asked):
        self.name, self.asked = name, asked

    def describe(self):
        return "a mocked source"

    def fetch(self, dest, spec, log):
        self.asked.append(self.name)
        raise SourceFailed(f"{self.name} is down")


def left_over(dest: Path) -> list[str]:
    return sorted(p.name for p in dest.iterdir() if p.name.endswith(".part"))


def test_local_files_verified_by_md5_never_downloaded(fixture, dest):
    root, spec = fixture
    copy_files(root, dest)
    sources = [LocalSource(), GDriveSource(never), KaggleSource(never, environ=KAGGLE_ENV)]
    record = acquire_celeba(dest, sources=sources, spec=spec, log=quiet([]))
    assert record["source"] == "local" and record["verified_by"] == "md5"
    assert record["n_images"] == N
    assert {n: f["md5"] for n, f in record["files"].items()} == {f.name: f.md5 for f in spec.files}
    assert [(a["source"], a["ok"]) for a in record["attempts"]] == [("local", True)]


def test_local_mirror_copy_is_verified_by_content(fixture, dest):
    """A hand-made zip (other bytes than the official one) is accepted when its content is
    CelebA's: 20 images of 178x218, the expected split counts."""
    root, spec = fixture
    copy_files(root, dest, names=(PARTITION, ATTRIBUTES))
    with zipfile.ZipFile(root / ZIP) as src, zipfile.ZipFile(dest / ZIP, "w") as out:
        for name in src.namelist():
            out.writestr(name, src.read(name), zipfile.ZIP_STORED)
    record = acquire_celeba(dest, sources=[LocalSource()], spec=spec, log=quiet([]))
    assert record["verified_by"] == "content"
    assert record["files"][ZIP]["matches_official"] is False
    assert record["splits"] == dict(spec.expected.splits)
    # the same files against CelebA's real split: rejected (not a subset: its images 17-20
    # are in the official train split), and kept
    with pytest.raises(VerificationFailed, match="another split than the official one"):
        acquire_celeba(dest, sources=[LocalSource()], spec=replace(spec, expected=Expected()))
    assert (dest / ZIP).exists()


def test_bad_local_file_stops_and_is_never_deleted(fixture, dest):
    root, spec = fixture
    copy_files(root, dest, names=(PARTITION, ATTRIBUTES))
    (dest / ZIP).write_bytes(HTML)
    sources = [LocalSource(), GDriveSource(never)]
    with pytest.raises(ZatlasError, match="HTML page") as err:
        acquire_celeba(dest, sources=sources, spec=spec, log=quiet([]))
    assert "delete it" in str(err.value)
    assert (dest / ZIP).read_bytes() == HTML


def test_gdrive_fetches_only_missing_files(fixture, dest):
    root, spec = fixture
    copy_files(root, dest, names=(ZIP,))  # the big archive placed by hand
    served = Served(root, spec)
    record = acquire_celeba(
        dest, sources=[LocalSource(), GDriveSource(served)], spec=spec, log=quiet([])
    )
    assert record["source"] == "gdrive" and record["verified_by"] == "md5"
    assert [a["source"] for a in record["attempts"]] == ["local", "gdrive"]
    assert "not there" in record["attempts"][0]["reason"]
    assert spec.file(ZIP).drive_id not in served.calls
    assert sorted(served.calls) == sorted(
        spec.file(n).drive_id for n in (PARTITION, ATTRIBUTES, IDENTITY)
    )
    assert all(md5sum(dest / f.name) == f.md5 for f in spec.files)
    assert left_over(dest) == []


def test_html_page_as_zip_is_rejected_and_next_source_tried(fixture, dest, tmp_path):
    root, spec = fixture
    served = Served(root, spec)
    served.data[spec.file(ZIP).drive_id] = HTML
    archive = kaggle_archive(root, tmp_path / "celeba-dataset.zip")
    messages = []
    record = acquire_celeba(
        dest,
        sources=[
            LocalSource(),
            GDriveSource(served),
            KaggleSource(lambda dataset, staging: archive, environ=KAGGLE_ENV),
        ],
        spec=spec,
        log=messages.append,
    )
    assert [a["source"] for a in record["attempts"]] == ["local", "gdrive", "kaggle"]
    assert "HTML page" in record["attempts"][1]["reason"]
    assert record["source"] == "kaggle"
    assert md5sum(dest / ZIP) != md5sum(root / ZIP)  # the repacked archive, verified
    assert any("HTML page" in m for m in messages)
    assert left_over(dest) == []
    # the small files still came from Drive (official bytes), only the archive from Kaggle
    assert spec.file(PARTITION).drive_id in served.calls
    assert record["files"][PARTITION]["matches_official"]


def test_checksum_mismatch_is_rejected(fixture, dest):
    root, spec = fixture
    copy_files(root, dest, names=(PARTITION, ATTRIBUTES))
    served = Served(root, spec)
    good = served.data[spec.file(ZIP).drive_id]
    served.data[spec.file(ZIP).drive_id] = good[:-10] + b"0123456789"  # same size, other md5
    with pytest.raises(ZatlasError) as err:
        acquire_celeba(
            dest, sources=[LocalSource(), GDriveSource(served)], spec=spec, log=quiet([])
        )
    assert f"expected {spec.file(ZIP).md5}" in str(err.value)
    assert not (dest / ZIP).exists() and left_over(dest) == []


def test_every_source_failing_lists_attempts_and_manual_fallback(dest):
    asked = []
    sources = [LocalSource(), Refusing("one", asked), Refusing("two", asked)]
    with pytest.raises(ZatlasError) as err:
        acquire_celeba(dest, sources=sources, log=quiet([]))
    message = str(err.value)
    assert asked == ["one", "two"]
    lines = message.splitlines()
    tried = [line.strip().split(":")[0] for line in lines[1:4]]
    assert tried == ["local", "one", "two"]
    for f in OFFICIAL.files:  # which files, where, with their checksums
        assert f.name in message and f.md5 in message
    assert "1,443,490,838 bytes" in message and str(dest) in message


def test_interrupted_download_never_looks_complete_and_resumes(fixture, dest):
    root, spec = fixture
    copy_files(root, dest, names=(PARTITION, ATTRIBUTES, IDENTITY))
    full = (root / ZIP).read_bytes()

    def interrupted(file_id, target):
        target.write_bytes(full[: len(full) // 2])
        raise ConnectionError("connection reset by peer")

    with pytest.raises(ZatlasError, match="connection reset"):
        acquire_celeba(dest, sources=[LocalSource(), GDriveSource(interrupted)], spec=spec)
    assert not (dest / ZIP).exists() and left_over(dest) == [f"{ZIP}.part"]

    # prepare refuses the half download: the final name is simply not there
    from zatlas.data.prepare import PrepareSpec, prepare_celeba_layout

    with pytest.raises(ZatlasError, match="acquire"):
        prepare_celeba_layout(dest, dest / "i.npy", dest / "a.pq", dest / "s.json", PrepareSpec())

    def resuming(file_id, target):  # appends the missing bytes, like an HTTP range request
        with open(target, "ab") as fh:
            fh.write(full[target.stat().st_size :])

    messages = []
    record = acquire_celeba(
        dest, sources=[LocalSource(), GDriveSource(resuming)], spec=spec, log=messages.append
    )
    assert record["source"] == "gdrive" and md5sum(dest / ZIP) == spec.file(ZIP).md5
    assert any("resuming" in m for m in messages) and left_over(dest) == []


def test_stale_part_that_does_not_verify_restarts_cleanly(fixture, dest):
    root, spec = fixture
    copy_files(root, dest, names=(PARTITION, ATTRIBUTES, IDENTITY))
    (dest / f"{ZIP}.part").write_bytes(b"PK\x03\x04" + b"\0" * 100)  # junk from another run
    calls = []

    def skip_if_present(file_id, target):  # like gdown: a present target counts as done
        calls.append(target.exists())
        if not target.exists():
            target.write_bytes((root / ZIP).read_bytes())

    record = acquire_celeba(
        dest, sources=[LocalSource(), GDriveSource(skip_if_present)], spec=spec, log=quiet([])
    )
    assert calls == [True, False]  # resumed, rejected, restarted from nothing
    assert record["files"][ZIP]["md5"] == spec.file(ZIP).md5 and left_over(dest) == []


def test_kaggle_nested_layout_and_csvs_become_the_official_files(fixture, dest, tmp_path):
    root, spec = fixture
    archive = kaggle_archive(root, tmp_path / "celeba-dataset.zip")
    asked = []

    def download(dataset, staging):
        asked.append(dataset)
        return archive

    record = acquire_celeba(
        dest,
        sources=[LocalSource(), KaggleSource(download, environ=KAGGLE_ENV)],
        spec=spec,
        log=quiet([]),
    )
    assert asked == ["jessicali9530/celeba-dataset"]
    assert record["source"] == "kaggle" and record["verified_by"] == "content"
    # the CSVs converted to the official text formats, byte for byte
    for name in (PARTITION, ATTRIBUTES):
        assert record["files"][name]["matches_official"], name
        assert (dest / name).read_bytes() == (root / name).read_bytes()
    with zipfile.ZipFile(dest / ZIP) as zf:
        names = zf.namelist()
    assert len(names) == N and names[0] == "img_align_celeba/000001.jpg"
    assert not (dest / ".kaggle").exists()


def test_kaggle_without_credentials_is_skipped_with_reason(dest, tmp_path):
    source = KaggleSource(never, environ={}, home=tmp_path)
    with pytest.raises(SourceFailed, match="no Kaggle credentials"):
        source.fetch(dest, OFFICIAL, quiet([]))
    (tmp_path / ".kaggle").mkdir()
    (tmp_path / ".kaggle" / "kaggle.json").write_text(json.dumps({"username": "u", "key": "k"}))
    assert kaggle_credentials({}, tmp_path) == str(tmp_path / ".kaggle" / "kaggle.json")
    assert kaggle_credentials(KAGGLE_ENV, tmp_path / "nowhere") == "KAGGLE_USERNAME/KAGGLE_KEY"


def test_kaggle_malformed_csv_names_the_line(fixture, dest, tmp_path):
    root, spec = fixture
    archive = kaggle_archive(root, tmp_path / "k.zip")
    with zipfile.ZipFile(archive) as zf:
        csv_text = zf.read("list_eval_partition.csv").decode()
    lines = csv_text.splitlines()
    lines[3] = lines[3].replace(",0", ",7")
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(bad, "w") as out:
        for name in src.namelist():
            data = src.read(name)
            out.writestr(name, "\n".join(lines) if name == "list_eval_partition.csv" else data)
    source = KaggleSource(lambda d, s: bad, environ=KAGGLE_ENV)
    with pytest.raises(SourceFailed, match="line 4"):
        source.fetch(dest, spec, quiet([]))


def test_mirror_with_a_missing_image_fails_verification_and_leaves_nothing(fixture, dest, tmp_path):
    root, spec = fixture
    archive = kaggle_archive(root, tmp_path / "full.zip")
    short = tmp_path / "short.zip"
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(short, "w") as out:
        for name in src.namelist():
            if not name.endswith("000007.jpg"):
                out.writestr(name, src.read(name))
    source = KaggleSource(lambda d, s: short, environ=KAGGLE_ENV)
    with pytest.raises(SourceFailed, match="000007.jpg"):
        source.fetch(dest, spec, quiet([]))
    assert sorted(p.name for p in dest.iterdir() if not p.name.startswith(".")) == []


def test_zip_slip_member_is_never_extracted(fixture, dest, tmp_path):
    root, spec = fixture
    evil = {"../evil.jpg": b"\xff\xd8 not a face", "img_align_celeba/../../evil2.jpg": b"x"}
    archive = kaggle_archive(root, tmp_path / "celeba-dataset.zip", extra=evil)
    messages = []
    record = acquire_celeba(
        dest,
        sources=[KaggleSource(lambda d, s: archive, environ=KAGGLE_ENV)],
        spec=spec,
        log=messages.append,
    )
    assert record["n_images"] == N
    assert not list(tmp_path.rglob("evil*.jpg")) and not list(tmp_path.parent.glob("evil*"))
    with zipfile.ZipFile(dest / ZIP) as zf:
        assert not [n for n in zf.namelist() if "evil" in n]
    assert any("unsafe member name '../evil.jpg'" in m for m in messages)


def test_huggingface_mirror_rebuilds_the_official_split(fixture, dest, tmp_path):
    root, spec = fixture
    shards = hf_parquet(root, tmp_path / "hf")
    asked = []

    def download(repo, revision, staging):
        asked.append((repo, revision))
        return shards

    record = acquire_celeba(
        dest,
        sources=[LocalSource(), HuggingFaceSource(download)],
        spec=spec,
        log=quiet([]),
    )
    assert record["source"] == "huggingface" and len(asked[0][1]) == 40  # a pinned commit
    assert record["revision"] == asked[0][1]
    for name in (PARTITION, ATTRIBUTES):  # rebuilt split and attributes, byte for byte
        assert (dest / name).read_bytes() == (root / name).read_bytes()
        assert record["files"][name]["matches_official"]
    assert record["splits"] == dict(spec.expected.splits)


def test_huggingface_uses_an_official_partition_file_when_there(fixture, dest, tmp_path):
    root, spec = fixture
    copy_files(root, dest, names=(PARTITION,))
    shards = hf_parquet(root, tmp_path / "hf", n_files=1)
    messages = []
    record = HuggingFaceSource(lambda r, v, s: shards).fetch(dest, spec, messages.append)
    assert not any("rebuilt" in m for m in messages)
    assert record["n_images"] == N and sorted(record["files"]) == sorted(
        [ZIP, PARTITION, ATTRIBUTES]
    )


def test_rebuilt_partition_reproduces_celeba_split_boundaries():
    ids = [f"{i:06d}.jpg" for i in range(202_599, 0, -1)]
    ordered, splits = rebuild_partition(ids, Expected())
    assert (ordered[162_769], splits[162_769]) == ("162770.jpg", "train")
    assert (ordered[162_770], splits[162_770]) == ("162771.jpg", "valid")
    assert (ordered[182_637], splits[182_637]) == ("182638.jpg", "test")
    with pytest.raises(SourceFailed, match="cannot rebuild"):
        rebuild_partition(ids[:10], Expected())


def test_converted_text_takes_the_official_line_ending(tmp_path):
    text = "000001.jpg 0\n000002.jpg 2\n"
    crlf_md5 = hashlib.md5(text.replace("\n", "\r\n").encode()).hexdigest()
    write_official(tmp_path / "crlf.txt", text, crlf_md5)
    assert md5sum(tmp_path / "crlf.txt") == crlf_md5
    write_official(tmp_path / "lf.txt", text, "0" * 32)  # neither matches: LF
    assert (tmp_path / "lf.txt").read_bytes() == text.encode()


def test_verify_content_checks_sizes(fixture, tmp_path):
    root, spec = fixture
    with pytest.raises(VerificationFailed, match="not 64x64 JPEGs"):
        verify_content(
            root / ZIP,
            root / PARTITION,
            root / ATTRIBUTES,
            replace(spec.expected, width=64, height=64),
            quiet([]),
        )


def test_acquire_stage_writes_the_source_record(fixture, tmp_path, monkeypatch):
    """The `acquire` rule's function: the record names the source and every checksum."""
    from zatlas.data import celeba
    from zatlas.stages import acquire

    root, spec = fixture
    monkeypatch.setattr(celeba, "OFFICIAL", spec)
    dest = tmp_path / "resources" / "celeba"
    copy_files(root, dest)
    acquire.run(str(dest / "source.json"), "celeba", **CELEBA_SOURCE)
    record = json.loads((dest / "source.json").read_text())
    assert record["source"] == "local" and record["verified_by"] == "md5"
    assert {n: f["md5"] for n, f in record["files"].items()} == {f.name: f.md5 for f in spec.files}
    assert record["n_images"] == N


@pytest.mark.network
def test_real_google_drive_partition_file(tmp_path):
    """The smallest official file through gdown, checked against torchvision's md5."""
    f = OFFICIAL.file(PARTITION)
    source = GDriveSource()
    source._fetch_one(tmp_path, f, print)
    assert hashlib.md5((tmp_path / PARTITION).read_bytes()).hexdigest() == f.md5


def test_short_reason_keeps_the_innermost_cause():
    from zatlas.data.celeba import short_reason

    exc = OSError(
        "HTTPSConnectionPool(host='x.org', port=443): Max retries exceeded with url: /uc "
        "(Caused by NameResolutionError(\"Failed to resolve 'x.org'\"))"
    )
    assert short_reason(exc) == "NameResolutionError(\"Failed to resolve 'x.org'\")"
    assert len(short_reason(OSError("y" * 500))) == 200


def subset_zip(root: Path, out: Path, keep, change=None) -> None:
    """A zip of some of the fixture's images (`change(id, data)` may alter one)."""
    with zipfile.ZipFile(root / ZIP) as src, zipfile.ZipFile(out, "w") as zf:
        for name in src.namelist():
            image_id = Path(name).name
            if image_id in keep:
                data = src.read(name)
                zf.writestr(name, change(image_id, data) if change else data)


SUBSET = [f"{k:06d}.jpg" for k in (*range(1, 11), 17, 19)]  # 10 train, 1 valid, 1 test


def test_a_subset_of_celeba_is_accepted_with_its_real_counts(fixture, dest, tmp_path):
    """The official list files with fewer images: every image present verifies, so the
    subset is accepted, said loudly, recorded with its counts and prepared as it is."""
    from zatlas.data import celeba
    from zatlas.stages import acquire, prepare

    root, spec = fixture
    copy_files(root, dest, names=(PARTITION, ATTRIBUTES))
    subset_zip(root, dest / ZIP, SUBSET)
    before = {p.name: p.read_bytes() for p in dest.iterdir()}
    messages = []
    record = acquire_celeba(dest, sources=[LocalSource(), never], spec=spec, log=messages.append)
    assert record["subset"] is True and record["verified_by"] == "content"
    assert record["n_images"] == 12 and record["official_n_images"] == N
    assert record["splits"] == {"train": 10, "valid": 1, "test": 1}
    assert any("WARNING: a subset of CelebA: 12 of the 20" in m for m in messages)
    assert {p.name: p.read_bytes() for p in dest.iterdir()} == before
    # through the stage: the record on disk, then prepare takes the 12 images there are
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(celeba, "OFFICIAL", spec)
        acquire.run(str(dest / "source.json"), "celeba", **CELEBA_SOURCE)
    assert json.loads((dest / "source.json").read_text())["n_images"] == 12
    out = tmp_path / "out"
    out.mkdir()
    prepare.run(
        str(dest / "source.json"),
        str(out / "i.npy"),
        str(out / "a.parquet"),
        str(out / "p.json"),
        dataset="celeba",
        image_size=16,
        crop=None,
        n_images=None,
        on_corrupt="error",
        workers=1,
        seed=1,
        attribute_file=None,
        splits=None,
        split_fractions=[0.8, 0.1, 0.1],
    )
    summary = json.loads((out / "p.json").read_text())
    assert summary["n_images"] == 12 and summary["splits"] == record["splits"]
    assert summary["crop"] == 178  # null: CelebA's face square


@pytest.mark.parametrize(
    "case, match",
    [
        ("size", r"000005\.jpg \(64x64\)"),
        ("moved", r"puts 1 image\(s\) in another split .*000019\.jpg \(train, officially test\)"),
        ("not_jpeg", r"000005\.jpg \(not a JPEG\)"),
    ],
)
def test_a_subset_with_a_bad_image_is_refused_and_kept(fixture, dest, case, match):
    from PIL import Image

    root, spec = fixture
    copy_files(root, dest, names=(PARTITION, ATTRIBUTES))

    def change(image_id, data):
        if image_id != "000005.jpg":
            return data
        if case == "size":
            buf = io.BytesIO()
            Image.new("RGB", (64, 64)).save(buf, "JPEG")
            return buf.getvalue()
        return b"GIF89a..." if case == "not_jpeg" else data

    subset_zip(root, dest / ZIP, SUBSET, change)
    if case == "moved":  # a subset partition file that moves an image to another split
        lines = [f"{i} {dict(zip(SUBSET, [0] * 10 + [1, 0], strict=True))[i]}\n" for i in SUBSET]
        (dest / PARTITION).write_text("".join(lines))
        attrs = (root / ATTRIBUTES).read_text().splitlines()
        kept = [row for row in attrs[2:] if row.split()[0] in SUBSET]
        (dest / ATTRIBUTES).write_text("\n".join([str(len(kept)), attrs[1], *kept]) + "\n")
    before = {p.name: p.read_bytes() for p in dest.iterdir()}
    with pytest.raises(VerificationFailed, match=match):
        acquire_celeba(dest, sources=[LocalSource()], spec=spec, log=quiet([]))
    assert {p.name: p.read_bytes() for p in dest.iterdir()} == before
