"""HTML pieces: captions, embedded figures and tables."""

from __future__ import annotations

import base64
import html
import io
import os
import re
from pathlib import Path

import pandas as pd

from zatlas.captions import caption
from zatlas.registry import BY_NAME
from zatlas.report.artifacts import Artifact, read_json
from zatlas.report.constants import (
    COMPACT_MIN_BYTES,
    LINK_ONLY,
    LINK_ONLY_BYTES,
    LINK_ONLY_ROWS,
    MAX_TABLE_ROWS,
)
from zatlas.report.provenance import flatten
from zatlas.report.summary import fmt


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
    """A stage's caption from its plot module (zatlas.captions: the file's own text, else
    the stage's); the report's own sections (summary, scorecard) from ``<topic>.rst`` in
    `captions_dir`; "" when there is none."""
    if topic in BY_NAME:
        return caption(topic, stem)
    path = Path(captions_dir) / f"{topic}.rst"
    return path.read_text(encoding="utf-8").strip() if path.exists() else ""


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


def img_tag(path: Path, alt: str, compact: bool) -> str:
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
            f"<td class='{'text' if c in text_cols else 'num'}'>{html.escape(fmt(r[c]))}</td>"
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
    flat = flatten(data)
    flat.pop("model", None)
    out = []
    if flat:
        values = [fmt(v) if isinstance(v, float) else str(v) for v in flat.values()]
        out.append(("", pd.DataFrame({"quantity": list(flat), "value": values})))
    for k, v in data.items():
        if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            out.append((k, pd.DataFrame(v)))
    return out


def rel_path(path: Path, start: Path) -> str:
    return Path(os.path.relpath(path.resolve(), start.resolve())).as_posix()


def anchor(*parts: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", "-".join(p for p in parts if p)).strip("-")


def render_table_file(a: Artifact, out_dir: Path) -> str:
    rel = rel_path(a.path, out_dir)
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
        for title, frame in json_tables(read_json(a.path)):
            if title:
                parts.append(f"<div class='caption'>{html.escape(title)}</div>")
            parts.append(table_html(frame))
        return "".join(parts) + "</div>"
    return ""
