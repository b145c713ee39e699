"""A folder of your own images as the data set, on real photographs (tiles of the sample
photos scikit-learn ships): any layout, zip or tar, attributes and split files, a changed
folder detected, and every mistake named without touching what the user placed."""

import hashlib
import io
import json
import shutil
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from tests.folder_fixture import tree_digest, write_tiles
from zatlas.data.attributes import discrete_attributes
from zatlas.data.decode import PrepareSpec, decode_face
from zatlas.data.folder import acquire_folder, prepare_folder
from zatlas.data.folder_tables import seeded_split
from zatlas.errors import ZatlasError

N = 24


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    root = tmp_path_factory.mktemp("folder") / "my photos"
    names = write_tiles(root, N)
    return root, names


def copy_of(photos, tmp_path) -> Path:
    root = tmp_path / "photos"
    shutil.copytree(photos[0], root)
    return root


def acquire(path, tmp_path, log=None, **kw) -> Path:
    dest = tmp_path / "resources" / "folder"
    record = acquire_folder(path, dest, log=log or (lambda m: None), **kw)
    (dest / "source.json").write_text(json.dumps(record))
    return dest / "source.json"


def prepare(record, tmp_path, size=16, crop=None, name="out", **kw):
    out = tmp_path / name
    out.mkdir()
    spec = PrepareSpec(size, crop, kw.pop("n_images", None), kw.pop("on_corrupt", "error"), 1)
    summary = prepare_folder(
        record, out / "images.npy", out / "attributes.parquet", out / "prepare.json", spec, **kw
    )
    return summary, np.load(out / "images.npy"), pd.read_parquet(out / "attributes.parquet")


def test_nested_mixed_folder_becomes_the_data_set(photos, tmp_path):
    root, names = photos
    before = tree_digest(root)
    messages = []
    record_path = acquire(root, tmp_path, log=messages.append)
    record = json.loads(record_path.read_text())
    md5 = {n: hashlib.md5((root / n).read_bytes()).hexdigest() for n in names}
    listing = "".join(f"{n}\t{md5[n]}\n" for n in sorted(names))
    assert record["n_images"] == N
    assert record["total_bytes"] == sum((root / n).stat().st_size for n in names)
    assert record["content_hash"] == hashlib.sha256(listing.encode()).hexdigest()
    assert "splits" not in record and "seed" not in record  # a run's, not the folder's
    assert any("README.txt" in m for m in messages)
    assert any("._china_0001.jpg" in m for m in messages)
    summary, images, table = prepare(record_path, tmp_path, seed=3)
    assert summary["splits"] == {"train": 20, "valid": 2, "test": 2}
    assert images.shape == (N, 16, 16, 3) and images.dtype == np.uint8
    assert table["image_id"].tolist() == names  # nested names, spaces and all
    assert summary["n_images"] == N and summary["n_corrupt"] == 0
    assert (images.reshape(N, -1).std(axis=1) > 1).all()  # every row is a photo, no blank
    assert tree_digest(root) == before  # nothing written, moved or touched


