"""The smoke run's report in a real browser (headless Chromium), and Snakemake's own report.

Chromium is driven through the DevTools protocol over a pipe (--remote-debugging-pipe), so
no driver package and no network port are needed. Debian's `chromium` is installed with
apt-get when missing; the test skips, saying why, only where that is impossible (and fails
in CI, where a skip would hide a missing install step).
"""

import base64
import fcntl
import io
import json
import os
import re
import select
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import snakemake

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
    "--remote-debugging-pipe",
]
WIDTH, HEIGHT = 1280, 900

# Waits for every image, then reads what the test checks from the live DOM.
PAGE_STATE = """
(async () => {
  const imgs = [...document.images];
  await Promise.all(imgs.map(i => i.complete ? null :
      new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); })));
  const decoded = await Promise.all(imgs.map(i => i.decode().then(() => true, () => false)));
  const summary = document.querySelector('#summary-table table');
  return {
    images: imgs.map((i, n) => ({alt: i.alt, complete: i.complete, decoded: decoded[n],
                                 w: i.naturalWidth, h: i.naturalHeight})),
    links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),
    sources: [...document.querySelectorAll('[src]')].map(e => e.getAttribute('src').slice(0, 40)),
    ids: [...document.querySelectorAll('[id]')].map(e => e.id),
    captions: [...document.querySelectorAll('figure.group')].map(
        f => (f.querySelector(':scope > figcaption') || {innerText: ''}).innerText.trim()),
    summary: summary ? [...summary.rows].map(r => [...r.cells].map(c => c.innerText)) : [],
    height: document.documentElement.scrollHeight,
  };
})()
"""


def _chromium_binary() -> str:
    """Debian's chromium, installed with apt-get if missing; skip only if that cannot be."""
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None
    )
    if found:
        return found
    why = None
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        why = "chromium is not installed and apt-get cannot run here (not root or no apt-get)"
    else:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        steps = (
            ["apt-get", "update", "-qq"],
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"],
        )
        for cmd in steps:
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
            if proc.returncode != 0:
                why = f"`{' '.join(cmd)}` failed: {(proc.stderr or proc.stdout)[-500:]}"
                break
        found = shutil.which("chromium")
        if not why and not found:
            why = "apt-get installed chromium but no `chromium` is on PATH"
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"headless Chromium is required in CI: {why}")
        pytest.skip(f"headless Chromium unavailable: {why}")
    return found


def _high_fd(fd: int) -> int:
    high = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return high


class DevTools:
    """A minimal DevTools-protocol client over Chromium's pipe (fd 3 in, fd 4 out)."""

    def __init__(self, binary: str, user_data_dir: Path):
        to_browser, self._out = os.pipe()
        self._in, from_browser = os.pipe()
        # move the browser's ends above fd 9, clear of the 3 and 4 they are put on
        to_browser, from_browser = (_high_fd(fd) for fd in (to_browser, from_browser))
        # bash puts the pipe ends on fds 3 and 4 of the browser, then closes the originals
        script = (
            f'exec "$0" "$@" 3<&{to_browser} 4>&{from_browser} {to_browser}<&- {from_browser}>&-'
        )
        self.proc = subprocess.Popen(
            ["bash", "-c", script, binary, *FLAGS, f"--user-data-dir={user_data_dir}"],
            pass_fds=(to_browser, from_browser),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        os.close(to_browser)
        os.close(from_browser)
        self._buf = b""
        self._id = 0
        self.events: list[dict] = []

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace")[-2000:] if left > 0 else ""
                raise TimeoutError(f"no answer from Chromium (exit {self.proc.poll()}): {err}")
            if select.select([self._in], [], [], min(left, 1.0))[0]:
                chunk = os.read(self._in, 1 << 20)
                if not chunk:
                    raise ConnectionError("Chromium closed the DevTools pipe")
                self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method: str, params=None, session: str | None = None, timeout=60.0):
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._out, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._read(deadline)
            if answer.get("id") == self._id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def wait_for(self, method: str, session: str, timeout=60.0) -> dict:
        deadline = time.monotonic() + timeout
        for i, e in enumerate(self.events):
            if e.get("method") == method and e.get("sessionId") == session:
                return self.events.pop(i)
        while True:
            e = self._read(deadline)
            if e.get("method") == method and e.get("sessionId") == session:
                return e
            self.events.append(e)

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=10)
        except (OSError, RuntimeError, TimeoutError, ConnectionError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._in, self._out):
            os.close(fd)
        self.proc.stderr.close()


@pytest.fixture(scope="module")
def chromium() -> str:
    return _chromium_binary()


