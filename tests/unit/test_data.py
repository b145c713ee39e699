import zipfile

import numpy as np
import pandas as pd
import pytest

from zatlas.data.attributes import CELEBA_ATTRIBUTES, read_attributes, read_partition
from zatlas.data.prepare import PrepareSpec, decode_face, prepare_celeba_layout, select_rows
from zatlas.data.synthetic import HEIGHT, WIDTH, write_synthetic_celeba
from zatlas.errors import ZatlasError


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthetic")
    write_synthetic_celeba(root, 60, seed=3)
    return root


def test_synthetic_layout_is_celeba_layout(raw):
    with zipfile.ZipFile(raw / "img_align_celeba.zip") as zf:
        names = zf.namelist()
        assert names[0] == "img_align_celeba/000001.jpg" and len(names) == 60
        from io import BytesIO

        from PIL import Image

        assert Image.open(BytesIO(zf.read(names[0]))).size == (WIDTH, HEIGHT)
    part = read_partition(raw / "list_eval_partition.txt")
    assert part["split"].value_counts().to_dict() == {"train": 48, "valid": 6, "test": 6}
    attrs = read_attributes(raw / "list_attr_celeba.txt")
    assert list(attrs.columns[1:]) == CELEBA_ATTRIBUTES
    assert set(np.unique(attrs.iloc[:, 1:].to_numpy())) <= {-1, 1}
    # attributes the drawing controls are consistent with each other
    assert not ((attrs["Male"] == -1) & (attrs["Goatee"] == 1)).any()
    hair = attrs[["Black_Hair", "Blond_Hair", "Brown_Hair", "Gray_Hair"]].to_numpy()
    assert ((hair == 1).sum(axis=1) <= 1).all()


def test_synthetic_is_deterministic(tmp_path, raw):
    write_synthetic_celeba(tmp_path, 60, seed=3)
    assert (tmp_path / "list_attr_celeba.txt").read_text() == (
        raw / "list_attr_celeba.txt"
    ).read_text()
    with (
        zipfile.ZipFile(tmp_path / "img_align_celeba.zip") as a,
        zipfile.ZipFile(raw / "img_align_celeba.zip") as b,
    ):
        assert a.read("img_align_celeba/000007.jpg") == b.read("img_align_celeba/000007.jpg")


def test_prepare_writes_array_and_table(raw, tmp_path):
    out = prepare_celeba_layout(
        raw,
        tmp_path / "images.npy",
        tmp_path / "attr.parquet",
        tmp_path / "p.json",
        PrepareSpec(image_size=32, crop=160, workers=2),
    )
    images = np.load(tmp_path / "images.npy", mmap_mode="r")
    assert images.shape == (60, 32, 32, 3) and images.dtype == np.uint8
    assert out["n_images"] == 60
    table = pd.read_parquet(tmp_path / "attr.parquet")
    assert list(table.columns[:2]) == ["image_id", "split"] and len(table) == 60
    assert images.reshape(60, -1).std(axis=1).min() > 5  # real faces, not blank rows
    # same result as decoding one image directly
    with zipfile.ZipFile(raw / "img_align_celeba.zip") as zf:
        direct = decode_face(zf.read("img_align_celeba/000005.jpg"), 32, 160)
    np.testing.assert_array_equal(images[4], direct)


def test_select_rows_keeps_every_split():
    table = pd.DataFrame(
        {"image_id": range(100), "split": ["train"] * 80 + ["valid"] * 10 + ["test"] * 10}
    )
    out = select_rows(table, 20)
    assert out["split"].value_counts().to_dict() == {"train": 16, "valid": 2, "test": 2}


def test_malformed_partition_names_line(tmp_path):
    (tmp_path / "p.txt").write_text("000001.jpg 0\n000002.jpg x\n")
    with pytest.raises(ZatlasError, match="line 2"):
        read_partition(tmp_path / "p.txt")


def test_attribute_columns_of_any_table_and_continuous_ones_binned():
    from zatlas.data.attributes import attribute_columns, discrete_attributes

    table = pd.DataFrame(
        {
            "image_id": [f"{i}.png" for i in range(100)],
            "split": ["train"] * 100,
            "smiling": np.tile([1, -1], 50).astype(np.int8),
            "age": np.arange(100, dtype=np.float32) * 0.7,
        }
    )
    assert attribute_columns(table) == ["smiling", "age"]
    labels = discrete_attributes(table)
    assert labels["smiling"].tolist() == table["smiling"].tolist()
    assert labels["age"].tolist() == [i // 25 for i in range(100)]  # quartiles of 0..69.3


def test_select_rows_gives_exactly_the_cap():
    """64 images split 52/6/6, capped at 48: 39/4.5/4.5 by share; rounding each gave 47."""
    table = pd.DataFrame(
        {"image_id": range(64), "split": ["train"] * 52 + ["valid"] * 6 + ["test"] * 6}
    )
    out = select_rows(table, 48)
    assert len(out) == 48
    assert out["split"].value_counts().to_dict() == {"train": 39, "valid": 5, "test": 4}
