"""Drive an explorer page in headless Chromium with Playwright: the system's Chromium
(`executable_path`, no browser download), no network. Used by tests/test_explore_browser.py
and benchmarks/explore.py.
"""

from __future__ import annotations

import time
from pathlib import Path

ARGS = [
    "--no-sandbox",
    "--disable-gpu",  # software WebGL (SwiftShader), as on a machine without a GPU
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]

# the card's state once it shows `id` with its thumbnail loaded (if the page has images)
CARD = """
(id) => {
  const h = window.zatlas.shown;
  const shown = document.getElementById('hover-id');
  if (!h || h.id !== id || !shown || shown.textContent !== id) return null;
  const img = document.querySelector('#hover-thumb img');
  if (window.zatlas.meta.sprites && !(img && img.complete && img.naturalWidth > 0)) return null;
  const box = document.getElementById('hover-thumb').getBoundingClientRect();
  return {id: h.id, index: h.index, t: h.t, move: window.zatlas.lastMove,
          src: img && img.getAttribute('src'), left: img && img.style.left,
          top: img && img.style.top, width: img && img.style.width,
          natural: img && img.naturalWidth,
          face: [box.left, box.top, box.right, box.bottom],
          viewport: [window.innerWidth, window.innerHeight],
          card: document.getElementById('hover-card').innerText};
}
"""


def launch(playwright, binary: str):
    return playwright.chromium.launch(executable_path=binary, headless=True, args=ARGS)


class ExplorerPage:
    """One explorer page in its own browser context, with helpers to hover and select."""

    def __init__(self, browser, page: Path, width: int = 1400, height: int = 1000):
        self.context = browser.new_context(
            viewport={"width": width, "height": height}, accept_downloads=True
        )
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.cdp = self.context.new_cdp_session(self.page)
        self.cdp.send("Performance.enable")
        self.start = time.monotonic()
        self.page.goto(Path(page).resolve().as_uri(), wait_until="commit")
        self.ready_seconds = None

    def eval(self, expression: str, arg=None):
        return self.page.evaluate(expression, arg)

    def wait_ready(self, timeout_s: float = 180) -> float:
        self.page.wait_for_function(
            "() => { const z = window.zatlas;"
            " if (z && z.errors.length) throw new Error(z.errors[0]); return z && z.ready; }",
            timeout=timeout_s * 1000,
            polling=10,
        )
        self.ready_seconds = time.monotonic() - self.start
        return self.ready_seconds

    def busy_seconds(self) -> dict:
        """The renderer's main-thread time so far (CPU time, not wall time), by Chromium."""
        metrics = {
            m["name"]: m["value"] for m in self.cdp.send("Performance.getMetrics")["metrics"]
        }
        return {k: metrics.get(k) for k in ("TaskDuration", "ScriptDuration", "LayoutDuration")}

    def screen(self, view: int, x: float, y: float) -> tuple[float, float]:
        return tuple(self.eval(f"zatlas.toScreen({view}, {x}, {y})"))

    def hover(self, view: int, x: float, y: float, expect_id: str, timeout_ms: int = 20000):
        """Move onto data point (x, y) of `view`: the card's state once it shows `expect_id`
        (raises on timeout)."""
        sx, sy = self.screen(view, x, y)
        self.page.mouse.move(sx - 30, sy - 30)
        self.page.mouse.move(sx, sy)
        return self.wait_card(expect_id, timeout_ms)

    def wait_card(self, expect_id: str, timeout_ms: int = 20000) -> dict:
        handle = self.page.wait_for_function(CARD, arg=expect_id, timeout=timeout_ms, polling=2)
        return handle.json_value()

    def click(self, view: int, x: float, y: float) -> None:
        self.page.mouse.click(*self.screen(view, x, y))

    def box_select(self, view: int, x0: float, y0: float, x1: float, y1: float) -> dict:
        (ax, ay), (bx, by) = self.screen(view, x0, y0), self.screen(view, x1, y1)
        m = self.page.mouse
        m.move(ax, ay)
        m.down()
        m.move(bx, by, steps=8)
        m.up()
        return self.selection()

    def selection(self) -> dict:
        return self.eval(
            "() => ({count: document.getElementById('selection-count').textContent,"
            " grid: document.querySelectorAll('#selection-grid .thumb').length,"
            " indices: [...zatlas.selection].sort((a, b) => a - b),"
            " views: zatlas.views.filter(v => v.source).map("
            "   v => [...v.source.selected.indices].sort((a, b) => a - b))})"
        )

    def download(self, button: str) -> Path:
        """Click an export button; the downloaded file's path."""
        with self.page.expect_download() as info:
            self.page.click(f"#{button}")
        return Path(info.value.path())

    def outside_requests(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(("file:", "data:", "blob:"))]

    def js_errors(self) -> list[str]:
        return self.errors + self.eval("zatlas.errors")

    def close(self) -> None:
        self.context.close()


def card_in_view(state: dict) -> bool:
    left, top, right, bottom = state["face"]
    width, height = state["viewport"]
    return left >= 0 and top >= 0 and right <= width and bottom <= height and right > left
