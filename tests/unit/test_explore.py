"""The explorer's data: sprite packing, the per-point table and the written page."""

import json
import re

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from zatlas.errors import ZatlasError
from zatlas.explore import points as pt
from zatlas.explore import sprites as sp
from zatlas.explore.build import write_explorer


def test_downscale_is_a_block_mean():
    img = np.zeros((1, 4, 4, 3), np.uint8)
    img[0, :2, :2] = [0, 100, 200]
    img[0, :2, 2:] = 40
    img[0, 1, 3] = 80  # one pixel of the top-right block
    out = sp.downscale(img, 2)
    assert out.shape == (1, 2, 2, 3) and out.dtype == np.uint8
    np.testing.assert_array_equal(out[0, 0, 0], [0, 100, 200])
    np.testing.assert_array_equal(out[0, 0, 1], [50, 50, 50])
    np.testing.assert_array_equal(out[0, 1], 0)
    assert sp.downscale(np.zeros((2, 9, 9, 3), np.uint8), 4).shape == (2, 4, 4, 3)


def test_sprite_sheets_put_each_thumbnail_where_locate_says(tmp_path):
    # 70 faces of distinct flat colours on 4-per-row, 16-per-sheet sheets: 5 sheets
    n = 70
    colours = np.stack([np.arange(n) * 3, 255 - np.arange(n) * 3, (np.arange(n) % 2) * 200], 1)
    images = np.broadcast_to(colours[:, None, None, :], (n, 16, 16, 3)).astype(np.uint8)
    rows = np.arange(0, n, 1)[::-1].copy()  # slot i holds image rows[i]
    layout = sp.write_sprite_sheets(images, rows, tmp_path, thumb=8, sheet_px=32, quality=90)
    assert (layout.per_row, layout.per_sheet, layout.n) == (4, 16, 70)
    assert layout.files == tuple(f"thumbs/sheet-{s:04d}.webp" for s in range(5))
    assert layout.locate(21) == (1, 8, 8)
    for slot in (0, 5, 21, 69):
        sheet, x, y = layout.locate(slot)
        with Image.open(tmp_path / layout.files[sheet]) as im:
            block = np.asarray(im.convert("RGB"))[y + 2 : y + 6, x + 2 : x + 6]
        np.testing.assert_allclose(block.mean((0, 1)), colours[rows[slot]], atol=8)
    with Image.open(tmp_path / layout.files[-1]) as im:
        assert im.size == (32, 16)  # 6 thumbnails left: two rows


def test_assemble_aligns_views_packs_attributes_and_codes_splits():
    attrs = pd.DataFrame(
        {
            "image_id": [f"{i:06d}.jpg" for i in range(6)],
            "split": ["train", "test", "valid", "train", "train", "test"],
            "A": [1, -1, 1, -1, 1, -1],
            "B": [-1, -1, 1, 1, -1, 1],
        }
    )
    views = {
        "tsne": (np.array([4, 1, 3]), np.array([[4.0, 40], [1, 10], [3, 30]])),
        "pc": (np.array([1, 5]), np.array([[-1.0, -10], [-5, -50]])),
    }
    p = pt.assemble(views, attrs, ["A", "B"], radius=np.arange(6) * 1.5, cluster=np.arange(6))
    np.testing.assert_array_equal(p.rows, [1, 3, 4, 5])
    assert p.ids == ["000001.jpg", "000003.jpg", "000004.jpg", "000005.jpg"]
    np.testing.assert_array_equal(p.views["tsne"][:3], [[1, 10], [3, 30], [4, 40]])
    assert np.isnan(p.views["tsne"][3]).all()
    assert np.isnan(p.views["pc"][1:3]).all()
    np.testing.assert_array_equal(p.views["pc"][[0, 3]], [[-1, -10], [-5, -50]])
    # bit 0 = A, bit 1 = B
    np.testing.assert_array_equal(p.attr_lo, [0, 2, 1, 2])
    assert p.split_names == ["train", "valid", "test"]
    np.testing.assert_array_equal(p.split, [2, 0, 0, 2])
    np.testing.assert_allclose(p.radius, [1.5, 4.5, 6.0, 7.5])


def test_attribute_bits_use_both_words_beyond_32():
    names = [f"a{j}" for j in range(40)]
    frame = pd.DataFrame({n: [1 if j in (0, 31, 32, 39) else 0] for j, n in enumerate(names)})
    lo, hi = pt.attribute_bits(frame, names)
    assert int(lo[0]) == (1 << 0) | (1 << 31) and int(hi[0]) == (1 << 0) | (1 << 7)
    with pytest.raises(ZatlasError, match="at most 64"):
        pt.attribute_bits(pd.DataFrame({f"a{j}": [1] for j in range(65)}), list(range(65)))


def test_written_explorer_is_self_contained(tmp_path):
    n = 30
    images = np.full((n, 8, 8, 3), 128, np.uint8)
    attrs = pd.DataFrame(
        {"image_id": [f"x</script>{i}" for i in range(n)], "split": "train", "A": 1}
    )
    xy = np.random.default_rng(0).normal(size=(n, 2))
    pts = pt.assemble({"v": (np.arange(n), xy)}, attrs, ["A"], np.ones(n), np.zeros(n))
    few = pt.assemble({"v": (np.arange(0, n, 3), xy[::3])}, attrs, ["A"], np.ones(n), np.zeros(n))
    summary = write_explorer(tmp_path, images, {"m1": pts, "m2": few}, thumb=8, sheet_px=32)
    assert summary["thumbnails"] == n and summary["sheets"] == 2
    page = (tmp_path / "m1.html").read_text()
    # every script, stylesheet and image it names is a relative file inside the folder
    refs = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert refs and not [r for r in refs if re.match(r"^[a-z]+:|^/", r)]
    assert all((tmp_path / r).is_file() for r in refs), refs
    assert "https://" not in page and "http://" not in page
    # the ids survive the trip through a <script> element
    meta = re.search(r'id="zatlas-meta">(.*?)</script>', page).group(1)
    data = json.loads(meta)
    assert data["ids"][3] == "x</script>3" and data["n"] == n
    assert data["sprites"]["files"] == ["thumbs/sheet-0000.webp", "thumbs/sheet-0001.webp"]
    index = (tmp_path / "index.html").read_text()
    assert 'href="m1.html"' in index and 'href="m2.html"' in index and "10 faces" in index


def test_celeba_ids_travel_as_a_rule_and_other_ids_as_a_list():
    from zatlas.explore.page import id_scheme

    frame = pd.DataFrame({"image_id": [f"{i + 1:06d}.jpg" for i in range(9)], "split": "train"})
    views = {"v": (np.array([2, 5, 8]), np.zeros((3, 2)))}
    p = pt.assemble(views, frame, [], np.ones(9), np.zeros(9))
    assert id_scheme(p) == {"ids": None, "id_format": "celeba"}
    frame.loc[5, "image_id"] = "odd.png"
    p = pt.assemble(views, frame, [], np.ones(9), np.zeros(9))
    assert id_scheme(p)["ids"] == ["000003.jpg", "odd.png", "000009.jpg"]
