"""The explorer at CelebA's size: page size on disk, time to the first hover, hover latency.

Builds one explorer for 202,599 synthetic 96x96 faces with two pages on the same sprite
sheets: a 165,000-point t-SNE-like embedding (planted clusters) plus a PC plane, and a
20,000-point subset of it; then opens each page in headless Chromium (Playwright driving
the system's Chromium, software WebGL) and reports, per page:

- the folder's size on disk, thumbnails and neighbours included (goal: under 80 MB);
- the time from navigation to the first hover answer, thumbnail loaded (goal: under 5 s at
  165,000 points, under 2 s at 20,000), with the CPU time behind it: the renderer's main
  thread (Chromium's own TaskDuration) and every browser process together;
- hover latency: from the pointer event to the updated card, and to its thumbnail on
  screen, over many points all over the plot (goal: under 100 ms).

    python benchmarks/explore.py                    # the full size (several minutes)
    python benchmarks/explore.py --n-points 20000 --subset 5000   # a quick run

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


def points_of(rows, views, attrs, radius, cluster, z, cache: Path):
    from zatlas.data.attributes import CELEBA_ATTRIBUTES
    from zatlas.explore.neighbours import nearest_neighbours
    from zatlas.explore.points import assemble

    points = assemble(views, attrs, list(CELEBA_ATTRIBUTES), radius, cluster)
    start, cpu = time.perf_counter(), time.process_time()
    if cache.is_file():  # --reuse: the neighbours found by an earlier run on the same faces
        with np.load(cache) as saved:
            points.neighbours = (saved["index"], saved["distance"])
        return points, None
    points.neighbours = nearest_neighbours(z[rows], 8, n_jobs=2)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, index=points.neighbours[0], distance=points.neighbours[1])
    return points, (time.perf_counter() - start, time.process_time() - cpu)


def build(out: Path, args) -> tuple[dict, dict]:
    """The explorer in `out`; its summary and each page's (model, first view's xy)."""
    import pandas as pd

    from zatlas.data.attributes import CELEBA_ATTRIBUTES
    from zatlas.explore.build import write_explorer
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
    radius = rng.normal(16, 1, n)
    cluster = rng.integers(0, 40, n)
    # latents: the planted layout in 16 dimensions, so neighbours in z are mostly near in 2-D
    z = np.zeros((n, 16), np.float32)
    z[rows, :2] = tsne / 10
    z += rng.normal(size=z.shape).astype(np.float32) * 0.3
    # kept beside the explorer (not in it: its size is measured), for --reuse
    cache = out.with_name(out.name + "-knn")
    if not args.reuse:
        shutil.rmtree(cache, ignore_errors=True)
    views = {"t-SNE (planted)": (rows, tsne), "PC1/PC2": (rows, pc)}
    big, knn_big = points_of(rows, views, attrs, radius, cluster, z, cache / f"{len(rows)}.npz")
    keep = np.sort(rng.choice(len(rows), min(args.subset, len(rows)), replace=False))
    views = {"t-SNE (planted)": (rows[keep], tsne[keep]), "PC1/PC2": (rows[keep], pc[keep])}
    small, knn_small = points_of(
        rows[keep], views, attrs, radius, cluster, z, cache / f"{len(keep)}.npz"
    )
    sprites = None
    if args.reuse and (out / "thumbs").is_dir():  # the pages only, on the sheets already there
        per_row, per_sheet = sheet_layout(len(rows), args.thumb, 1024)
        files = tuple(f"thumbs/{p.name}" for p in sorted((out / "thumbs").glob("*.webp")))
        sprites = SpriteLayout(args.thumb, per_row, per_sheet, len(rows), files)
    start = time.perf_counter()
    pages = {f"ae-{len(rows)}": big, f"ae-{len(keep)}": small}
    summary = write_explorer(
        out, images, pages, thumb=args.thumb, quality=args.quality, sprites=sprites
    )
    summary["build_seconds"] = time.perf_counter() - start
    summary["knn_seconds"] = {len(rows): knn_big, len(keep): knn_small}
    return summary, {m: (len(p), p.views["t-SNE (planted)"]) for m, p in pages.items()}


# the card's answer to the latest hover, once its thumbnail is loaded
HOVER_ANY = """
() => {
  const z = window.zatlas, h = z.shown;
  const img = document.querySelector('#hover-thumb img');
  if (!h || !(img && img.complete && img.naturalWidth > 0)) return null;
  return {id: h.id, card_ms: h.t - z.lastMove, shown_ms: performance.now() - z.lastMove};
}
"""


WATCH = (
    "() => { zatlas.hovered = -1; zatlas.shown = null; window.zatlasProbe = null;"
    " const t0 = performance.now(), answer = " + HOVER_ANY.strip() + ";"
    " (function poll() { const r = answer();"
    "   if (r || performance.now() - t0 > 10000) window.zatlasProbe = r || {timeout: true};"
    "   else setTimeout(poll, 1); })(); }"
)


def browser_cpu() -> dict[int, float]:
    """CPU seconds (user + system) so far of every Chromium process under this one, by pid
    (a page's renderer is new with the page; the ones of closed pages are gone)."""
    import psutil

    out = {}
    for proc in psutil.Process().children(recursive=True):
        try:
            if "chrom" in proc.name():
                t = proc.cpu_times()
                out[proc.pid] = t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return out


def cpu_since(before: dict[int, float]) -> float:
    return sum(t - before.get(pid, 0.0) for pid, t in browser_cpu().items())


def browse(browser, page: Path, xy: np.ndarray, n_hovers: int, seed: int) -> dict:
    from tests.explorer_driver import ExplorerPage

    cpu0 = browser_cpu()
    explorer = ExplorerPage(browser, page, 1366, 768)
    try:
        ready = explorer.wait_ready()
        rng = np.random.default_rng(seed)
        picks = rng.choice(len(xy), n_hovers + 1, replace=False)
        hovers, first = [], None
        for p in picks:
            # forget the last answer and start watching in the page (a poll from here would
            # add a round trip), then one pointer event onto the point
            explorer.eval(WATCH)
            explorer.page.mouse.move(*explorer.screen(0, *xy[p]))
            state = explorer.page.wait_for_function("() => window.zatlasProbe").json_value()
            if not state.get("timeout"):  # else a point hidden under another: no new answer
                hovers.append(state)
            if first is None:
                first = time.monotonic() - explorer.start
                busy = explorer.busy_seconds()
                cpu = cpu_since(cpu0)
                timing = explorer.eval("zatlas.timing")
        outside, errors = explorer.outside_requests(), explorer.js_errors()
    finally:
        explorer.close()
    card = sorted(h["card_ms"] for h in hovers[1:]) or [float("nan")]
    shown = sorted(h["shown_ms"] for h in hovers[1:]) or [float("nan")]
    return {
        "ready_s": ready,
        "timing": timing,
        "first_hover_s": first,
        "main_thread_s": busy["TaskDuration"],
        "browser_cpu_s": cpu,
        "hovers_answered": f"{len(hovers)}/{len(picks)}",
        "card_ms": (statistics.median(card), card[int(0.95 * (len(card) - 1))]),
        "thumbnail_ms": (statistics.median(shown), shown[int(0.95 * (len(shown) - 1))]),
        "network_requests": outside,
        "js_errors": len(errors),
    }


def report(model: str, n: int, runs: list[dict]) -> None:
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0] if k.endswith("_s")}
    goal = 5 if n > 50_000 else 2
    each = ", ".join(f"{r['first_hover_s']:.2f}" for r in runs)
    print(
        f"{n:,} points ({model}), median of {len(runs)}: first hover {med['first_hover_s']:.2f} s "
        f"wall (goal < {goal}; each run: {each}); "
        f"CPU: renderer main thread {med['main_thread_s']:.2f} s, all browser processes "
        f"{med['browser_cpu_s']:.2f} s"
    )
    t = runs[-1]["timing"]
    print(
        f"  page clock (last run): our scripts start {t['script_start'] / 1000:.2f} s, columns "
        f"decoded {t['parsed'] / 1000:.2f} s, first view built {t['embedded'] / 1000:.2f} s, "
        f"drawn {t['ready'] / 1000:.2f} s; a paint of the points takes {t['paint_ms']:.0f} ms "
        "(each pan or zoom step)"
    )
    card = [r["card_ms"] for r in runs]
    thumb = [r["thumbnail_ms"] for r in runs]
    print(
        f"  hover latency ({runs[-1]['hovers_answered']} answered): card "
        f"{statistics.median(c[0] for c in card):.1f} ms median / "
        f"{statistics.median(c[1] for c in card):.1f} ms p95; thumbnail shown "
        f"{statistics.median(c[0] for c in thumb):.1f} ms / "
        f"{statistics.median(c[1] for c in thumb):.1f} ms; network requests: "
        f"{sum(len(r['network_requests']) for r in runs)}; JS errors: "
        f"{sum(r['js_errors'] for r in runs)}"
    )


