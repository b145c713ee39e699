"""results/<run>/report/index.html: the study on one page, models side by side.

The page is self-contained: every figure is embedded (large scatter plots as compact
palette PNGs), every table rendered, so it opens anywhere without a network. Links point
to in-page anchors and, relatively, to the full-size figures and full tables of the run.
Numbers come from the CSV/JSON files the stages wrote, never from pixels.

Captions are the reStructuredText files of workflow/report/, the ones Snakemake's own report
shows: ``<topic>-<figure>.rst`` for one figure, else ``<topic>.rst``.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import os
import platform
import re
import subprocess
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import pandas as pd
import yaml

# Sections in page order; topics found in the inputs but not listed here follow "samples".
TOPICS = {
    "data": "Data",
    "training": "Training curves",
    "radius": "Number density vs radius",
    "axes": "Number density along the axes",
    "pca": "PCA",
    "tsne": "t-SNE",
    "inertia": "k-means inertia",
    "vae_stats": "VAE statistics",
    "samples": "Images from random z-points",
    "structure": "Structure against a matched-Gaussian null",
    "intrinsic_dim": "Intrinsic dimension and active units",
    "sampling": "Sampling strategies: how on-manifold are the samples?",
    "attributes": "k-means clusters against CelebA attributes",
    "compare": "All models side by side",
}
# (distribution name, module to import) for the provenance table.
PACKAGES = (
    ("tensorflow", "tensorflow"),
    ("keras", "keras"),
    ("numpy", "numpy"),
    ("scikit-learn", "sklearn"),
    ("openTSNE", "openTSNE"),
    ("snakemake", "snakemake"),
    ("pandas", "pandas"),
    ("matplotlib", "matplotlib"),
)
# Rules in DAG order, for the runtime table; others follow alphabetically.
RULE_ORDER = (
    "acquire",
    "prepare",
    "train",
    "encode",
    "radius",
    "axes",
    "pca",
    "tsne",
    "inertia",
    "vae_stats",
    "samples",
    "structure",
    "intrinsic_dim",
    "sampling",
    "attributes",
    "kl_sweep",
    "compare",
)
# Long tables shown as a link only: their figure shows them better. So are CSVs above
# LINK_ONLY_BYTES or LINK_ONLY_ROWS (the data behind a figure, e.g. a t-SNE embedding).
LINK_ONLY = {
    ("training", "history.csv"),
    ("radius", "density.csv"),
    ("axes", "table.csv"),
    ("inertia", "sweep.csv"),
}
LINK_ONLY_BYTES = 64_000
LINK_ONLY_ROWS = 60
MAX_TABLE_ROWS = 15
# Figures above this size are re-encoded as 256-colour palette PNGs (scatters shrink ~3x,
# with no visible change); decoded face images are never re-encoded.
COMPACT_MIN_BYTES = 100_000
NO_COMPACT_TOPICS = {"samples", "sampling"}

STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1500px;padding:0 1em;
color:#222;line-height:1.35}
h1{border-bottom:2px solid #444;margin-bottom:.2em} h2{margin-top:2em;border-bottom:1px solid #aaa}
h3{margin:.6em 0 .3em 0;font-size:1em}
nav{font-size:.9em;margin:.6em 0 1em 0} nav a{margin-right:.9em}
.meta{color:#555;font-size:.9em}
.row{display:flex;flex-wrap:wrap;gap:1.2em;align-items:flex-start}
.cell{flex:1 1 360px;min-width:300px;max-width:760px;margin:0}
.scroll{overflow-x:auto;max-width:100%}
figure.group{margin:0 0 1.8em 0;padding-top:.6em;border-top:1px dashed #ccc}
figure.group>figcaption{margin-top:.5em;max-width:75em}
img{max-width:100%;height:auto;border:1px solid #ddd;display:block}
figcaption,.caption{font-size:.88em;color:#444} .caption p{margin:.3em 0}
table{border-collapse:collapse;font-size:.8em;margin:.4em 0}
td,th{border:1px solid #ccc;padding:2px 6px;text-align:right;vertical-align:top}
th{background:#f3f3f3} td.text,th.text{text-align:left}
pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:.8em}
ul.findings li{margin:.25em 0}
.missing{color:#999}
"""


@dataclass(frozen=True)
class Artifact:
    """One file of the run: its topic (section), model (column) and kind (figure/table)."""

    path: Path
    topic: str
    model: str

    @property
    def stem(self) -> str:
        return self.path.stem

    @property
    def suffix(self) -> str:
        return self.path.suffix.lower()


