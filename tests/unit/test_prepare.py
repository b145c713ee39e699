"""Preparation of a CelebA layout: safe zip reading, corrupt JPEGs, the fast decoding path."""

import io
import json
import shutil
import zipfile

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from tests.celeba_fixture import build_fixture
from zatlas.data.celeba import ATTRIBUTES, PARTITION, ZIP
from zatlas.data.prepare import (
    PrepareSpec,
    decode_face,
    image_members,
    member_table,
    prepare_celeba_layout,
    read_member,
)
from zatlas.errors import ZatlasError

N = 20


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    root = tmp_path_factory.mktemp("prepare_fixture")
    build_fixture(root, N)
    return root


def rewrite(src_root, dest_root, change):
    """A copy of the layout whose zip members pass through `change(name, data)`; a change
    returning None drops the member, a (name, data) pair adds or replaces one."""
    dest_root.mkdir(parents=True, exist_ok=True)
    for name in (PARTITION, ATTRIBUTES):
        shutil.copy2(src_root / name, dest_root / name)
    with zipfile.ZipFile(src_root / ZIP) as src, zipfile.ZipFile(dest_root / ZIP, "w") as out:
        for name in src.namelist():
            for new in change(name, src.read(name)):
                out.writestr(new[0], new[1], zipfile.ZIP_DEFLATED)
    return dest_root


def run(root, out, **kw):
    out.mkdir(exist_ok=True)
    spec = PrepareSpec(image_size=32, crop=160, workers=kw.pop("workers", 1), **kw)
    return prepare_celeba_layout(
        root, out / "images.npy", out / "attributes.parquet", out / "prepare.json", spec
    )


def naive(data: bytes, size: int, crop: int) -> np.ndarray:
    """The baseline: full decode, crop, resize."""
    img = Image.open(io.BytesIO(data)).convert("RGB")
    w, h = img.size
    left, top = (w - crop) / 2, (h - crop) / 2
    return np.asarray(
        img.resize(
            (size, size), Image.Resampling.BILINEAR, box=(left, top, left + crop, top + crop)
        )
    )


def test_read_member_matches_zipfile_for_deflated_and_stored(raw, tmp_path):
    stored = tmp_path / "stored.zip"
    with zipfile.ZipFile(raw / ZIP) as src, zipfile.ZipFile(stored, "w") as out:
        for name in src.namelist():
            out.writestr(name, src.read(name), zipfile.ZIP_STORED)
    for path in (raw / ZIP, stored):
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()[:5]
            expected = [zf.read(n) for n in names]
            table = member_table(zf, names)
        with open(path, "rb") as fh:
            assert [read_member(fh, m) for m in table] == expected


def test_evil_member_names_are_ignored(raw, tmp_path):
    root = rewrite(
        raw,
        tmp_path / "evil",
        lambda name, data: (
            [(name, data)]
            + ([("../evil.jpg", data), ("/abs/evil2.jpg", data)] if name.endswith("01.jpg") else [])
        ),
    )
    with zipfile.ZipFile(root / ZIP) as zf:
        members = image_members(zf)
    assert len(members) == N and not [m for m in members.values() if "evil" in m]
    out = run(root, tmp_path / "out")
    assert out["n_images"] == N
    assert not list(tmp_path.rglob("evil*.jpg"))


def test_member_outside_the_folder_does_not_stand_in_for_a_listed_image(raw, tmp_path):
    def move(name, data):
        return [("../000003.jpg", data)] if name.endswith("000003.jpg") else [(name, data)]

    root = rewrite(raw, tmp_path / "slip", move)
    with pytest.raises(ZatlasError, match="lacks 1 images"):
        run(root, tmp_path / "out")


