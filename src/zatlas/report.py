"""results/<run>/report/index.html: every figure and table of a run, models side by side."""

from __future__ import annotations

import base64
import html
import json
import platform
import subprocess
from collections import defaultdict
from importlib import metadata
from pathlib import Path

import pandas as pd
import yaml

TOPICS = {
    "training": "Training",
    "radius": "Number density vs radius",
    "axes": "Number density along the axes",
    "pca": "PCA",
    "tsne": "t-SNE",
    "inertia": "k-means inertia",
    "vae_stats": "VAE statistics",
    "samples": "Images from random z-points",
    "compare": "AE vs VAE",
}
PACKAGES = (
    "tensorflow",
    "keras",
    "numpy",
    "scikit-learn",
    "openTSNE",
    "pandas",
    "matplotlib",
    "snakemake",
)
MAX_TABLE_ROWS = 30

STYLE = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1400px;padding:0 1em;color:#222}
h1{border-bottom:2px solid #444} h2{margin-top:2em;border-bottom:1px solid #aaa}
.row{display:flex;flex-wrap:wrap;gap:1.5em;align-items:flex-start}
.cell{flex:1 1 420px;min-width:320px} figure{margin:0 0 1em 0}
img{max-width:100%;height:auto;border:1px solid #ddd}
figcaption,.caption{font-size:.88em;color:#444}
table{border-collapse:collapse;font-size:.8em;margin:.5em 0}
td,th{border:1px solid #ccc;padding:2px 6px;text-align:right} th{background:#f3f3f3}
pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:.8em}
"""


def read_caption(captions_dir: str | Path, topic: str) -> str:
    """The Snakemake report caption (.rst) doubles as this page's caption."""
    path = Path(captions_dir) / f"{topic}.rst"
    return path.read_text().strip() if path.exists() else ""


def classify(path: str) -> tuple[str, str]:
    """(topic, model) from a results path such as results/r/analysis/ae/radius/radius.png."""
    parts = Path(path).parts
    if "analysis" in parts:
        i = parts.index("analysis")
        return parts[i + 2], parts[i + 1]
    if "models" in parts:
        i = parts.index("models")
        return "training", parts[i + 1]
    if "compare" in parts:
        return "compare", "all models"
    return "data", ""


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(path.name)}" loading="lazy">'


def _table(frame: pd.DataFrame, link: str | None = None) -> str:
    shown = frame.head(MAX_TABLE_ROWS)
    body = shown.to_html(index=False, float_format=lambda v: f"{v:.4g}", border=0)
    more = ""
    if len(frame) > MAX_TABLE_ROWS:
        more = f"<div class='caption'>first {MAX_TABLE_ROWS} of {len(frame)} rows"
        more += f" (<a href='{link}'>full table</a>)</div>" if link else "</div>"
    return body + more


def _json_table(data: dict) -> pd.DataFrame:
    flat = {k: v for k, v in data.items() if not isinstance(v, list | dict)}
    for k, v in data.items():
        if k == "shells":
            for s in v:
                flat[f"fraction in [{s['low']:g}, {s['high']:g}]"] = s["fraction"]
    return pd.DataFrame({"quantity": list(flat), "value": [str(v) for v in flat.values()]})


def render_file(path: Path, out_dir: Path) -> str:
    rel = Path(_relpath(path, out_dir)).as_posix()
    if path.suffix == ".png":
        return f"<figure>{_img(path)}<figcaption>{html.escape(path.name)}</figcaption></figure>"
    if path.suffix == ".csv":
        return f"<div><b>{html.escape(path.name)}</b>{_table(pd.read_csv(path), rel)}</div>"
    if path.suffix == ".json":
        data = json.loads(path.read_text())
        return f"<div><b>{html.escape(path.name)}</b>{_table(_json_table(data))}</div>"
    return ""


def _relpath(path: Path, start: Path) -> str:
    import os

    return os.path.relpath(path.resolve(), start.resolve())


def summary_rows(inputs: list[Path]) -> pd.DataFrame | None:
    for p in inputs:
        if p.name == "compare.csv":
            return pd.read_csv(p)
    return None


def provenance(config: dict, benchmarks: list[str]) -> dict:
    versions = {"python": platform.python_version()}
    for pkg in PACKAGES:
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "not installed"
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        )
    except (OSError, subprocess.CalledProcessError):
        commit, dirty = "unknown (not a git checkout)", None
    rows = []
    for b in benchmarks:
        p = Path(b)
        if p.exists():
            t = pd.read_csv(p, sep="\t")
            rows.append(
                {
                    "rule": p.parent.name,
                    "job": p.stem,
                    "seconds": float(t["s"].iloc[-1]),
                    "max_rss_mb": float(t["max_rss"].iloc[-1]) if "max_rss" in t else None,
                }
            )
    return {
        "versions": versions,
        "git_commit": commit,
        "git_dirty": dirty,
        "benchmarks": pd.DataFrame(rows),
    }


def build_report(
    config: dict, inputs: list[str], captions_dir: str, benchmarks: list[str], out_html: str
) -> None:
    out = Path(out_html)
    out.parent.mkdir(parents=True, exist_ok=True)
    paths = [Path(p) for p in inputs]
    grouped: dict[str, dict[str, list[Path]]] = defaultdict(lambda: defaultdict(list))
    for p in paths:
        topic, model = classify(str(p))
        grouped[topic][model].append(p)

    run = html.escape(config["run"])
    parts = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>zatlas: {run}</title>"
        f"<style>{STYLE}</style></head><body>",
        f"<h1>zatlas report — run <code>{run}</code></h1>",
    ]
    summary = summary_rows(paths)
    parts.append("<h2 id='summary'>Summary</h2>")
    if summary is not None:
        parts.append(_table(summary))
    parts.append(
        "<p class='caption'>" + html.escape(read_caption(captions_dir, "summary")) + "</p>"
    )
    for data_file in grouped.get("data", {}).get("", []):
        parts.append(render_file(data_file, out.parent))

    for topic, title in TOPICS.items():
        if topic not in grouped:
            continue
        parts.append(f"<h2 id='{topic}'>{html.escape(title)}</h2>")
        parts.append(f"<p class='caption'>{html.escape(read_caption(captions_dir, topic))}</p>")
        parts.append("<div class='row'>")
        for model, files in grouped[topic].items():
            parts.append(f"<div class='cell'><h3>{html.escape(model)}</h3>")
            for f in sorted(files, key=lambda p: (p.suffix != ".png", p.name)):
                parts.append(render_file(f, out.parent))
            parts.append("</div>")
        parts.append("</div>")

    prov = provenance(config, benchmarks)
    parts.append("<h2 id='provenance'>Provenance</h2>")
    parts.append(
        f"<p>git commit <code>{html.escape(prov['git_commit'])}</code>"
        f"{' (uncommitted changes)' if prov['git_dirty'] else ''}</p>"
    )
    parts.append(
        _table(
            pd.DataFrame(
                {"package": list(prov["versions"]), "version": list(prov["versions"].values())}
            )
        )
    )
    if not prov["benchmarks"].empty:
        parts.append("<h3>Runtime and peak memory per job</h3>")
        parts.append(prov["benchmarks"].to_html(index=False, float_format=lambda v: f"{v:.1f}"))
    parts.append(
        "<h3>Resolved config</h3><pre>"
        + html.escape(yaml.safe_dump(config, sort_keys=False))
        + "</pre>"
    )
    parts.append("</body></html>")
    out.write_text("\n".join(parts), encoding="utf-8")
