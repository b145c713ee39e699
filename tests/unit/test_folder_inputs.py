"""Bad inputs a user with real files meets, each named with what to do: archive members too
large (refused before decompression, memory bounded), truncated zips, file names that
cannot be recorded, files left out (links, FIFOs, the workflow's own folders), images all
alike, `~` paths, a split without train, a Latin-1 attributes header."""

import io
import json
import os
import tarfile
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from tests.folder_fixture import write_tiles
from zatlas.data.archive import Member, read_member
from zatlas.data.container import MB, Container, Limits
from zatlas.data.decode import PrepareSpec
from zatlas.data.folder import acquire_folder, prepare_folder
from zatlas.errors import ConfigError, ZatlasError

QUIET = {"log": lambda m: None}


def record_of(root, tmp_path, limits=None, log=None) -> Path:
    dest = tmp_path / "resources" / "folder"
    record = acquire_folder(root, dest, limits, log=log or (lambda m: None))
    (dest / "source.json").write_text(json.dumps(record))
    return dest / "source.json"


def prepare(record, tmp_path, size=16):
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    spec = PrepareSpec(size, None, None, "error", 1)
    return prepare_folder(
        record, out / "images.npy", out / "attributes.parquet", out / "prepare.json", spec
    )


def zeros_png(side: int) -> bytes:
    buf = io.BytesIO()
    Image.new("L", (side, side), 0).save(buf, "PNG", compress_level=9)
    return buf.getvalue()


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_an_oversized_member_is_refused_before_it_is_read(tmp_path, kind):
    """50 MB of zeros compress to about 50 KB: refused by the size in the archive's
    directory (zip) or member header (tar), without the memory ever holding it."""
    big = b"\x89PNG\r\n\x1a\n" + bytes(50 * MB)
    path = tmp_path / f"bomb.{kind}"
    if kind == "zip":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("a.png", zeros_png(32))
            zf.writestr("huge.png", big)
    else:
        with tarfile.open(path, "w:gz") as tf:
            for name, data in (("a.png", zeros_png(32)), ("huge.png", big)):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    del big
    assert path.stat().st_size < 1 * MB
    tracemalloc.start()
    with pytest.raises(ZatlasError, match=r"1 image\(s\) above data.max_image_mb \(10 MB") as err:
        record_of(path, tmp_path, Limits(image_bytes=10 * MB))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "'huge.png' (50 MB)" in str(err.value)
    assert peak < 5 * MB, peak


def test_the_total_size_limit(tmp_path):
    root = tmp_path / "imgs"
    write_tiles(root, 6, extras=False)
    total = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    with pytest.raises(ZatlasError, match="above data.max_total_mb"):
        record_of(root, tmp_path, Limits(total_bytes=total - 1))


def test_a_zip_member_that_inflates_past_its_header_is_cut_off():
    data = bytes(10 * MB)
    raw = zipfile.ZipFile  # a deflate stream whose header claims 100 KB
    buf = io.BytesIO()
    with raw(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("x.png", data)
    info = zipfile.ZipFile(buf).getinfo("x.png")
    member = Member(info.header_offset, info.compress_size, info.compress_type, info.CRC, 100_000)
    tracemalloc.start()
    with pytest.raises(zipfile.BadZipFile, match="CRC"):
        read_member(buf, member)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 1 * MB


def test_a_truncated_zip_is_named_as_one(tmp_path):
    root = tmp_path / "imgs"
    write_tiles(root, 6, extras=False)
    path = tmp_path / "photos.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for p in sorted(root.rglob("*.*")):
            zf.write(p, p.relative_to(root).as_posix())
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ZatlasError, match="the zip is truncated or corrupt"):
        Container.at(path)


@pytest.mark.parametrize("name", [b"line\nbreak.png", b"caf\xe9.png"])
def test_names_that_cannot_be_recorded_are_named_safely(tmp_path, name):
    """A newline in a name broke prepare's manifest reader; bytes that are not UTF-8 broke
    the parquet writer: both are refused by name (Python escapes), with what to do."""
    root = tmp_path / "imgs"
    write_tiles(root, 4, extras=False)
    (Path(os.fsdecode(bytes(root))) / os.fsdecode(name)).write_bytes(zeros_png(8))
    with pytest.raises(ZatlasError, match="Rename them") as err:
        record_of(root, tmp_path)
    assert repr(os.fsdecode(name)) in str(err.value)


