"""The page: one section per stage, the summary and provenance, written as index.html."""

from __future__ import annotations

import html
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import yaml

from zatlas.report.artifacts import Artifact, artifacts, model_label, models_in
from zatlas.report.constants import NO_COMPACT_TOPICS, STYLE, TOPICS
from zatlas.report.markup import (
    anchor,
    img_tag,
    read_caption,
    rel_path,
    render_intro,
    render_table_file,
    rst_to_html,
    table_html,
)
from zatlas.report.provenance import data_headline, provenance
from zatlas.report.scorecard import render_scorecard
from zatlas.report.summary import (
    findings,
    headline_table,
    headline_verdicts,
    structure_verdicts,
    summary_by_quantity,
)


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
    parts = [f"<h2 id='{anchor(topic)}'>{html.escape(title)}</h2>"]
    parts += [
        f"<p class='explore'><a href='{html.escape(rel_path(page, out_dir))}'>"
        f"Open the interactive explorer</a> ({html.escape(page.parent.name)}/index.html)</p>"
        for page in interactive_pages(arts)
    ]
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
                img_tag(
                    p, f"{model}: {p.name}" if model else p.name, topic not in NO_COMPACT_TOPICS
                ),
                f"<figcaption><b>{html.escape(label)}</b> · "
                f"<a href='{html.escape(rel_path(p, out_dir))}'>full size</a></figcaption>",
            ]
            cell += [render_table_file(a, out_dir) for a in fig if a.suffix != ".png"]
            cells.append("".join(cell) + "</figure>")
        rows.append(
            f"<figure class='group' id='{anchor('fig', topic, stem)}'>"
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


def interactive_pages(arts: list[Artifact]) -> list[Path]:
    """A stage's own HTML page: an index.html beside its summary (the explorer)."""
    pages = {a.path.parent / "index.html" for a in arts if a.path.name == "summary.json"}
    return sorted(p for p in pages if p.is_file())


def render_summary(arts: list[Artifact], config: dict, captions_dir: str | Path) -> str:
    summary = headline_table(arts)
    parts = ["<h2 id='summary'>Summary of findings</h2>"]
    if summary.empty:
        parts.append("<p class='missing'>No comparison table (compare.csv) found.</p>")
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
        parts.append("<h3 id='verdicts'>Structure verdicts, each against its null</h3>")
        parts.append(table_html(shown, max_rows=len(shown)))
        if len(shown) < len(verdicts):
            n_tests = ""
            if "n_tests" in shown:
                counts = ", ".join(dict.fromkeys(str(int(n)) for n in shown["n_tests"].dropna()))
                n_tests = f" (Bonferroni-corrected for {counts} tests per model)"
            parts.append(
                f"<div class='caption'>what each model's tests found{n_tests}; every test, "
                "with its null, p-value and effect size, is in the "
                f"<a href='#{anchor(where)}'>{html.escape(where)} section</a></div>"
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
        if headline := data_headline(prov["source"]):
            parts.append(f"<p class='data-headline'><b>{html.escape(headline)}</b></p>")
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


def render_left_out(left_out: list[dict]) -> str:
    """Every stage that did not run for a model (a model trained elsewhere lacks a decoder,
    an encoder or a training history; a run without images lacks images), and why."""
    rows = pd.DataFrame(left_out, columns=["stage", "model", "reason"])
    return (
        "<h2 id='left-out'>Left out</h2><p>These stages did not run for these models; "
        "every other stage did.</p>" + table_html(rows)
    )


def build_report(
    config: dict,
    inputs: list[str],
    captions_dir: str,
    benchmarks: list[str],
    out_html: str,
    source: str | None = None,
    repo: str | None = None,
    left_out: list[dict] | None = None,
) -> None:
    """`left_out`: the stages that did not run for a model, with why ({stage, model,
    reason}), shown in a section of their own and under each stage's section."""
    left_out = list(left_out or [])
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
    nav = [("summary", "Summary"), ("scorecard", "Scorecard")] + [
        (anchor(t), TOPICS.get(t, t.replace("_", " ").capitalize())) for t in topics
    ]
    if left_out:
        nav.append(("left-out", "Left out"))
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
        render_scorecard(arts, config, captions_dir),
    ]
    for topic in topics:
        parts.append(render_topic(topic, by_topic[topic], config, captions_dir, out.parent))
        parts += [
            f"<p class='left-out'>Not run for <b>{html.escape(e['model'])}</b>: "
            f"{html.escape(e['reason'])}.</p>"
            for e in left_out
            if e["stage"] == topic
        ]
    if left_out:
        parts.append(render_left_out(left_out))
    parts.append(render_provenance(prov, config))
    parts.append("</body></html>")
    out.write_text("\n".join(parts), encoding="utf-8")