def render(binary: str, page: Path, profile: Path, screenshot: Path) -> dict:
    """Open `page`, wait for its load event, read the DOM's state and take a screenshot."""
    tools = DevTools(binary, profile)
    try:
        target = tools.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        sid = tools.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Network", "Runtime"):
            tools.send(f"{domain}.enable", session=sid)
        tools.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False},
            session=sid,
        )
        start = time.monotonic()
        nav = tools.send("Page.navigate", {"url": page.resolve().as_uri()}, session=sid)
        assert "errorText" not in nav, nav
        tools.wait_for("Page.loadEventFired", sid, timeout=120)
        load_seconds = time.monotonic() - start
        state = tools.send(
            "Runtime.evaluate",
            {"expression": PAGE_STATE, "awaitPromise": True, "returnByValue": True},
            session=sid,
            timeout=120,
        )
        assert "exceptionDetails" not in state, state
        shot = tools.send("Page.captureScreenshot", {"format": "png"}, session=sid)
        screenshot.write_bytes(base64.b64decode(shot["data"]))
        requests = [
            e["params"]["request"]["url"]
            for e in tools.events
            if e.get("method") == "Network.requestWillBeSent"
        ]
        errors = [e for e in tools.events if e.get("method") == "Runtime.exceptionThrown"]
    finally:
        tools.close()
    return {
        **state["result"]["value"],
        "load_seconds": load_seconds,
        "requests": requests,
        "errors": errors,
    }


def test_report_renders_in_headless_chromium(smoke_run, chromium, tmp_path):
    index = smoke_run / "report" / "index.html"
    shot = tmp_path / "report.png"
    state = render(chromium, index, tmp_path / "profile", shot)

    # every figure of the run is on the page, and every <img> loaded
    figures = [p for p in smoke_run.glob("**/*.png") if "report" not in p.parts]
    assert len(state["images"]) == len(figures) > 20
    loaded = [i["complete"] and i["decoded"] and i["w"] > 0 for i in state["images"]]
    broken = [i["alt"] for i, ok in zip(state["images"], loaded, strict=True) if not ok]
    assert not broken, f"images that did not load: {broken}"
    assert all(i["h"] > 0 for i in state["images"])

    # no broken link: anchors exist on the page, relative links name existing files
    ids = set(state["ids"])
    assert len(ids) == len(state["ids"]), "duplicate ids"
    assert {"summary", "provenance"} <= ids
    for href in state["links"]:
        assert not re.match(r"^[a-zA-Z][a-zA-Z+.-]*:", href), f"link needs a network: {href}"
        if href.startswith("#"):
            assert href[1:] in ids, f"in-page anchor missing: {href}"
        else:
            assert (index.parent / href).resolve().is_file(), f"broken link: {href}"
    # nothing was fetched from a network: the page, and embedded data only
    assert all(u.startswith(("file:", "data:")) for u in state["requests"]), state["requests"]
    assert all(s.startswith("data:image/png;base64,") for s in state["sources"])
    assert not state["errors"]

    # one non-empty caption under every row of figures
    assert state["captions"] and all(len(c) > 40 for c in state["captions"])

    # the summary shows the numbers the stages wrote, one column per model
    head, *rows = state["summary"]
    assert head[0] == "quantity" and sorted(head[1:]) == ["ae", "vae_tiny"]
    table = {r[0]: dict(zip(head[1:], r[1:], strict=True)) for r in rows}
    for model in ("ae", "vae_tiny"):
        radius = json.loads((smoke_run / f"analysis/{model}/radius/summary.json").read_text())
        assert float(table["radius_peak"][model]) == pytest.approx(radius["peak"], rel=1e-3)
        assert float(table["sqrt_z_dim"][model]) == pytest.approx(
            radius["gaussian_expectation"], 1e-3
        )
        inertia = json.loads((smoke_run / f"analysis/{model}/kmeans/summary.json").read_text())
        assert int(table["elbow_k"][model]) == inertia["elbow_k"]
    vae = json.loads((smoke_run / "analysis/vae_tiny/vae_stats/stats.json").read_text())
    assert float(table["logvar_mean"]["vae_tiny"]) == pytest.approx(vae["logvar_mean"], 1e-3)
    assert table["logvar_mean"]["ae"] == "–"

    # the screenshot is a rendered viewport, not a blank page; the page loads in seconds
    with Image.open(io.BytesIO(shot.read_bytes())) as im:
        assert im.size == (WIDTH, HEIGHT)
        assert len(im.convert("RGB").getcolors(WIDTH * HEIGHT)) > 20
    assert state["load_seconds"] < 20
    assert state["height"] > HEIGHT


def test_snakemake_report_zip_has_every_report_figure(smoke_run, tmp_path):
    work = smoke_run.parent.parent
    out = tmp_path / "snakemake-report.zip"
    proc = snakemake(work, work / "tiny.yaml", "--report", str(out))
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        pngs = {Path(n).name for n in names if n.endswith(".png")}
        main = next(n for n in names if n.endswith("report.html"))
        page = z.read(main).decode()
    expected = {p.name for p in smoke_run.glob("**/*.png") if "report" not in p.parts}
    assert expected <= pngs, expected - pngs
    # captions rendered without reStructuredText errors
    assert "System Message" not in page and "Undefined substitution" not in page
