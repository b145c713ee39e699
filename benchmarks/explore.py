"""The explorer at CelebA's size: page size on disk, time to the first hover, hover latency.

Builds the explorer for 202,599 synthetic 96x96 faces (thumbnails for the 165,000 that the
embedding shows) with a 165,000-point t-SNE-like embedding (planted clusters) and a PC
plane, then opens it in headless Chromium and reports:

- the folder's size on disk, thumbnails included (goal: under 80 MB);
- the time from navigation to the first hover answer, thumbnail loaded (goal: under 5 s);
- hover latency: from the mouse event to the updated card, and to its thumbnail on screen,
  over many points all over the plot (goal: under 100 ms).

    python benchmarks/explore.py                    # the full size (a few minutes)
    python benchmarks/explore.py --n-points 20000   # a quick run

The faces are drawn by the project's synthetic-face generator: a pool of distinct faces,
each reused with its own brightness and noise so no two thumbnails are equal. Real faces
carry more detail and compress less well; the thumbnail bytes scale with --thumb squared.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


class SyntheticFaces:
    """(n, 96, 96, 3) uint8 faces, made on demand for whatever rows are asked for."""

    def __init__(self, n: int, size: int, pool: int, seed: int):
        from zatlas.data.synthetic import draw_face

        rng = np.random.default_rng(seed)
        faces = []
        for _ in range(pool):
            im, _ = draw_face(rng)
            w, h = im.size
            faces.append(
                np.asarray(im.crop((0, (h - w) // 2, w, (h + w) // 2)).resize((size, size)))
            )
        self.pool = np.stack(faces).astype(np.int16)
        self.shape = (n, size, size, 3)
        self.seed = seed

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, rows) -> np.ndarray:
        rows = np.asarray(rows)
        rng = np.random.default_rng([self.seed, int(rows[0]) if len(rows) else 0])
        out = self.pool[rows % len(self.pool)]
        out = (
            out
            + rng.integers(-25, 26, (len(rows), 1, 1, 3))
            + rng.integers(-6, 7, out.shape, dtype=np.int16)
        )
        return np.clip(out, 0, 255).astype(np.uint8)


def planted_embedding(n: int, rng: np.random.Generator) -> np.ndarray:
    """t-SNE-like: 60 blobs of varied size and spread, plus a thin filament."""
    centres = rng.uniform(-80, 80, (60, 2))
    labels = rng.integers(0, len(centres), n)
    xy = centres[labels] + rng.normal(size=(n, 2)) * rng.uniform(1, 6, len(centres))[labels, None]
    k = n // 20
    t = rng.uniform(-1, 1, k)
    xy[:k] = np.stack([t * 90, 20 * np.sin(3 * t)], 1) + rng.normal(size=(k, 2)) * 0.8
    return xy.astype(np.float32)


def build(out: Path, args) -> tuple[dict, np.ndarray]:
    import pandas as pd

    from zatlas.data.attributes import CELEBA_ATTRIBUTES
    from zatlas.explore.build import write_explorer
    from zatlas.explore.points import assemble
    from zatlas.explore.sprites import SpriteLayout, sheet_layout

    rng = np.random.default_rng(args.seed)
    n = args.n_images
    images = SyntheticFaces(n, 96, args.pool, args.seed)
    attrs = pd.DataFrame(rng.integers(0, 2, (n, len(CELEBA_ATTRIBUTES))), columns=CELEBA_ATTRIBUTES)
    attrs.insert(0, "image_id", [f"{i + 1:06d}.jpg" for i in range(n)])
    attrs.insert(1, "split", rng.choice(["train", "valid", "test"], n, p=[0.8, 0.1, 0.1]))
    rows = np.sort(rng.choice(n, min(args.n_points, n), replace=False))
    tsne = planted_embedding(len(rows), rng)
    pc = rng.normal(size=(len(rows), 2)).astype(np.float32) * [3.0, 2.0]
    views = {"t-SNE (planted)": (rows, tsne), "PC1/PC2": (rows, pc)}
    radius = rng.normal(16, 1, n)
    cluster = rng.integers(0, 40, n)
    points = assemble(views, attrs, list(CELEBA_ATTRIBUTES), radius, cluster)
    sprites = None
    if args.reuse and (out / "thumbs").is_dir():  # the page only, on the sheets already there
        per_row, per_sheet = sheet_layout(len(points), args.thumb, 1024)
        files = tuple(f"thumbs/{p.name}" for p in sorted((out / "thumbs").glob("*.webp")))
        sprites = SpriteLayout(args.thumb, per_row, per_sheet, len(points), files)
    start = time.perf_counter()
    summary = write_explorer(
        out, images, {"ae": points}, thumb=args.thumb, quality=args.quality, sprites=sprites
    )
    summary["build_seconds"] = time.perf_counter() - start
    return summary, tsne


HOVER_ANY = """
new Promise((resolve) => {
  const t0 = performance.now();
  (function poll() {
    const h = window.zatlas.lastHover;
    const img = document.querySelector('#hover-thumb img');
    if (h && img && img.complete && img.naturalWidth > 0 &&
        document.getElementById('hover-id').textContent === h.id) {
      return resolve({id: h.id, card_ms: h.t - window.zatlas.lastMove,
                      shown_ms: performance.now() - window.zatlas.lastMove});
    }
    if (performance.now() - t0 > 10000) return resolve({timeout: true});
    setTimeout(poll, 1);
  })();
})
"""


def browse(page: Path, tsne: np.ndarray, n_hovers: int, seed: int) -> dict:
    from tests.test_explore_browser import ExplorerPage, _chromium_binary

    profile = Path(tempfile.mkdtemp(prefix="zatlas-explore-profile-"))
    explorer = ExplorerPage(_chromium_binary(), page, profile)
    try:
        ready = explorer.wait_ready()
        timing = explorer.eval("zatlas.timing")
        rng = np.random.default_rng(seed)
        picks = rng.choice(len(tsne), n_hovers + 1, replace=False)
        hovers = []
        for i, p in enumerate(picks):
            explorer.eval("window.zatlas.lastHover = null; window.zatlas.hovered = -1")
            sx, sy = explorer.screen(0, *tsne[p])
            explorer.mouse("mouseMoved", sx - 1, sy)
            explorer.mouse("mouseMoved", sx, sy)
            state = explorer.eval(HOVER_ANY)
            if i == 0:
                first = time.monotonic() - explorer.start
            if not state.get("timeout"):
                hovers.append(state)
        requests, errors = explorer.network_and_errors()
    finally:
        explorer.close()
        shutil.rmtree(profile, ignore_errors=True)
    card = sorted(h["card_ms"] for h in hovers[1:])
    shown = sorted(h["shown_ms"] for h in hovers[1:])
    return {
        "ready_s": ready,
        "timing": timing,
        "first_hover_s": first,
        "hovers_answered": f"{len(hovers)}/{len(picks)}",
        "card_ms_median": statistics.median(card),
        "card_ms_p95": card[int(0.95 * (len(card) - 1))],
        "thumbnail_ms_median": statistics.median(shown),
        "thumbnail_ms_p95": shown[int(0.95 * (len(shown) - 1))],
        "network_requests": [u for u in requests if not u.startswith(("file:", "data:"))],
        "js_errors": len(errors),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n-images", type=int, default=202_599)
    ap.add_argument("--n-points", type=int, default=165_000)
    ap.add_argument("--thumb", type=int, default=32, help="thumbnail side in pixels")
    ap.add_argument("--quality", type=int, default=75, help="WebP quality of the sheets")
    ap.add_argument("--pool", type=int, default=1000, help="distinct synthetic faces drawn")
    ap.add_argument("--hovers", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, help="keep the explorer here (default: a temp dir)")
    ap.add_argument(
        "--reuse", action="store_true", help="rebuild the page only, on the sheets in --out"
    )
    args = ap.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="zatlas-explore-"))
    try:
        summary, tsne = build(out, args)
        mb = summary["bytes"] / 1e6
        page_mb = (out / "ae.html").stat().st_size / 1e6
        print(
            f"built {summary['thumbnails']:,} thumbnails ({args.thumb} px) in "
            f"{summary['sheets']} sheets, {summary['build_seconds']:.1f} s"
        )
        print(
            f"size on disk: {mb:.1f} MB (goal < 80): page {page_mb:.1f} MB, "
            f"sprites {summary['sprite_bytes'] / 1e6:.1f} MB, scripts "
            f"{sum(p.stat().st_size for p in (out / 'static').iterdir()) / 1e6:.1f} MB"
        )
        b = browse(out / "ae.html", tsne, args.hovers, args.seed)
        t = b["timing"]
        print(
            f"page ready: {b['ready_s']:.2f} s (in the page: our script starts at "
            f"{t['script_start'] / 1000:.2f} s, data parsed {t['parsed'] / 1000:.2f} s, "
            f"Bokeh views built {t['embedded'] / 1000:.2f} s, drawn {t['ready'] / 1000:.2f} s); "
            f"first hover answered: {b['first_hover_s']:.2f} s"
        )
        print(
            f"hover latency over {b['hovers_answered']} hovers: card {b['card_ms_median']:.1f} ms "
            f"median / {b['card_ms_p95']:.1f} ms p95; thumbnail shown "
            f"{b['thumbnail_ms_median']:.1f} ms median / {b['thumbnail_ms_p95']:.1f} ms p95"
        )
        print(f"network requests: {b['network_requests'] or 'none'}; JS errors: {b['js_errors']}")
    finally:
        if not args.out:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