def main() -> None:
    from playwright.sync_api import sync_playwright

    from tests.explorer_driver import launch
    from tests.test_report import _chromium_binary

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n-images", type=int, default=202_599)
    ap.add_argument("--n-points", type=int, default=165_000)
    ap.add_argument("--subset", type=int, default=20_000, help="points of the second page")
    ap.add_argument("--thumb", type=int, default=32, help="thumbnail side in pixels")
    ap.add_argument("--quality", type=int, default=75, help="WebP quality of the sheets")
    ap.add_argument("--pool", type=int, default=1000, help="distinct synthetic faces drawn")
    ap.add_argument("--hovers", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=3, help="page loads per page")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, help="keep the explorer here (default: a temp dir)")
    ap.add_argument(
        "--reuse",
        action="store_true",
        help="rebuild the pages only, on the sheets in --out and the neighbours of a run before",
    )
    args = ap.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="zatlas-explore-"))
    try:
        summary, pages = build(out, args)
        if not args.out:
            shutil.rmtree(out.with_name(out.name + "-knn"), ignore_errors=True)
        sizes = {p.name: p.stat().st_size / 1e6 for p in out.glob("*.html")}
        data = sum(p.stat().st_size for p in (out / "data").iterdir()) / 1e6
        knn = ", ".join(
            f"{n:,} points " + (f"{s[0]:.1f} s wall, {s[1]:.1f} s CPU" if s else "reused")
            for n, s in summary["knn_seconds"].items()
        )
        print(
            f"built {summary['thumbnails']:,} thumbnails ({args.thumb} px) in "
            f"{summary['sheets']} sheets and the pages in {summary['build_seconds']:.1f} s; "
            f"k-NN (k = 8): {knn}"
        )
        print(
            f"size on disk: {summary['bytes'] / 1e6:.1f} MB (goal < 80): sprites "
            f"{summary['sprite_bytes'] / 1e6:.1f} MB, pages "
            f"{', '.join(f'{k} {v:.1f} MB' for k, v in sizes.items())}, neighbours {data:.1f} MB, "
            f"scripts {sum(p.stat().st_size for p in (out / 'static').iterdir()) / 1e6:.1f} MB"
        )
        with sync_playwright() as p:
            browser = launch(p, _chromium_binary())
            try:
                for model, (n, xy) in sorted(pages.items(), key=lambda kv: kv[1][0]):
                    runs = [
                        browse(browser, out / f"{model}.html", xy, args.hovers, args.seed + r)
                        for r in range(args.repeat)
                    ]
                    report(model, n, runs)
            finally:
                browser.close()
    finally:
        if not args.out:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