def test_zip_and_tar_give_the_same_data_set_as_the_folder(photos, tmp_path):
    root, names = photos
    record = acquire(root, tmp_path / "dir")
    _, ref, ref_table = prepare(record, tmp_path / "dir")
    archives = {"zip": tmp_path / "photos.zip", "tgz": tmp_path / "photos.tar.gz"}
    with zipfile.ZipFile(archives["zip"], "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(root.rglob("*")):
            zf.write(p, p.relative_to(root).as_posix())
    with tarfile.open(archives["tgz"], "w:gz") as tf:
        for n in names[::-1]:  # archive order differs from name order
            tf.add(root / n, n)
    for kind, path in archives.items():
        rec = acquire(path, tmp_path / kind)
        assert (
            json.loads(rec.read_text())["content_hash"]
            == json.loads(record.read_text())["content_hash"]
        )
        _, images, table = prepare(rec, tmp_path / kind)
        np.testing.assert_array_equal(images, ref)
        assert table.equals(ref_table)


def test_centre_crop_of_landscape_portrait_and_grayscale_images():
    """A red square between green margins comes out red, whichever way the margins run (the
    resampling filter lets a trace of the margin into the outermost pixels only); a grey
    image becomes three equal grey channels."""
    for w, h in ((90, 50), (50, 90)):
        arr = np.zeros((h, w, 3), np.uint8)
        arr[..., 1] = 255
        s = min(w, h)
        top, left = (h - s) // 2, (w - s) // 2
        arr[top : top + s, left : left + s] = (255, 0, 0)
        buf = io.BytesIO()
        Image.fromarray(arr).save(buf, "PNG")
        out = decode_face(buf.getvalue(), 16, None)
        assert out.shape == (16, 16, 3)
        assert (out[1:-1, 1:-1] == (255, 0, 0)).all()
        assert out[..., 1].max() < 40 and out[..., 0].min() > 215
    buf = io.BytesIO()
    Image.new("L", (40, 30), 77).save(buf, "PNG")
    assert (decode_face(buf.getvalue(), 16, None) == 77).all()


def test_photo_tiles_keep_their_mean_colour(photos, tmp_path):
    """Resizing averages: the mean colour of each decoded tile is that of its centre square
    (measured with numpy on the original pixels), within a few grey levels for JPEGs."""
    root, names = photos
    _, images, _ = prepare(acquire(root, tmp_path), tmp_path, size=32)
    for name, out in zip(names, images, strict=True):
        arr = np.asarray(Image.open(root / name).convert("RGB"), dtype=float)
        h, w = arr.shape[:2]
        s = min(w, h)
        centre = arr[(h - s) // 2 : (h - s) // 2 + s, (w - s) // 2 : (w - s) // 2 + s]
        assert np.abs(out.mean(axis=(0, 1)) - centre.mean(axis=(0, 1))).max() < 4, name


def test_attribute_and_split_files(photos, tmp_path):
    root, names = photos
    attrs = tmp_path / "attributes.csv"
    lines = ["file,Smiling,age"]
    for k, n in enumerate(names):  # by file name where unique, by path otherwise
        key = n if k % 2 else n.split("/")[-1]
        lines.append(f"{key},{1 if k % 3 == 0 else -1},{20 + k * 1.5}")
    lines.append("not_there.jpg,1,30")
    attrs.write_text("\n".join(lines) + "\n")
    splits = tmp_path / "splits.csv"
    splits.write_text(
        "image_id,split\n"
        + "".join(f"{n},{['train', 'val', 'test', 2][k % 4]}\n" for k, n in enumerate(names))
    )
    record = acquire(root, tmp_path)
    summary, _, table = prepare(record, tmp_path, attributes=attrs, splits=splits)
    assert summary["attributes"]["md5"] == hashlib.md5(attrs.read_bytes()).hexdigest()
    assert table.columns.tolist() == ["image_id", "split", "Smiling", "age"]
    assert table["Smiling"].dtype == np.int8 and table["age"].dtype == np.float32
    assert table["Smiling"].tolist() == [1 if k % 3 == 0 else -1 for k in range(N)]
    assert table["age"].tolist() == [20 + k * 1.5 for k in range(N)]
    assert table["split"].tolist() == [["train", "valid", "test", "test"][k % 4] for k in range(N)]


def test_a_column_of_words_is_a_category_never_cut_into_bins(photos, tmp_path):
    root, names = photos
    attrs = tmp_path / "attributes.csv"
    hair = [["blond", "dark", "red"][k % 3] for k in range(N)]
    rows = "".join(f"{n},{h},{k * 1.5}\n" for k, (n, h) in enumerate(zip(names, hair, strict=True)))
    attrs.write_text("image_id,hair,score\n" + rows)
    _, _, table = prepare(acquire(root, tmp_path), tmp_path, attributes=attrs)
    assert table["hair"].tolist() == hair and table["score"].dtype == np.float32
    labels = discrete_attributes(table)
    # three classes as they are; the continuous score in quartiles (6 images each)
    assert labels["hair"].tolist() == hair
    assert sorted(np.bincount(labels["score"].astype(int))) == [6, 6, 6, 6]


@pytest.mark.parametrize(
    "kind, text, match",
    [
        (
            "attributes",
            "image_id,Smiling\n{first},-inf\n{ones}",
            r"line 2, column 'Smiling': '-inf'",
        ),
        ("attributes", "image_id,Smiling\n{ones}{first},nan\n", r"line 25, column 'Smiling'"),
        ("attributes", "image_id,Smiling\n{first},1\n", r"no row for 23 of the 24 images"),
        ("attributes", "image_id,Smiling\n{first},1,2\n", r"line 2: 3 fields, the header has 2"),
        ("attributes", "image_id,split\n{first},1\n", r"'split' is reserved"),
        ("splits", "image_id,split\n{all}", r"line 2: split 'training' is not train"),
    ],
)
def test_bad_tables_name_the_line_and_change_nothing(photos, tmp_path, kind, text, match):
    root, names = photos
    path = tmp_path / f"{kind}.csv"
    path.write_text(
        text.format(
            first=names[0],
            all="".join(f"{n},training\n" for n in names),
            ones="".join(f"{n},1\n" for n in names[1:]),
        )
    )
    before = tree_digest(root), path.read_bytes()
    record = acquire(root, tmp_path)
    with pytest.raises(ZatlasError, match=match):
        prepare(record, tmp_path, **{kind: path})
    assert (tree_digest(root), path.read_bytes()) == before


def test_seeded_split_is_reproducible_and_follows_the_fractions():
    a = seeded_split(1000, (0.7, 0.2, 0.1), seed=4)
    assert a == seeded_split(1000, (0.7, 0.2, 0.1), seed=4)
    assert a != seeded_split(1000, (0.7, 0.2, 0.1), seed=5)
    assert (a.count("train"), a.count("valid"), a.count("test")) == (700, 200, 100)
    assert a[:50].count("train") not in (0, 50)  # shuffled, not in blocks
    with pytest.raises(ZatlasError, match="summing to 1"):
        seeded_split(10, (0.5, 0.2, 0.1), seed=0)


@pytest.mark.parametrize("change", ["edit", "add", "remove"])
def test_a_changed_folder_is_detected_and_named(photos, tmp_path, change):
    root = copy_of(photos, tmp_path)
    names = photos[1]
    record = acquire(root, tmp_path)
    target = root / names[5]
    if change == "edit":  # same size, other bytes: only the md5 can tell
        data = bytearray(target.read_bytes())
        data[-3] ^= 0xFF
        target.write_bytes(bytes(data))
    elif change == "add":
        shutil.copy(target, root / "china" / "new one.jpg")
    else:
        target.unlink()
    before = tree_digest(root)
    word = {"edit": "1 changed", "add": "1 added", "remove": "1 removed"}[change]
    shown = "china/new one.jpg" if change == "add" else names[5]
    with pytest.raises(ZatlasError, match="changed since the acquire step") as err:
        prepare(record, tmp_path)
    message = str(err.value)
    assert word in message and shown in message
    assert f"delete {record}" in message and "-R acquire" in message
    assert tree_digest(root) == before
    assert not list((tmp_path / "out").iterdir())  # no half-written array


def test_non_image_is_reported_by_its_name(photos, tmp_path):
    root = copy_of(photos, tmp_path)
    (root / "flowers" / "scan 7.jpg").write_text("this is not a JPEG")
    messages = []
    record = acquire(root, tmp_path, log=messages.append)
    assert any("flowers/scan 7.jpg" in m for m in messages)
    with pytest.raises(ZatlasError) as err:
        prepare(record, tmp_path)
    message = str(err.value)
    assert "flowers/scan 7.jpg (not a readable JPEG, PNG, WebP, GIF, BMP, TIFF" in message
    assert "BytesIO" not in message and "data.on_corrupt: skip" in message
    summary, images, table = prepare(record, tmp_path, name="skip", on_corrupt="skip")
    assert summary["skipped_corrupt"] == ["flowers/scan 7.jpg"] and len(images) == N


def test_unsafe_archive_members_are_logged_and_skipped(photos, tmp_path):
    root, names = photos
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for n in names:
            zf.write(root / n, n)
        zf.writestr("../escape.jpg", (root / names[0]).read_bytes())
        zf.writestr("/abs/evil.jpg", (root / names[0]).read_bytes())
    messages = []
    record = acquire(archive, tmp_path, log=messages.append)
    assert json.loads(record.read_text())["n_images"] == N
    for name in ("../escape.jpg", "/abs/evil.jpg"):
        assert any(name in m and "unsafe" in m for m in messages), messages
    assert not list(tmp_path.parent.glob("escape.jpg")) and not Path("/abs/evil.jpg").exists()


def test_empty_or_missing_folder_says_what_to_do(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("x")
    with pytest.raises(ZatlasError, match="holds no JPEG, PNG, WebP, GIF, BMP, TIFF or PGM/PPM"):
        acquire(tmp_path / "empty", tmp_path)
    with pytest.raises(ZatlasError, match="does not exist; point it at a folder"):
        acquire(tmp_path / "nowhere", tmp_path)


def test_photos_are_turned_upright_by_their_exif_orientation():
    """Stored landscape, red left and blue right, tagged 'rotate 90° clockwise to show':
    shown portrait, red on top. Without the tag's use, red stays left."""
    arr = np.zeros((20, 40, 3), np.uint8)
    arr[:, :20, 0] = 255
    arr[:, 20:, 2] = 255
    exif = Image.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "JPEG", quality=95, exif=exif)
    upright = decode_face(buf.getvalue(), 16, None, orient=True).astype(int)
    assert (upright[:6, :, 0] > upright[:6, :, 2] + 150).all()
    assert (upright[-6:, :, 2] > upright[-6:, :, 0] + 150).all()
    stored = decode_face(buf.getvalue(), 16, None, orient=False).astype(int)
    assert (stored[:, :6, 0] > stored[:, :6, 2] + 150).all()


@pytest.mark.parametrize("shape", [(149, 149), (150, 195), (195, 150), (61, 61)])
def test_odd_sized_jpegs_decoded_at_reduced_scale_keep_the_box_inside(photos, shape):
    """A reduced-scale decode rounds each side up: the whole shorter side then came out a
    hair larger than the image and PIL refused the box ("box offset can't be negative")."""
    h, w = shape
    root, names = photos
    arr = np.asarray(Image.open(root / names[0]).convert("RGB").resize((w, h)))
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "JPEG", quality=90)
    for size in (16, 32, 64):
        out = decode_face(buf.getvalue(), size, None).astype(float)
        assert out.shape == (size, size, 3)
        s = min(w, h)
        centre = arr[(h - s) // 2 : (h - s) // 2 + s, (w - s) // 2 : (w - s) // 2 + s]
        assert np.abs(out.mean(axis=(0, 1)) - centre.mean(axis=(0, 1))).max() < 6


def test_acquire_and_prepare_stages_on_a_folder(photos, tmp_path):
    """The rules' stage functions, with the keywords the rules pass."""
    from zatlas.stages import acquire, prepare

    root, names = photos
    source = tmp_path / "resources" / "folder_x" / "source.json"
    common = {"attributes": None, "splits": None, "split_fractions": [0.5, 0.25, 0.25]}
    acquire.run(source=str(source), dataset="folder", path=str(root))
    record = json.loads(source.read_text())
    assert record["n_images"] == N
    out = tmp_path / "data"
    out.mkdir()
    prepare.run(
        source=str(source),
        images=str(out / "images.npy"),
        attributes=str(out / "attributes.parquet"),
        summary=str(out / "prepare.json"),
        dataset="folder",
        image_size=32,
        crop=None,
        n_images=None,
        on_corrupt="error",
        workers=0,
        seed=2,
        attribute_file=common["attributes"],
        splits=common["splits"],
        split_fractions=common["split_fractions"],
        threads=1,
    )
    assert np.load(out / "images.npy").shape == (N, 32, 32, 3)
    table = pd.read_parquet(out / "attributes.parquet")
    assert table["split"].value_counts().to_dict() == {"train": 12, "valid": 6, "test": 6}