# -- reading the run ----------------------------------------------------------------------


def classify(path: str | Path) -> tuple[str, str]:
    """(topic, model) from a results path such as results/r/analysis/ae/radius/radius.png."""
    parts = Path(path).parts
    if "analysis" in parts and len(parts) > parts.index("analysis") + 3:
        i = parts.index("analysis")
        return parts[i + 2], parts[i + 1]
    if "models" in parts and len(parts) > parts.index("models") + 2:
        return "training", parts[parts.index("models") + 1]
    if "compare" in parts:
        return "compare", "all models"
    return "data", ""


def artifacts(paths: list[str | Path]) -> list[Artifact]:
    out, seen = [], set()
    for p in paths:
        p = Path(p)
        if p.suffix.lower() in (".png", ".csv", ".json") and p not in seen:
            seen.add(p)
            out.append(Artifact(p, *classify(p)))
    return out


def _read_json(path: Path) -> dict:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}


def _find(arts: list[Artifact], topic: str, model: str, name: str) -> Path | None:
    for a in arts:
        if a.topic == topic and a.model == model and a.path.name == name:
            return a.path
    return None


def models_in(arts: list[Artifact], config: dict) -> list[str]:
    """The config's models first (in its order), then any other model found in the files."""
    names = list(config.get("models", {}))
    for a in arts:
        if a.model and a.model != "all models" and a.model not in names:
            names.append(a.model)
    return names


def model_label(config: dict, model: str) -> str:
    spec = config.get("models", {}).get(model)
    if not spec:
        return model
    if spec.get("type") == "vae":
        return f"{model} (VAE, kl_factor {spec.get('kl_factor', 1.0):g})"
    return f"{model} ({spec.get('type', '').upper()})"


# -- the summary of findings --------------------------------------------------------------