def test_links_fifos_and_the_workflows_own_folders_are_left_out_by_name(
    tmp_path, monkeypatch, capsys
):
    """Links to folders, broken links and FIFOs were left out without a word; with
    data.path the working directory, the workflow's own PNGs became training images."""
    root = tmp_path / "work"
    write_tiles(root / "imgs", 4, extras=False)
    (tmp_path / "elsewhere").mkdir()
    Image.new("RGB", (8, 8)).save(tmp_path / "elsewhere" / "x.png")
    (root / "linked").symlink_to(tmp_path / "elsewhere")
    (root / "gone.jpg").symlink_to(tmp_path / "nowhere.jpg")
    os.mkfifo(root / "pipe.jpg")
    for own in ("results/run/figure.png", "resources/celeba/y.png"):
        (root / own).parent.mkdir(parents=True)
        Image.new("RGB", (8, 8)).save(root / own)
    monkeypatch.chdir(root)
    log = []
    record = json.loads(record_of(root, tmp_path, log=log.append).read_text())
    assert record["n_images"] == 4
    shown = capsys.readouterr().out + "\n".join(log)
    for name, why in (
        ("'linked/'", "a link to a folder"),
        ("'gone.jpg'", "a broken link"),
        ("'pipe.jpg'", "not a regular file"),
        ("'results/'", "the workflow's own output folder"),
        ("'resources/'", "the workflow's own output folder"),
    ):
        assert any(name in line and why in line for line in shown.splitlines()), name
    assert any(m.startswith("left out 5 file(s) that are not used as images") for m in log)


def test_a_folder_of_identical_images_stops_at_prepare(tmp_path):
    root = tmp_path / "imgs"
    root.mkdir()
    for k in range(20):
        Image.new("RGB", (30 + k, 30), (12, 34, 56)).save(root / f"{k:02d}.png")
    log = []
    record = record_of(root, tmp_path, log=log.append)
    assert json.loads(record.read_text())["n_copies"] == 0  # each file differs (its size)
    with pytest.raises(ZatlasError, match="all 20 images .* are identical"):
        prepare(record, tmp_path)
    assert not (tmp_path / "out" / "images.npy").exists()


def test_copies_are_counted_at_acquire(tmp_path):
    root = tmp_path / "imgs"
    names = write_tiles(root, 6, extras=False)
    for k in range(3):
        (root / f"copy {k}.png").write_bytes((root / names[0]).read_bytes())
    log = []
    record = json.loads(record_of(root, tmp_path, log=log.append).read_text())
    assert record["n_copies"] == 3
    assert any(m.startswith("3 image(s) are byte-for-byte copies") for m in log)


def test_an_image_size_far_above_the_images_says_so(tmp_path, capsys):
    root = tmp_path / "imgs"
    write_tiles(root, 4, extras=False)
    prepare(record_of(root, tmp_path), tmp_path, size=512)
    out = capsys.readouterr().out
    assert "data.image_size 512 is more than twice the largest square" in out
    assert f"{4 * 512 * 512 * 3 / 1e9:,.2f} GB" in out


def folder_config(tmp_path, **data):
    from tests.conftest import TINY
    from zatlas.data.dataset import count_folder_images

    count_folder_images.cache_clear()
    cfg = json.loads(json.dumps(TINY))
    cfg["data"] = {"dataset": "folder", "image_size": 16, **data}
    return cfg


def test_a_home_folder_path_is_expanded(tmp_path, monkeypatch, schema_path):
    from zatlas.config import validate_config

    write_tiles(tmp_path / "home" / "faces", 48, extras=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    resolved = validate_config(folder_config(tmp_path, path="~/faces"), schema_path)
    assert resolved["data"]["path"] == str(tmp_path / "home" / "faces")


def test_a_split_without_train_is_refused_by_its_key(tmp_path, schema_path):
    from zatlas.config import validate_config

    write_tiles(tmp_path / "faces", 48, extras=False)
    cfg = folder_config(tmp_path, path=str(tmp_path / "faces"), split_fractions=[0, 0.5, 0.5])
    with pytest.raises(ConfigError, match=r"'data.split_fractions': \[0, 0.5, 0.5\] puts no"):
        validate_config(cfg, schema_path)


def test_a_latin1_attributes_header_is_named_with_what_to_do(tmp_path, schema_path):
    from zatlas.config import validate_config

    names = write_tiles(tmp_path / "faces", 48, extras=False)
    attrs = tmp_path / "attrs.csv"
    attrs.write_bytes(
        "image_id,Âge\n".encode("latin-1") + "".join(f"{n},1\n" for n in names).encode()
    )
    cfg = folder_config(tmp_path, path=str(tmp_path / "faces"), attributes=str(attrs))
    with pytest.raises(ConfigError, match=r"'data.attributes': .* is not UTF-8 text .*iconv"):
        validate_config(cfg, schema_path)


def test_limits_are_config_keys(schema_path):
    schema = yaml.safe_load(Path(schema_path).read_text())
    data = schema["properties"]["data"]["properties"]
    assert data["max_image_mb"]["default"] == 256 and data["max_total_mb"]["default"] == 100000
    assert np.isfinite(Limits().image_bytes)
