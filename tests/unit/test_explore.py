"""The explorer's data: sprite packing, the per-point table and the written page."""

import base64
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


def test_nearest_neighbours_are_exact_and_leave_out_the_point_itself():
    from zatlas.explore.neighbours import nearest_neighbours

    # five points on a line at 0, 1, 3, 7, 7 (the last two coincide)
    x = np.array([[0.0, 0], [1, 0], [3, 0], [7, 0], [7, 0]])
    idx, dist = nearest_neighbours(x, 2)
    assert idx.dtype == np.int32 and dist.dtype == np.float32
    np.testing.assert_array_equal(idx[:3], [[1, 2], [0, 2], [1, 0]])
    np.testing.assert_allclose(dist[:3], [[1, 3], [1, 2], [2, 3]])
    # a duplicate is a neighbour at distance 0, never the point itself
    np.testing.assert_array_equal(idx[3:], [[4, 2], [3, 2]])
    np.testing.assert_allclose(dist[3:], [[0, 4], [0, 4]])
    # distances of nearly equal far-away codes are exact, not |a|^2 + |b|^2 - 2ab
    far = np.array([[1000.0, 0], [1000.001, 0], [1000.003, 0]], dtype=np.float32)
    _, d = nearest_neighbours(far, 1)
    np.testing.assert_allclose(d[:, 0], np.abs(np.diff(far[:, 0].astype(np.float64)))[[0, 0, 1]],
                               rtol=1e-6)  # fmt: skip
    assert nearest_neighbours(x[:2], 5)[0].shape == (2, 1)  # k cut to n - 1
    with pytest.raises(ZatlasError, match="at least 2 points"):
        nearest_neighbours(x[:1], 3)


def test_neighbours_script_round_trips_within_its_quantization():
    from zatlas.explore.payload import neighbours_script

    n = 70_000  # past 65,536 points: the indices need 32 bits
    rng = np.random.default_rng(1)
    p = pt.Points(np.arange(n), [], np.zeros(n, np.uint8), ["train"], np.ones(n), np.zeros(n),
                  np.zeros(n, np.uint32), np.zeros(n, np.uint32), [])  # fmt: skip
    idx = rng.integers(0, n, (n, 3)).astype(np.int32)
    dist = np.sort(rng.uniform(0, 5.0, (n, 3)), axis=1).astype(np.float32)
    p.neighbours = (idx, dist)
    text = neighbours_script("m</script>", p)
    assert text.startswith('(window.zatlasNeighbours = window.zatlasNeighbours || {})["m<')
    data = json.loads(text[text.index("= {") + 2 : -2])
    assert data["k"] == 3 and data["index"]["type"] == "Uint32Array"
    got = np.frombuffer(base64.b64decode(data["index"]["b64"]), "<u4").reshape(n, 3)
    np.testing.assert_array_equal(got, idx)
    q = np.frombuffer(base64.b64decode(data["distance"]["b64"]), "<u2").reshape(n, 3)
    np.testing.assert_allclose(q * data["scale"], dist, atol=dist.max() / 65535 / 2 + 1e-7)


def test_columns_are_sorted_into_flags_numbers_and_categories():
    frame = pd.DataFrame(
        {
            "Smiling": [1, -1, 1, -1],
            "flag": [True, False, True, True],
            "age": [20.5, 31.0, np.nan, 40.0],
            "hair": ["brown", None, "black", "brown"],
            "path": [f"img/{i}.png" for i in range(4)],
        }
    )
    kinds = pt.classify_columns(frame, list(frame.columns))
    assert kinds == {"flags": ["Smiling", "flag"], "numeric": ["age"],
                     "categorical": ["hair", "path"]}  # fmt: skip
    codes, names = pt.category_codes(frame["hair"].to_numpy())
    assert names == ["brown", "(missing)", "black"] and codes.tolist() == [0, 1, 2, 0]
    many = pd.DataFrame({"id": [str(i) for i in range(pt.MAX_CATEGORIES + 1)]})
    assert pt.classify_columns(many, ["id"])["categorical"] == []