def truncated_at(image_id):
    def change(name, data):
        return [(name, data[: len(data) // 2] if name.endswith(image_id) else data)]

    return change


def test_corrupt_jpeg_is_a_hard_error_by_default(raw, tmp_path):
    root = rewrite(raw, tmp_path / "bad", truncated_at("000004.jpg"))
    with pytest.raises(ZatlasError, match=r"1 corrupt image\(s\).*000004\.jpg.*truncated"):
        run(root, tmp_path / "out", workers=2)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == []


def test_corrupt_jpeg_skipped_with_its_id_recorded(raw, tmp_path, capsys):
    root = rewrite(raw, tmp_path / "bad", truncated_at("000004.jpg"))
    summary = run(root, tmp_path / "out", on_corrupt="skip")
    assert summary["n_corrupt"] == 1 and summary["skipped_corrupt"] == ["000004.jpg"]
    assert summary["n_images"] == N - 1
    assert "corrupt image 000004.jpg" in capsys.readouterr().out
    images = np.load(tmp_path / "out" / "images.npy", mmap_mode="r")
    table = pd.read_parquet(tmp_path / "out" / "attributes.parquet")
    assert len(images) == len(table) == N - 1 and "000004.jpg" not in set(table["image_id"])
    assert images.reshape(N - 1, -1).max(axis=1).min() > 0  # no blank image left behind
    saved = json.loads((tmp_path / "out" / "prepare.json").read_text())
    assert saved["skipped_corrupt"] == ["000004.jpg"]
    # the rows kept are exactly the good images, in order
    with zipfile.ZipFile(raw / ZIP) as zf:
        np.testing.assert_array_equal(
            images[4], decode_face(zf.read("img_align_celeba/000006.jpg"), 32, 160)
        )


def test_damaged_archive_bytes_are_caught_by_the_crc(raw, tmp_path):
    root = rewrite(raw, tmp_path / "crc", lambda name, data: [(name, data)])
    with zipfile.ZipFile(root / ZIP) as zf:
        info = zf.getinfo("img_align_celeba/000009.jpg")
    blob = bytearray((root / ZIP).read_bytes())
    pos = info.header_offset + 30 + len(info.filename) + len(info.extra) + 200
    blob[pos : pos + 8] = bytes(255 - b for b in blob[pos : pos + 8])
    (root / ZIP).write_bytes(bytes(blob))
    summary = run(root, tmp_path / "out", on_corrupt="skip")
    assert summary["skipped_corrupt"] == ["000009.jpg"]


def test_draft_decoding_agrees_with_full_decoding(raw):
    """The cheap path (libjpeg's reduced-scale decode before the resize) stays within a few
    grey levels of the full decode + resize."""
    with zipfile.ZipFile(raw / ZIP) as zf:
        blobs = [zf.read(n) for n in zf.namelist()[:8]]
    for size in (32, 64, 96):
        diffs = [
            np.abs(decode_face(b, size, 178).astype(int) - naive(b, size, 178)).mean()
            for b in blobs
        ]
        assert max(diffs) < 4.0, (size, diffs)
    # at 96 px from a 178 px crop no reduced scale is big enough: identical to the baseline
    np.testing.assert_array_equal(decode_face(blobs[0], 96, 178), naive(blobs[0], 96, 178))


def test_parallel_workers_match_one_worker(raw, tmp_path):
    run(raw, tmp_path / "one", workers=1)
    run(raw, tmp_path / "two", workers=2)
    one = np.load(tmp_path / "one" / "images.npy")
    two = np.load(tmp_path / "two" / "images.npy")
    np.testing.assert_array_equal(one, two)


def test_duplicate_ids_in_partition_are_an_error(raw, tmp_path):
    root = rewrite(raw, tmp_path / "dup", lambda name, data: [(name, data)])
    text = (root / PARTITION).read_text().splitlines()
    text[1] = text[0]
    (root / PARTITION).write_text("\n".join(text) + "\n")
    with pytest.raises(ZatlasError, match="more than once"):
        run(root, tmp_path / "out")


def test_malformed_attribute_row_names_its_line(raw, tmp_path):
    root = rewrite(raw, tmp_path / "attr", lambda name, data: [(name, data)])
    lines = (root / ATTRIBUTES).read_text().splitlines()
    lines[4] = lines[4].replace(" 1", " 2", 1).replace("-1", " 2", 1)
    (root / ATTRIBUTES).write_text("\n".join(lines) + "\n")
    with pytest.raises(ZatlasError, match="line 5"):
        run(root, tmp_path / "out")


def test_non_image_member_is_reported_by_its_name(raw, tmp_path):
    def change(name, data):
        return [(name, b"<html>quota</html>" if name.endswith("000006.jpg") else data)]

    root = rewrite(raw, tmp_path / "html", change)
    with pytest.raises(ZatlasError) as err:
        run(root, tmp_path / "out")
    message = str(err.value)
    assert "000006.jpg (not a readable JPEG, PNG, WebP, GIF, BMP, TIFF or PGM/PPM image)" in message
    assert "BytesIO" not in message


def test_unsafe_members_are_logged_when_skipped(raw, tmp_path, capsys):
    def change(name, data):
        extra = [("../x.jpg", data), ("/abs/y.jpg", data)] if name.endswith("01.jpg") else []
        return [(name, data), *extra]

    root = rewrite(raw, tmp_path / "evil", change)
    run(root, tmp_path / "out")
    out = capsys.readouterr().out
    assert "skipping unsafe member name '../x.jpg'" in out
    assert "skipping unsafe member name '/abs/y.jpg'" in out


@pytest.mark.parametrize("what", ["missing", "incomplete", "corrupt"])
def test_every_redo_message_names_the_record_to_delete(raw, tmp_path, what):
    """Snakemake reruns `acquire` only when its record is gone: each message that asks for
    the raw files again says to delete `source.json` (or to run with -R acquire)."""
    if what == "missing":
        root = tmp_path / "raw"
        root.mkdir()
        for name in (PARTITION, ATTRIBUTES):
            shutil.copy2(raw / name, root / name)
    elif what == "incomplete":
        root = rewrite(raw, tmp_path / "raw", lambda n, d: [] if n.endswith("07.jpg") else [(n, d)])
    else:
        root = rewrite(raw, tmp_path / "raw", truncated_at("000004.jpg"))
    (root / "source.json").write_text("{}")
    before = {p.name: p.read_bytes() for p in root.iterdir()}
    with pytest.raises(ZatlasError) as err:
        run(root, tmp_path / "out")
    assert f"delete {root / 'source.json'} (or run snakemake with `-R acquire`)" in str(err.value)
    assert {p.name: p.read_bytes() for p in root.iterdir()} == before