def _fmt(value, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def summary_table(arts: list[Artifact], config: dict) -> pd.DataFrame:
    """One row per model with the study's headline numbers; absent analyses leave NaN."""
    z_dim = config.get("architecture", {}).get("z_dim")
    rows = []
    for model in models_in(arts, config):
        spec = config.get("models", {}).get(model, {})
        row: dict = {"model": model, "type": spec.get("type", "")}
        row["kl_factor"] = spec.get("kl_factor") if spec.get("type") == "vae" else None
        radius = _find(arts, "radius", model, "summary.json")
        if radius:
            rs = _read_json(radius)
            sqrt_z = rs.get("gaussian_expectation") or (math.sqrt(z_dim) if z_dim else None)
            row["radius_peak"] = rs.get("peak")
            row["sqrt_z_dim"] = sqrt_z
            if rs.get("peak") is not None and sqrt_z:
                row["peak_over_sqrt_z_dim"] = rs["peak"] / sqrt_z
            row["radius_mean"] = rs.get("mean")
            row["radius_std"] = rs.get("std")
        dominant = _find(arts, "axes", model, "dominant.csv")
        if dominant:
            dom = pd.read_csv(dominant)
            row["n_dominant_axes"] = len(dom)
            row["dominant_axes"] = (
                ", ".join(
                    f"{int(r['axis'])} (centre {r['center']:.2f}, FWHM {r['fwhm']:.2f})"
                    for _, r in dom.head(5).iterrows()
                )
                or "none"
            )
        inertia = _find(arts, "inertia", model, "summary.json")
        if inertia:
            row["elbow_k"] = _read_json(inertia).get("elbow_k")
        vae = _find(arts, "vae_stats", model, "stats.json")
        if vae:
            vs = _read_json(vae)
            row["logvar_mean"] = vs.get("logvar_mean")
            row["abs_z_minus_mu_max"] = vs.get("abs_z_minus_mu_max")
        dims = _find(arts, "intrinsic_dim", model, "summary.json")
        if dims:
            ds = _read_json(dims)
            for key, value in ds.items():
                if key.lower().startswith("twonn") and key.endswith(("_data", "_null")):
                    row[f"intrinsic_dim_{key.lower()}"] = value
            row["active_units"] = ds.get("active_units")
        train = _find(arts, "training", model, "train.json")
        if train:
            final = _read_json(train).get("final", {})
            row["val_reco_loss"] = final.get("val_reco_loss")
        rows.append(row)
    frame = pd.DataFrame(rows)
    verdicts = headline_verdicts(structure_verdicts(arts))
    if verdicts is not None and "verdict" in verdicts and "model" in verdicts and not frame.empty:
        joined = verdicts.groupby("model")["verdict"].agg(
            lambda v: "; ".join(dict.fromkeys(map(str, v)))
        )
        frame["structure_verdict"] = frame["model"].map(joined)
    return frame


def summary_by_quantity(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary with one row per quantity and one column per model (side by side)."""
    shown = summary.dropna(axis=1, how="all").set_index("model")
    out = pd.DataFrame({m: [_fmt(v) for v in shown.loc[m]] for m in shown.index})
    out.insert(0, "quantity", list(shown.columns))
    return out


def headline_verdicts(verdicts: pd.DataFrame | None) -> pd.DataFrame | None:
    """The `overall` rows of a verdict table when it has them, else the whole table."""
    if verdicts is None or "statistic" not in verdicts:
        return verdicts
    overall = verdicts[verdicts["statistic"] == "overall"]
    return verdicts if overall.empty else overall.reset_index(drop=True)


def structure_verdicts(arts: list[Artifact]) -> pd.DataFrame | None:
    """Every verdict table of the structure analyses (files named *verdict*), or None."""
    frames = []
    for a in arts:
        if "verdict" not in a.path.name.lower() or not a.path.exists():
            continue
        if a.suffix == ".csv":
            t = pd.read_csv(a.path)
        elif a.suffix == ".json":
            data = _read_json(a.path)
            records = data if isinstance(data, list) else data.get("verdicts", [data])
            t = pd.DataFrame([_flatten(r) for r in records if isinstance(r, dict)])
        else:
            continue
        if t.empty:
            continue
        if "model" not in t and a.model not in ("", "all models"):
            t.insert(0, "model", a.model)
        frames.append(t)
    return pd.concat(frames, ignore_index=True) if frames else None


def findings(summary: pd.DataFrame) -> list[str]:
    """One sentence per model with its numbers (HTML-escaped)."""
    out = []
    for _, r in summary.iterrows():
        bits = []
        if pd.notna(r.get("radius_peak")):
            text = f"z-points peak at radius {r['radius_peak']:.3g}"
            if pd.notna(r.get("peak_over_sqrt_z_dim")):
                text += f", {r['peak_over_sqrt_z_dim']:.2f} × √z_dim = {r['sqrt_z_dim']:.3g}"
            bits.append(text)
        if pd.notna(r.get("n_dominant_axes")):
            n = int(r["n_dominant_axes"])
            axes = re.findall(r"(\d+) \(centre", str(r.get("dominant_axes", "")))
            listed = ": " + ", ".join(axes) + (", …" if n > len(axes) else "") if n else ""
            bits.append(f"{n} dominant ax{'is' if n == 1 else 'es'}{listed}")
        if pd.notna(r.get("logvar_mean")):
            bits.append(f"mean logvar {r['logvar_mean']:.3g}")
        if pd.notna(r.get("abs_z_minus_mu_max")):
            bits.append(f"max |z − mu| {r['abs_z_minus_mu_max']:.3g}")
        if pd.notna(r.get("elbow_k")):
            bits.append(f"k-means elbow at k = {int(r['elbow_k'])}")
        if isinstance(r.get("structure_verdict"), str):
            bits.append(f"structure vs null: {r['structure_verdict']}")
        if bits:
            out.append(f"<b>{html.escape(r['model'])}</b>: " + html.escape("; ".join(bits)) + ".")
    return out


# -- provenance ---------------------------------------------------------------------------


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for dist, _module in PACKAGES:
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    return versions


def git_state(repo: str | Path | None) -> tuple[str, bool | None]:
    """(commit, dirty) of the workflow's checkout; dirty ignores untracked files."""
    cmd = ["git"] + (["-C", str(repo)] if repo else [])
    try:
        commit = subprocess.run(
            [*cmd, "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            [*cmd, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)", None
    return commit, bool(status.strip())


def _flatten(data: dict, prefix: str = "") -> dict:
    """Nested dicts as dotted keys; lists of scalars joined; lists of dicts left out."""
    flat = {}
    for k, v in data.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            flat.update(_flatten(v, key + "."))
        elif isinstance(v, list):
            if all(not isinstance(x, dict | list) for x in v):
                flat[key] = ", ".join(str(x) for x in v)
        else:
            flat[key] = v
    return flat


def data_source(source_json: str | Path | None) -> pd.DataFrame:
    """The acquire rule's record (source, size, checksums) as quantity/value rows."""
    if not source_json or not Path(source_json).exists():
        return pd.DataFrame(columns=["quantity", "value"])
    flat = _flatten(_read_json(Path(source_json)))
    return pd.DataFrame({"quantity": list(flat), "value": [str(v) for v in flat.values()]})


def training_devices(arts: list[Artifact]) -> pd.DataFrame:
    rows = []
    for a in arts:
        if a.topic == "training" and a.path.name == "train.json":
            t = _read_json(a.path)
            rows.append(
                {
                    "model": a.model,
                    "devices": ", ".join(map(str, t.get("devices", []))) or "unknown",
                    "epochs": t.get("epochs"),
                    "n_train": t.get("n_train"),
                    "seconds": t.get("seconds_this_run"),
                }
            )
    return pd.DataFrame(rows)


def _benchmark_job(path: Path) -> tuple[str, str]:
    if path.name.endswith(".benchmark.tsv"):  # resources/<dataset>/acquire.benchmark.tsv
        return path.name.split(".")[0], path.parent.name
    return path.parent.name, path.stem


def benchmark_table(paths: list[str | Path]) -> pd.DataFrame:
    """Runtime and peak memory per job from Snakemake's `benchmark:` files."""
    rows = []
    for p in map(Path, paths):
        if not p.exists():
            continue
        try:
            t = pd.read_csv(p, sep="\t")
        except (pd.errors.EmptyDataError, pd.errors.ParserError):
            continue
        if t.empty or "s" not in t:
            continue
        last = t.iloc[-1]
        rule, job = _benchmark_job(p)

        def num(col, last=last, t=t):
            return float(pd.to_numeric(last[col], errors="coerce")) if col in t else math.nan

        rows.append(
            {
                "rule": rule,
                "job": job,
                "seconds": num("s"),
                "h:m:s": str(last.get("h:m:s", "")),
                "peak_rss_mb": num("max_rss"),
                "cpu_seconds": num("cpu_time"),
            }
        )
    frame = pd.DataFrame(
        rows, columns=["rule", "job", "seconds", "h:m:s", "peak_rss_mb", "cpu_seconds"]
    )
    order = {r: i for i, r in enumerate(RULE_ORDER)}
    key = frame["rule"].map(lambda r: (order.get(r, len(order)), r))
    return frame.assign(_k=key).sort_values(["_k", "job"]).drop(columns="_k").reset_index(drop=True)


def rule_runtimes(jobs: pd.DataFrame) -> pd.DataFrame:
    """Per rule: jobs, total and longest wall time, highest peak memory."""
    if jobs.empty:
        return pd.DataFrame(columns=["rule", "jobs", "total_seconds", "max_seconds", "peak_rss_mb"])
    g = jobs.groupby("rule", sort=False)
    return pd.DataFrame(
        {
            "jobs": g.size(),
            "total_seconds": g["seconds"].sum(),
            "max_seconds": g["seconds"].max(),
            "peak_rss_mb": g["peak_rss_mb"].max(),
        }
    ).reset_index()


def provenance(
    config: dict,
    benchmarks: list[str | Path],
    source: str | Path | None = None,
    arts: list[Artifact] | None = None,
    repo: str | Path | None = None,
) -> dict:
    commit, dirty = git_state(repo)
    jobs = benchmark_table(benchmarks)
    return {
        "versions": package_versions(),
        "git_commit": commit,
        "git_dirty": dirty,
        "source": data_source(source),
        "devices": training_devices(arts or []),
        "benchmarks": jobs,
        "rules": rule_runtimes(jobs),
    }


# -- HTML pieces --------------------------------------------------------------------------


def rst_to_html(text: str) -> str:
    """A caption's reStructuredText as an HTML fragment (docutils, as Snakemake renders it)."""
    text = text.strip()
    if not text:
        return ""
    try:
        from docutils.core import publish_parts

        parts = publish_parts(
            text,
            writer="html",
            settings_overrides={"report_level": 5, "halt_level": 5, "warning_stream": False},
        )
        return parts["fragment"].strip()
    except ImportError:  # pragma: no cover - docutils comes with Snakemake
        return "".join(f"<p>{html.escape(p)}</p>" for p in re.split(r"\n\s*\n", text))


def read_caption(captions_dir: str | Path, topic: str, stem: str | None = None) -> str:
    """Text of ``<topic>-<stem>.rst`` (one figure) or else ``<topic>.rst``; "" when none."""
    names = ([f"{topic}-{stem}.rst"] if stem else []) + [f"{topic}.rst"]
    for name in names:
        path = Path(captions_dir) / name
        if path.exists():
            return path.read_text(encoding="utf-8").strip()
    return ""


def render_intro(captions_dir: str | Path, config: dict) -> str:
    """workflow.rst (Snakemake's report front page), its Jinja filled in from the config."""
    path = Path(captions_dir) / "workflow.rst"
    if not path.exists():
        return ""
    text = path.read_text(encoding="utf-8")
    try:
        from types import SimpleNamespace

        import jinja2

        text = jinja2.Template(text).render(snakemake=SimpleNamespace(config=config))
    except Exception:  # noqa: BLE001 - a template error must not cost the report
        text = re.sub(r"\{\{.*?\}\}", "", text)
    return rst_to_html(text)


def png_bytes(path: Path, compact: bool) -> bytes:
    """The PNG's bytes; when `compact` and large, a 256-colour palette version if smaller."""
    raw = path.read_bytes()
    if not compact or len(raw) < COMPACT_MIN_BYTES:
        return raw
    from PIL import Image

    with Image.open(io.BytesIO(raw)) as im:
        pal = im.convert("RGB").quantize(
            256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
        )
        buf = io.BytesIO()
        pal.save(buf, "PNG")
    small = buf.getvalue()
    return small if len(small) < len(raw) else raw


def _img(path: Path, alt: str, compact: bool) -> str:
    data = base64.b64encode(png_bytes(path, compact)).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}" decoding="async">'


def _is_text(series: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(series)


def table_html(frame: pd.DataFrame, link: str | None = None, max_rows: int = MAX_TABLE_ROWS) -> str:
    """A compact HTML table (numbers to 4 significant digits), cut at max_rows with a link."""
    shown = frame.head(max_rows)
    cols = list(shown.columns)
    text_cols = {c for c in cols if _is_text(shown[c])}
    head = "".join(
        f"<th class='{'text' if c in text_cols else 'num'}'>{html.escape(str(c))}</th>"
        for c in cols
    )
    body = []
    for _, r in shown.iterrows():
        cells = "".join(
            f"<td class='{'text' if c in text_cols else 'num'}'>{html.escape(_fmt(r[c]))}</td>"
            for c in cols
        )
        body.append(f"<tr>{cells}</tr>")
    out = (
        f"<div class='scroll'><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )
    if frame.empty:
        out += "<div class='caption missing'>(no rows)</div>"
    if len(frame) > max_rows:
        out += f"<div class='caption'>first {max_rows} of {len(frame)} rows"
        out += f" (<a href='{html.escape(link)}'>full table</a>)</div>" if link else "</div>"
    return out


def json_tables(data: dict) -> list[tuple[str, pd.DataFrame]]:
    """A JSON summary as tables: its scalars (quantity/value), then each list of records."""
    flat = _flatten(data)
    flat.pop("model", None)
    out = []
    if flat:
        values = [_fmt(v) if isinstance(v, float) else str(v) for v in flat.values()]
        out.append(("", pd.DataFrame({"quantity": list(flat), "value": values})))
    for k, v in data.items():
        if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            out.append((k, pd.DataFrame(v)))
    return out


def _rel(path: Path, start: Path) -> str:
    return Path(os.path.relpath(path.resolve(), start.resolve())).as_posix()


def _anchor(*parts: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", "-".join(p for p in parts if p)).strip("-")


def render_table_file(a: Artifact, out_dir: Path) -> str:
    rel = _rel(a.path, out_dir)
    name = html.escape(a.path.name)
    link = f"<a href='{html.escape(rel)}'>{name}</a>"
    if a.suffix == ".csv":
        if (
            (a.topic, a.path.name) in LINK_ONLY
            or a.path.with_suffix(".json").exists()
            or a.path.stat().st_size > LINK_ONLY_BYTES
        ):
            return f"<div class='caption'>data: {link}</div>"
        frame = pd.read_csv(a.path)
        if len(frame) > LINK_ONLY_ROWS:
            return f"<div class='caption'>data: {link} ({len(frame)} rows)</div>"
        return f"<div><b>{link}</b>{table_html(frame, rel)}</div>"
    if a.suffix == ".json":
        parts = [f"<div><b>{link}</b>"]
        for title, frame in json_tables(_read_json(a.path)):
            if title:
                parts.append(f"<div class='caption'>{html.escape(title)}</div>")
            parts.append(table_html(frame))
        return "".join(parts) + "</div>"
    return ""


def render_topic(
    topic: str,
    arts: list[Artifact],
    config: dict,
    captions_dir: str | Path,
    out_dir: Path,
) -> str:
    """One section: a figure row per kind of figure (models side by side, one caption under
    the row, tables of the same name under each figure), then the remaining tables."""
    title = TOPICS.get(topic, topic.replace("_", " ").capitalize())
    models = []
    for a in arts:
        if a.model not in models:
            models.append(a.model)
    order = {m: i for i, m in enumerate(models_in(arts, config))}
    models.sort(key=lambda m: order.get(m, len(order)))
    stems = []
    for a in arts:
        if a.suffix == ".png" and a.stem not in stems:
            stems.append(a.stem)

    topic_caption = read_caption(captions_dir, topic)
    parts = [f"<h2 id='{_anchor(topic)}'>{html.escape(title)}</h2>"]
    used_topic_caption = False
    rows = []
    for stem in stems:
        caption = read_caption(captions_dir, topic, stem)
        used_topic_caption |= caption == topic_caption
        cells = []
        for model in models:
            fig = [a for a in arts if a.model == model and a.stem == stem]
            png = [a for a in fig if a.suffix == ".png"]
            if not png:
                continue
            p = png[0].path
            label = model_label(config, model) if model else p.name
            cell = [
                "<figure class='cell'>",
                _img(p, f"{model}: {p.name}" if model else p.name, topic not in NO_COMPACT_TOPICS),
                f"<figcaption><b>{html.escape(label)}</b> · "
                f"<a href='{html.escape(_rel(p, out_dir))}'>full size</a></figcaption>",
            ]
            cell += [render_table_file(a, out_dir) for a in fig if a.suffix != ".png"]
            cells.append("".join(cell) + "</figure>")
        rows.append(
            f"<figure class='group' id='{_anchor('fig', topic, stem)}'>"
            f"<div class='row'>{''.join(cells)}</div>"
            f"<figcaption class='caption'>{rst_to_html(caption)}</figcaption></figure>"
        )
    if topic_caption and not used_topic_caption:
        parts.append(f"<div class='caption'>{rst_to_html(topic_caption)}</div>")
    parts += rows

    tables = [a for a in arts if a.suffix != ".png" and a.stem not in stems]
    if tables:
        parts.append("<div class='row'>")
        for model in models:
            mine = [a for a in tables if a.model == model]
            if mine:
                head = f"<h3>{html.escape(model_label(config, model))}</h3>" if model else ""
                body = "".join(render_table_file(a, out_dir) for a in mine)
                parts.append(f"<div class='cell'>{head}{body}</div>")
        parts.append("</div>")
    return "\n".join(parts)


def render_summary(arts: list[Artifact], config: dict, captions_dir: str | Path) -> str:
    summary = summary_table(arts, config)
    parts = ["<h2 id='summary'>Summary of findings</h2>"]
    if summary.empty:
        parts.append("<p class='missing'>No analysis results found.</p>")
        return "\n".join(parts)
    parts.append("<ul class='findings'>")
    parts += [f"<li>{line}</li>" for line in findings(summary)]
    parts.append("</ul>")
    table = table_html(summary_by_quantity(summary), max_rows=summary.shape[1])
    parts.append(f"<div id='summary-table'>{table}</div>")
    parts.append(f"<div class='caption'>{rst_to_html(read_caption(captions_dir, 'summary'))}</div>")
    verdicts = structure_verdicts(arts)
    if verdicts is not None:
        shown = headline_verdicts(verdicts)
        where = next(a.topic for a in arts if "verdict" in a.path.name.lower())
        parts.append("<h3 id='verdicts'>Structure against the matched-Gaussian null</h3>")
        parts.append(table_html(shown, max_rows=len(shown)))
        if len(shown) < len(verdicts):
            parts.append(
                f"<div class='caption'>the overall verdict per model; all {len(verdicts)} "
                f"tests are in the <a href='#{_anchor(where)}'>{html.escape(where)} "
                "section</a></div>"
            )
        parts.append(
            "<div class='caption'>"
            + rst_to_html(read_caption(captions_dir, "structure", "verdicts"))
            + "</div>"
        )
    return "\n".join(parts)


def render_provenance(prov: dict, config: dict) -> str:
    dirty = {True: " (uncommitted changes)", False: " (clean)", None: ""}[prov["git_dirty"]]
    versions = prov["versions"]
    parts = [
        "<h2 id='provenance'>Provenance</h2>",
        f"<p>git commit <code>{html.escape(prov['git_commit'])}</code>{dirty}</p>",
        "<h3 id='source'>Data source</h3>",
    ]
    if prov["source"].empty:
        parts.append("<p class='missing'>no source record</p>")
    else:
        parts.append(table_html(prov["source"], max_rows=len(prov["source"])))
    parts.append("<h3 id='devices'>Training devices</h3>")
    if prov["devices"].empty:
        parts.append("<p class='missing'>no training record</p>")
    else:
        parts.append(table_html(prov["devices"], max_rows=len(prov["devices"])))
    parts.append("<h3 id='versions'>Package versions (environment that wrote this page)</h3>")
    frame = pd.DataFrame({"package": list(versions), "version": list(versions.values())})
    parts.append(table_html(frame, max_rows=len(frame)))
    parts.append("<h3 id='runtimes'>Runtime and peak memory per rule</h3>")
    if prov["benchmarks"].empty:
        parts.append("<p class='missing'>no benchmark files</p>")
    else:
        parts.append(table_html(prov["rules"], max_rows=len(prov["rules"])))
        total = prov["benchmarks"]["seconds"].sum()
        parts.append(f"<p>all jobs together: {total:.1f} s ({total / 3600:.2f} h) of wall time</p>")
        jobs = prov["benchmarks"]
        parts.append(
            f"<details><summary>per job ({len(jobs)} jobs)</summary>"
            f"{table_html(jobs, max_rows=len(jobs))}</details>"
        )
        parts.append(
            "<div class='caption'>From Snakemake's <code>benchmark:</code> files: wall-clock "
            "seconds, peak resident memory (MB) and CPU seconds of each job.</div>"
        )
    parts.append(
        "<h3 id='config'>Resolved config</h3><pre>"
        + html.escape(yaml.safe_dump(config, sort_keys=False))
        + "</pre>"
    )
    return "\n".join(parts)


def build_report(
    config: dict,
    inputs: list[str],
    captions_dir: str,
    benchmarks: list[str],
    out_html: str,
    source: str | None = None,
    repo: str | None = None,
) -> None:
    out = Path(out_html)
    out.parent.mkdir(parents=True, exist_ok=True)
    arts = artifacts(inputs)
    by_topic: dict[str, list[Artifact]] = defaultdict(list)
    for a in arts:
        by_topic[a.topic].append(a)
    known = [t for t in TOPICS if t in by_topic]
    extra = [t for t in by_topic if t not in TOPICS]
    i = known.index("samples") + 1 if "samples" in known else len(known)
    topics = known[:i] + extra + known[i:]

    prov = provenance(config, benchmarks, source, arts, repo)
    run = html.escape(str(config.get("run", "")))
    dataset = config.get("data", {}).get("dataset", "")
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    nav = [("summary", "Summary")] + [
        (_anchor(t), TOPICS.get(t, t.replace("_", " ").capitalize())) for t in topics
    ]
    nav.append(("provenance", "Provenance"))
    dirty = " (uncommitted changes)" if prov["git_dirty"] else ""
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>zatlas: {run}</title><style>{STYLE}</style></head><body>",
        f"<h1>zatlas report — run <code>{run}</code></h1>",
        f"<p class='meta'>{html.escape(now)} · dataset {html.escape(str(dataset))} · "
        f"models {html.escape(', '.join(models_in(arts, config)))} · git "
        f"<code>{html.escape(prov['git_commit'][:12])}</code>{dirty}</p>",
        "<nav>" + "".join(f"<a href='#{a}'>{html.escape(t)}</a>" for a, t in nav) + "</nav>",
        f"<div class='intro'>{render_intro(captions_dir, config)}</div>",
        render_summary(arts, config, captions_dir),
    ]
    for topic in topics:
        parts.append(render_topic(topic, by_topic[topic], config, captions_dir, out.parent))
    parts.append(render_provenance(prov, config))
    parts.append("</body></html>")
    out.write_text("\n".join(parts), encoding="utf-8")