def test_a_page_carries_string_columns_and_a_run_without_images_has_no_thumbnails(tmp_path):
    from zatlas.explore.payload import colourings

    n = 12
    attrs = pd.DataFrame({"image_id": [f"a{i}" for i in range(n)], "split": "train",
                          "hair": ["x", "y", "y"] * 4, "age": np.arange(n) * 1.0})  # fmt: skip
    xy = np.stack([np.arange(n), np.zeros(n)], 1)
    p = pt.assemble({"v": (np.arange(n), xy)}, attrs, [], np.ones(n), np.arange(n) % 3,
                    ["age"], ["hair"])  # fmt: skip
    p.neighbours = (np.zeros((n, 1), np.int32), np.ones((n, 1), np.float32))
    menu = {c["key"]: c for c in colourings(p)}
    assert menu["hair"]["names"] == ["y", "x"] and menu["hair"]["counts"] == [8, 4]
    assert menu["cluster"]["counts"] == [4, 4, 4] and menu["age"]["kind"] == "numeric"
    summary = write_explorer(tmp_path, None, {"m": p})
    assert summary["thumbnails"] == 0 and summary["sheets"] == 0
    assert not (tmp_path / "thumbs").exists() and (tmp_path / "data/m-neighbours.js").is_file()
    meta = json.loads(
        re.search(r'id="zatlas-meta">(.*?)</script>', (tmp_path / "m.html").read_text()).group(1)
    )
    assert meta["sprites"] is None and meta["neighbours_src"] == "data/m-neighbours.js"
    assert meta["category_names"] == [["y", "x"]]


@pytest.mark.parametrize("with_images", [True, False])
def test_the_stage_writes_pages_with_neighbours_and_string_columns(tmp_path, with_images):
    from zatlas.stages import explore as stage

    n, rng = 60, np.random.default_rng(0)
    pd.DataFrame(
        {
            "image_id": [f"{i:03d}.png" for i in range(n)],
            "split": "train",
            "Smiling": rng.choice([-1, 1], n),
            "hair": rng.choice(["dark", "fair"], n),
            "age": rng.uniform(20, 60, n),
        }
    ).to_parquet(tmp_path / "attributes.parquet")
    z = rng.normal(size=(n, 4)).astype(np.float32)
    np.save(tmp_path / "z.npy", z)
    np.save(tmp_path / "images.npy", rng.integers(0, 255, (n, 8, 8, 3), dtype=np.uint8))
    shown = np.arange(0, n, 2)
    pd.DataFrame({"index": shown, "x": z[shown, 0], "y": z[shown, 1]}).to_csv(
        tmp_path / "emb.csv", index=False
    )
    out = tmp_path / "explore"
    stage.run(
        attributes=tmp_path / "attributes.parquet",
        z=[tmp_path / "z.npy"],
        embeddings=[tmp_path / "emb.csv"],
        index=out / "index.html",
        pages=[out / "m.html"],
        summary=out / "summary.json",
        models=["m"],
        variants=["v"],
        planes=[[1, 2]],
        k=3,
        kmeans_points=100,
        max_points=100,
        thumb=8,
        sheet_px=256,
        quality=90,
        seed=0,
        neighbours=2,
        images=tmp_path / "images.npy" if with_images else None,
    )
    summary = json.loads((out / "summary.json").read_text())
    assert summary["thumbnails"] == (30 if with_images else 0)
    meta = json.loads(
        re.search(r'id="zatlas-meta">(.*?)</script>', (out / "m.html").read_text())[1]
    )
    assert meta["views"] == ["t-SNE v", "PC1/PC2"] and meta["n"] == 30
    assert (meta["attribute_names"], meta["numeric_names"]) == (["Smiling"], ["age"])
    assert meta["categorical_names"] == ["hair"] and meta["neighbours"] == 2
    script = (out / "data/m-neighbours.js").read_text()
    data = json.loads(script[script.index("= {") + 2 : -2])
    # the neighbours are those of the shown faces' codes, as indices into the page's points
    idx = np.frombuffer(base64.b64decode(data["index"]["b64"]), "<u2").reshape(30, 2)
    d = np.linalg.norm(z[shown][:, None] - z[shown][None], axis=2) + np.eye(30) * 1e9
    np.testing.assert_array_equal(idx[:, 0], d.argmin(axis=1))
