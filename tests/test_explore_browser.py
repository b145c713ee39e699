"""The explorer in a real browser (headless Chromium over the DevTools protocol).

A page built from a small synthetic fixture (no workflow needed): a synthesized mouse move
onto a known point shows that point's id and a loaded thumbnail cut from the right place of
its sprite sheet; a box drag over a known rectangle selects the known faces, in every view;
nothing is requested from a network; no JavaScript error. The same checks then run on the
smoke run's explorer. `benchmarks/explore.py` drives the page through `ExplorerPage` too.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.test_report import DevTools, _chromium_binary

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--window-size=1400,1000",
    "--remote-debugging-pipe",
]
WIDTH, HEIGHT = 1400, 1000

WAIT_READY = """
new Promise((resolve, reject) => {
  const t0 = performance.now();
  (function poll() {
    if (window.zatlas && window.zatlas.ready) return resolve(performance.now());
    if (window.zatlas && window.zatlas.errors.length) return reject(window.zatlas.errors[0]);
    if (performance.now() - t0 > 120000) return reject('explorer not ready after 120 s');
    setTimeout(poll, 10);
  })();
})
"""

WAIT_HOVER = """
new Promise((resolve, reject) => {
  const t0 = performance.now();
  (function poll() {
    const h = window.zatlas.lastHover;
    const img = document.querySelector('#hover-thumb img');
    if (h && h.id === %s && img && img.complete && img.naturalWidth > 0) {
      return resolve({id: h.id, index: h.index, t: h.t, move: window.zatlas.lastMove,
                      shown: document.getElementById('hover-id').textContent,
                      src: img.getAttribute('src'), left: img.style.left, top: img.style.top,
                      width: img.style.width, natural: img.naturalWidth,
                      card: document.getElementById('hover-info').innerText});
    }
    if (performance.now() - t0 > %d) return resolve({timeout: true, last: h});
    setTimeout(poll, 2);
  })();
})
"""


class Chromium(DevTools):
    """The report test's DevTools client, started with this test's flags."""

    def __init__(self, binary: str, user_data_dir: Path):
        import tests.test_report as base

        saved, base.FLAGS = base.FLAGS, FLAGS
        try:
            super().__init__(binary, user_data_dir)
        finally:
            base.FLAGS = saved


class ExplorerPage:
    """One explorer page open in headless Chromium, with helpers to hover and select."""

    def __init__(self, binary: str, page: Path, profile: Path):
        self.tools = Chromium(binary, profile)
        t = self.tools
        target = t.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.sid = t.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Network", "Runtime", "Log"):
            t.send(f"{domain}.enable", session=self.sid)
        t.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False},
            session=self.sid,
        )
        self.start = time.monotonic()
        nav = t.send("Page.navigate", {"url": page.resolve().as_uri()}, session=self.sid)
        assert "errorText" not in nav, nav
        self.ready_seconds = None

    def eval(self, expression: str, timeout: float = 120.0):
        out = self.tools.send(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
            session=self.sid,
            timeout=timeout,
        )
        assert "exceptionDetails" not in out, out["exceptionDetails"]
        return out["result"].get("value")

    def wait_ready(self) -> float:
        self.eval(WAIT_READY, timeout=180)
        self.ready_seconds = time.monotonic() - self.start
        return self.ready_seconds

    def screen(self, view: int, x: float, y: float) -> tuple[float, float]:
        return tuple(self.eval(f"zatlas.toScreen({view}, {x}, {y})"))

    def mouse(self, kind: str, x: float, y: float, buttons: int = 0, button: str = "none"):
        self.tools.send(
            "Input.dispatchMouseEvent",
            {"type": kind, "x": x, "y": y, "buttons": buttons, "button": button,
             "clickCount": 1 if kind != "mouseMoved" else 0},
            session=self.sid,
        )  # fmt: skip

    def hover(self, view: int, x: float, y: float, expect_id: str, timeout_ms: int = 20000):
        """Move onto data point (x, y) of `view`; the hover card's state once it shows
        `expect_id` with its thumbnail loaded (or {"timeout": True})."""
        sx, sy = self.screen(view, x, y)
        self.mouse("mouseMoved", sx - 30, sy - 30)
        self.mouse("mouseMoved", sx, sy)
        return self.eval(WAIT_HOVER % (json.dumps(expect_id), timeout_ms))

    def box_select(self, view: int, x0: float, y0: float, x1: float, y1: float) -> dict:
        (ax, ay), (bx, by) = self.screen(view, x0, y0), self.screen(view, x1, y1)
        self.mouse("mouseMoved", ax, ay)
        self.mouse("mousePressed", ax, ay, buttons=1, button="left")
        for f in np.linspace(0.1, 1.0, 8):
            self.mouse("mouseMoved", ax + f * (bx - ax), ay + f * (by - ay), buttons=1)
        self.mouse("mouseReleased", bx, by, button="left")
        return self.eval(
            "({count: document.getElementById('selection-count').textContent,"
            " grid: document.querySelectorAll('#selection-grid .thumb').length,"
            " indices: [...zatlas.source.selected.indices].sort((a, b) => a - b)})"
        )

    def network_and_errors(self) -> tuple[list[str], list]:
        events = self.tools.events
        requests = [
            e["params"]["request"]["url"]
            for e in events
            if e.get("method") == "Network.requestWillBeSent"
        ]
        errors = [e for e in events if e.get("method") == "Runtime.exceptionThrown"]
        errors += [
            e
            for e in events
            if e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error"
        ]
        errors += [
            e
            for e in events
            if e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] == "error"
        ]
        return requests, errors + self.eval("zatlas.errors")

    def close(self) -> None:
        self.tools.close()


# -- the fixture: a 20 x 20 grid of faces with known ids, two views -------------------------

N_SIDE = 20


def build_fixture(out: Path) -> Path:
    from zatlas.explore.build import write_explorer
    from zatlas.explore.points import assemble

    n = N_SIDE * N_SIDE
    images = np.zeros((n, 32, 32, 3), np.uint8)
    images[..., 0] = (np.arange(n) * 37 % 256)[:, None, None]
    images[..., 1] = (np.arange(n) % 16 * 16)[:, None, None]
    attrs = pd.DataFrame(
        {
            "image_id": [f"face-{i:04d}.jpg" for i in range(n)],
            "split": np.where(np.arange(n) % 10 == 0, "test", "train"),
            "Smiling": np.where(np.arange(n) % 2 == 0, 1, -1),
            "Male": np.where(np.arange(n) % 3 == 0, 1, -1),
        }
    )
    # point i sits at (i % 20, i // 20); the PC view shows the even points, mirrored in y
    grid = np.stack([np.arange(n) % N_SIDE, np.arange(n) // N_SIDE], 1).astype(np.float32)
    views = {"t-SNE": (np.arange(n), grid), "PC1/PC2": (np.arange(0, n, 2), grid[::2] * [1, -1])}
    pts = assemble(views, attrs, ["Smiling", "Male"], np.linspace(1, 2, n), np.arange(n) % 5)
    write_explorer(out, images, {"ae": pts, "vae": pts}, thumb=32, sheet_px=256)
    return out / "ae.html"


@pytest.fixture(scope="module")
def chromium() -> str:
    return _chromium_binary()


@pytest.fixture(scope="module")
def synthetic_page(tmp_path_factory) -> Path:
    """The synthetic explorer, built once for the tests that only read it."""
    return build_fixture(tmp_path_factory.mktemp("explore"))


def check_page(binary: str, page: Path, profile: Path, hover, box, expected: list[int]):
    """Hover `hover` = (view, x, y, id) and drag `box` = (view, x0, y0, x1, y1) on `page`;
    the selection must be exactly `expected`. Returns the hover state for more checks."""
    explorer = ExplorerPage(binary, page, profile)
    try:
        explorer.wait_ready()
        state = explorer.hover(*hover[:3], expect_id=hover[3])
        assert not state.get("timeout"), f"no hover answer for {hover}: {state}"
        assert state["shown"] == hover[3]
        selected = explorer.box_select(*box)
        requests, errors = explorer.network_and_errors()
    finally:
        explorer.close()
    assert selected["indices"] == expected
    assert selected["count"] == str(len(expected))
    assert selected["grid"] == min(len(expected), 300)
    assert requests and all(u.startswith(("file:", "data:")) for u in requests), requests
    assert not errors, errors
    return state


def test_hover_and_box_selection_on_a_synthetic_explorer(chromium, synthetic_page, tmp_path):
    page = synthetic_page
    # the box x in (2.5, 6.5), y in (3.5, 8.5) holds x = 3..6, y = 4..8: 20 known points
    expected = sorted(y * N_SIDE + x for x in range(3, 7) for y in range(4, 9))
    state = check_page(
        chromium,
        page,
        tmp_path / "profile",
        hover=(0, 7, 11, "face-0227.jpg"),
        box=(0, 2.5, 3.5, 6.5, 8.5),
        expected=expected,
    )
    assert state["index"] == 227 and "Male" not in state["card"] and "test" not in state["card"]
    # slot 227 on 256-px sheets of 32-px thumbs (64 a sheet, 8 a row): sheet 3, row 4, col 3;
    # the card scales thumbnails 4x (128 px a face) and leaves out a 2-px rim
    assert state["src"] == "thumbs/sheet-0003.webp"
    assert (state["left"], state["top"], state["width"]) == ("-386px", "-514px", "1024px")
    assert state["natural"] == 256


def test_selection_on_the_pc_plane_selects_the_same_faces_on_the_tsne(
    chromium, synthetic_page, tmp_path
):
    page = synthetic_page
    # the PC view mirrors y and holds the even points: x in (2.5, 6.5) -> 4, 6
    expected = sorted(y * N_SIDE + x for x in (4, 6) for y in range(4, 9))
    check_page(
        chromium,
        page,
        tmp_path / "profile",
        hover=(1, 4, -10, "face-0204.jpg"),
        box=(1, 2.5, -8.5, 6.5, -3.5),
        expected=expected,
    )


def _split_between(values: np.ndarray, low_q: float, high_q: float) -> float:
    """A coordinate in the widest gap between sorted values within a quantile range, so no
    point sits near the box's edge."""
    v = np.sort(values)
    lo, hi = int(low_q * len(v)), int(high_q * len(v))
    gaps = np.diff(v[lo:hi])
    i = lo + int(np.argmax(gaps))
    return float((v[i] + v[i + 1]) / 2)


