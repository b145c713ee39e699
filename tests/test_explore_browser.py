"""The explorer in a real browser: headless Chromium (the system's) driven by Playwright.

A page built from a small synthetic fixture (no workflow needed), at a laptop's 1366 x 768
and at 1920 x 1080: a mouse move onto a known point shows that point's id, its thumbnail
cut from the right place of its sprite sheet, inside the window, and its known nearest
neighbours in z, ringed on the view; a click pins the card, the search box finds an image
and centres it; a box drag selects the known faces in every view, and the selection saved
as CSV reads back with pandas; colour by a string column gives a legend with counts. No
request leaves the page and no JavaScript error is raised. The same hover and selection
then run on the smoke run's explorer.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.explorer_driver import ExplorerPage, card_in_view, launch
from tests.test_report import _chromium_binary

N_SIDE = 20
HAIR = ["brown, curly", 'say "blond"', "black"]


def build_fixture(out: Path, images: bool = True) -> Path:
    """A 20 x 20 grid of faces with known ids: point i sits at (i % 20, i // 20) of the
    t-SNE view; the PC view shows the even points, mirrored in y. In z the faces lie on a
    line, 0.5 apart in index order, so i's neighbours are i -+ 1, i -+ 2, ..."""
    from zatlas.explore.build import write_explorer
    from zatlas.explore.neighbours import nearest_neighbours
    from zatlas.explore.points import assemble

    n = N_SIDE * N_SIDE
    pixels = np.zeros((n, 32, 32, 3), np.uint8)
    pixels[..., 0] = (np.arange(n) * 37 % 256)[:, None, None]
    pixels[..., 1] = (np.arange(n) % 16 * 16)[:, None, None]
    attrs = pd.DataFrame(
        {
            "image_id": [f"face-{i:04d}.jpg" for i in range(n)],
            "split": np.where(np.arange(n) % 10 == 0, "test", "train"),
            "Smiling": np.where(np.arange(n) % 2 == 0, 1, -1),
            "Male": np.where(np.arange(n) % 3 == 0, 1, -1),
            "age": np.where(np.arange(n) == 5, np.nan, np.arange(n) / 10),
            "hair": [HAIR[0] if i % 2 == 0 else HAIR[1 if i % 4 == 1 else 2] for i in range(n)],
        }
    )
    grid = np.stack([np.arange(n) % N_SIDE, np.arange(n) // N_SIDE], 1).astype(np.float32)
    views = {"t-SNE": (np.arange(n), grid), "PC1/PC2": (np.arange(0, n, 2), grid[::2] * [1, -1])}
    radius, cluster = np.linspace(1, 2, n), np.arange(n) % 5
    pts = assemble(views, attrs, ["Smiling", "Male"], radius, cluster, ["age"], ["hair"])
    z = np.stack([np.arange(n) * 0.5, np.zeros(n)], 1)
    pts.neighbours = nearest_neighbours(z, 4)
    write_explorer(out, pixels if images else None, {"ae": pts, "vae": pts}, 32, sheet_px=256)
    return out / "ae.html"


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # the dev extra; a skip in CI would hide a missing install step
        if os.environ.get("CI"):
            pytest.fail("the explorer's browser tests need playwright (pip install -e .[dev])")
        pytest.skip("playwright is not installed (pip install playwright)")
    binary = _chromium_binary()
    with sync_playwright() as p:
        b = launch(p, binary)
        yield b
        b.close()


@pytest.fixture(scope="module")
def fixture_page(tmp_path_factory) -> Path:
    return build_fixture(tmp_path_factory.mktemp("explore"))


@pytest.fixture
def open_page(browser):
    pages = []

    def _open(page: Path, width: int = 1366, height: int = 768) -> ExplorerPage:
        explorer = ExplorerPage(browser, page, width, height)
        pages.append(explorer)
        explorer.wait_ready()
        return explorer

    yield _open
    for explorer in pages:
        assert explorer.outside_requests() == [], "the page reached for the network"
        assert explorer.js_errors() == []
        explorer.close()


def neighbours_shown(e: ExplorerPage) -> tuple[list[str], list[str], dict]:
    """(ids, distances) listed on the card, and the overlay drawn on view 0."""
    return e.eval(
        "() => [[...document.querySelectorAll('#neighbours figure')].map(f => f.title),"
        " [...document.querySelectorAll('#neighbours figcaption')].map(c => c.textContent),"
        " zatlas.views[0].rings]"
    )


def pixel(e: ExplorerPage, view: int, i: int) -> list[int]:
    """RGBA the page drew at point i's centre on a view (after the next frame)."""
    return e.eval(
        """async ([v, i]) => {
          await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
          const V = zatlas.views[v], c = V.pointCanvas, r = c.getBoundingClientRect();
          const [x, y] = zatlas.pointOnScreen(v, i);
          return [...c.getContext('2d').getImageData(Math.floor(x - r.left),
                                                     Math.floor(y - r.top), 1, 1).data];
        }""",
        [view, i],
    )


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_hover_shows_the_face_and_its_neighbours_in_view(open_page, fixture_page, size):
    e = open_page(fixture_page, *size)
    state = e.hover(0, 7, 11, "face-0227.jpg")
    assert state["index"] == 227 and card_in_view(state), state
    assert "Male" not in state["card"] and "brown, curly" not in state["card"]
    assert "black" in state["card"] and "22.7" in state["card"]
    # slot 227 on 256-px sheets of 32-px thumbs (64 a sheet, 8 a row): sheet 3, row 4, col 3;
    # the card scales thumbnails 4x (128 px a face) and leaves out a 2-px rim
    assert state["src"] == "thumbs/sheet-0003.webp"
    assert (state["left"], state["top"], state["width"]) == ("-386px", "-514px", "1024px")
    e.page.wait_for_function(
        "() => document.querySelector('#neighbours figure') && zatlas.views[0].rings.x.length"
    )
    ids, dist, near = neighbours_shown(e)
    assert sorted(ids[:2]) == ["face-0226.jpg (click to pin)", "face-0228.jpg (click to pin)"]
    assert sorted(ids[2:]) == ["face-0225.jpg (click to pin)", "face-0229.jpg (click to pin)"]
    assert dist == ["0.500", "0.500", "1.00", "1.00"]
    # rings where the neighbours landed in 2-D: (5..9, 11) but 7, the hovered face itself
    assert sorted(near["x"]) == [5, 6, 8, 9] and near["y"] == [11] * 4
    assert near["focus"] == [7, 11]


def test_card_stays_in_view_when_the_page_scrolls(open_page, fixture_page):
    e = open_page(fixture_page, 1366, 768)
    e.page.click('#view-toggles [data-view="1"]')
    e.page.wait_for_function("() => zatlas.views[1].source")
    e.box_select(0, -0.5, -0.5, 19.5, 19.5)  # all: 300 faces in a grid under the views
    # scrolled down, the views' tops are off screen; the card is not
    e.eval("() => window.scrollTo(0, 300)")
    assert e.eval("() => window.scrollY") == 300
    state = e.hover(1, 4, -18, "face-0364.jpg")
    assert card_in_view(state), state


def test_box_selection_is_the_same_in_every_view_and_saves_as_csv(open_page, fixture_page):
    e = open_page(fixture_page, 1920, 1080)
    assert e.eval("() => zatlas.views[1].built") is None  # built when first shown
    e.page.click('#view-toggles [data-view="1"]')
    e.page.wait_for_function("() => zatlas.views[1].source")
    # the PC view mirrors y and holds the even points: x in (2.5, 6.5) -> 4, 6
    expected = sorted(y * N_SIDE + x for x in (4, 6) for y in range(4, 9))
    got = e.box_select(1, 2.5, -8.5, 6.5, -3.5)
    assert got["indices"] == expected and got["views"] == [expected, expected]
    assert (got["count"], got["grid"]) == (str(len(expected)), len(expected))
    # a box on the t-SNE: x = 3..6, y = 4..8, 20 known points, replaces it everywhere
    expected = sorted(y * N_SIDE + x for x in range(3, 7) for y in range(4, 9))
    got = e.box_select(0, 2.5, 3.5, 6.5, 8.5)
    assert got["indices"] == expected and got["views"] == [expected, expected]
    # drawn by the page: the selected faces bright (alpha 0.9), the others faded (0.08)
    assert pixel(e, 0, 83)[3] == pytest.approx(230, abs=2)
    assert pixel(e, 0, 0)[3] == pytest.approx(20, abs=2)
    ids = pd.read_csv(e.download("export-ids"))
    assert list(ids.columns) == ["image_id"]
    assert ids["image_id"].tolist() == [f"face-{i:04d}.jpg" for i in expected]
    rows = pd.read_csv(e.download("export-rows"))
    assert rows["row"].tolist() == expected and rows["Smiling"].tolist() == [
        int(i % 2 == 0) for i in expected
    ]
    assert rows["hair"].tolist() == [
        HAIR[0] if i % 2 == 0 else HAIR[1 if i % 4 == 1 else 2] for i in expected
    ]
    np.testing.assert_allclose(rows["age"], np.array(expected) / 10, atol=1e-4)
    np.testing.assert_allclose(rows["radius"], np.linspace(1, 2, 400)[expected], atol=6e-4)
    e.page.click("#clear-selection")
    assert e.selection()["views"] == [[], []]


def test_click_pins_the_card_and_search_centres_an_image(open_page, fixture_page):
    e = open_page(fixture_page, 1366, 768)
    e.hover(0, 7, 11, "face-0227.jpg")
    e.click(0, 7, 11)
    assert e.eval("() => zatlas.pinned") == 227
    sx, sy = e.screen(0, 12, 3)
    e.page.mouse.move(sx, sy)
    e.page.wait_for_function("() => zatlas.lastHover.id === 'face-0072.jpg'")
    assert e.eval("() => document.getElementById('hover-id').textContent") == "face-0227.jpg"
    e.page.fill("#search-box", "no-such-face")
    e.page.press("#search-box", "Enter")
    assert "no image no-such-face" in e.eval(
        "() => document.getElementById('search-msg').textContent"
    )
    e.page.fill("#search-box", "face-0385.jpg")
    e.page.press("#search-box", "Enter")
    e.wait_card("face-0385.jpg")
    # face 385 sits at (5, 19): now in the middle of the view
    centre = e.eval(
        "() => { const pv = Bokeh.index.find_one(zatlas.views[0].plot);"
        " const r = pv.canvas_view.el.getBoundingClientRect(), f = pv.frame.bbox;"
        " return [r.left + f.x + f.width / 2, r.top + f.y + f.height / 2]; }"
    )
    np.testing.assert_allclose(e.screen(0, 5, 19), centre, atol=1.5)
    e.page.keyboard.press("Escape")
    e.hover(0, 8, 17, "face-0348.jpg")  # let go: hovering moves the card again


def test_colour_by_a_string_column_a_number_and_a_flag(open_page, fixture_page):
    e = open_page(fixture_page, 1366, 768)
    legend = "() => document.getElementById('legend').innerText"
    entries = "() => [...document.querySelectorAll('#legend .entry')].map(e => e.textContent)"
    e.page.select_option("#color-by", "hair")
    assert e.eval(entries) == ["brown, curly 200", "black 100", 'say "blond" 100']
    c = e.eval("() => Array.from(zatlas.colouring.c)")
    assert c == [0 if i % 2 == 0 else 2 if i % 4 == 1 else 1 for i in range(400)]
    # the page draws each point in its category's colour: 0 blue, 1 orange, 2 green
    for i, rgb in ((0, (31, 119, 180)), (3, (255, 127, 14)), (5, (44, 160, 44))):
        np.testing.assert_allclose(pixel(e, 0, i), [*rgb, 179], atol=2)  # alpha 0.7
    e.page.select_option("#color-by", "age")
    assert "missing 1" in e.eval(legend) and "percentile" in e.eval(legend)
    e.page.select_option("#color-by", "Smiling")
    assert e.eval(entries) == ["no 200", "Smiling 200"]
    np.testing.assert_allclose(pixel(e, 0, 0), [214, 39, 40, 179], atol=2)
    np.testing.assert_allclose(pixel(e, 0, 1), [200, 200, 200, 179], atol=2)


def test_a_page_without_images_shows_the_metadata(open_page, tmp_path):
    e = open_page(build_fixture(tmp_path / "explore", images=False), 1366, 768)
    state = e.hover(0, 7, 11, "face-0227.jpg")
    assert state["src"] is None and "no image" in state["card"] and card_in_view(state)
    # the neighbours and the selection name their faces instead
    e.page.wait_for_function("() => document.querySelector('#neighbours figure')")
    assert "face-0226.jpg" in e.eval("() => document.getElementById('neighbours').innerText")
    assert not (tmp_path / "explore" / "thumbs").exists()


def _split_between(values: np.ndarray, low_q: float, high_q: float) -> float:
    """A coordinate in the widest gap between sorted values within a quantile range, so no
    point sits near the box's edge."""
    v = np.sort(values)
    lo, hi = int(low_q * len(v)), int(high_q * len(v))
    gaps = np.diff(v[lo:hi])
    i = lo + int(np.argmax(gaps))
    return float((v[i] + v[i + 1]) / 2)


def test_the_smoke_runs_explorer_answers_hover_and_selection(smoke_run, open_page):
    explore = smoke_run / "explore"
    summary = json.loads((explore / "summary.json").read_text())
    assert [m["model"] for m in summary["models"]] == ["ae", "vae_tiny"]
    view = summary["models"][0]["views"][0]
    assert view.startswith("t-SNE ")
    emb = pd.read_csv(smoke_run / f"analysis/ae/tsne/{view.removeprefix('t-SNE ')}.csv")
    ids = pd.read_parquet(smoke_run / "data/attributes.parquet")["image_id"].to_numpy()
    rows = np.unique(emb["index"])  # the page's point order
    xy = emb[["x", "y"]].to_numpy()
    # hover the most isolated point, so that no neighbour answers in its place
    d = np.linalg.norm(xy[:, None] - xy[None], axis=2) + np.eye(len(xy)) * 1e9
    lone = int(np.argmax(d.min(axis=1)))
    e = open_page(explore / "ae.html", 1366, 768)
    state = e.hover(0, *xy[lone], str(ids[emb["index"][lone]]))
    assert card_in_view(state)
    x0, x1 = _split_between(xy[:, 0], 0.15, 0.4), _split_between(xy[:, 0], 0.6, 0.85)
    y0, y1 = _split_between(xy[:, 1], 0.15, 0.4), _split_between(xy[:, 1], 0.6, 0.85)
    inside = (xy[:, 0] > x0) & (xy[:, 0] < x1) & (xy[:, 1] > y0) & (xy[:, 1] < y1)
    expected = sorted(np.searchsorted(rows, emb["index"][inside]).tolist())
    assert 5 < len(expected) < len(rows)
    assert e.box_select(0, x0, y0, x1, y1)["indices"] == expected
    e.page.wait_for_function("() => zatlas.nb && document.querySelector('#neighbours figure')")
    index = (explore / "index.html").read_text()
    assert 'href="ae.html"' in index and 'href="vae_tiny.html"' in index


def test_a_run_without_images_shows_its_metadata_and_ids(open_page, tmp_path):
    """data.dataset: none: items with a category and a number, one view, no neighbours;
    no thumbnails are written, the card lists the metadata, the selection names the items."""
    from zatlas.explore.build import write_explorer
    from zatlas.explore.points import assemble, classify_columns

    n = 50
    attrs = pd.DataFrame(
        {
            "image_id": [f"item{i}" for i in range(n)],
            "split": "all",
            "kind": np.where(np.arange(n) < 20, "left", "right"),
            "score": np.arange(n) * 0.5,
        }
    )
    kinds = classify_columns(attrs, ["kind", "score"])
    assert kinds == {"flags": [], "numeric": ["score"], "categorical": ["kind"]}
    grid = np.stack([np.arange(n) % 10, np.arange(n) // 10], 1).astype(np.float32)
    pts = assemble(
        {"t-SNE": (np.arange(n), grid)},
        attrs,
        kinds["flags"],
        np.ones(n),
        np.zeros(n),
        kinds["numeric"],
        kinds["categorical"],
    )
    summary = write_explorer(tmp_path / "explore", None, {"emb": pts})
    assert (summary["thumbnails"], summary["sheets"]) == (0, 0)
    assert not (tmp_path / "explore" / "thumbs").exists()
    e = open_page(tmp_path / "explore" / "emb.html", 1366, 768)
    state = e.hover(0, 7, 2, "item27")  # item 27 sits at (7, 2)
    assert state["src"] is None and "no image" in state["card"], state
    assert "right" in state["card"] and "13.5" in state["card"], state["card"]
    # the box x in (2.5, 4.5), y in (0.5, 1.5) holds items 13 and 14: the grid names them
    assert e.box_select(0, 2.5, 0.5, 4.5, 1.5)["indices"] == [13, 14]
    grid = "() => [...document.querySelectorAll('#selection-grid .thumb')].map(t => t.textContent)"
    assert e.eval(grid) == ["item13", "item14"]