def test_the_smoke_runs_explorer_answers_hover_and_selection(smoke_run, chromium, tmp_path):
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
    hover = (0, *xy[lone], str(ids[emb["index"][lone]]))
    x0, x1 = _split_between(xy[:, 0], 0.15, 0.4), _split_between(xy[:, 0], 0.6, 0.85)
    y0, y1 = _split_between(xy[:, 1], 0.15, 0.4), _split_between(xy[:, 1], 0.6, 0.85)
    inside = (xy[:, 0] > x0) & (xy[:, 0] < x1) & (xy[:, 1] > y0) & (xy[:, 1] < y1)
    expected = sorted(np.searchsorted(rows, emb["index"][inside]).tolist())
    assert 5 < len(expected) < len(rows)
    check_page(
        chromium, explore / "ae.html", tmp_path / "profile", hover, (0, x0, y0, x1, y1), expected
    )
    # the index page links every model's page
    index = (explore / "index.html").read_text()
    assert 'href="ae.html"' in index and 'href="vae_tiny.html"' in index


def test_a_run_without_images_shows_metadata_in_the_card(chromium, tmp_path):
    """data.dataset: none: no thumbnails are written; the hover card lists the metadata."""
    from zatlas.explore.build import write_explorer
    from zatlas.explore.points import assemble

    n = 50
    attrs = pd.DataFrame(
        {
            "image_id": [f"item{i}" for i in range(n)],
            "split": "all",
            "kind": np.where(np.arange(n) < 20, "left", "right"),
            "score": np.arange(n) * 0.5,
        }
    )
    grid = np.stack([np.arange(n) % 10, np.arange(n) // 10], 1).astype(np.float32)
    pts = assemble(
        {"t-SNE": (np.arange(n), grid)}, attrs, [], np.ones(n), np.zeros(n), ("kind", "score")
    )
    summary = write_explorer(tmp_path / "explore", None, {"emb": pts})
    assert summary["thumbnails"] == n and summary["sheets"] == 0
    assert not (tmp_path / "explore" / "thumbs").exists()
    page = ExplorerPage(chromium, tmp_path / "explore" / "emb.html", tmp_path / "profile")
    try:
        page.wait_ready()
        card = page.eval(
            "window.zatlas.hover({index: {indices: [27]}});"
            "document.getElementById('hover-info').innerText"
        )
        grid_text = page.eval(
            "window.zatlas.select({indices: [3, 27]});"
            "document.getElementById('selection-grid').innerText"
        )
        _, errors = page.network_and_errors()
    finally:
        page.close()
    assert "item27" in card and "right" in card and "13.5" in card, card
    assert "item3" in grid_text and "item27" in grid_text
    assert not errors, errors
