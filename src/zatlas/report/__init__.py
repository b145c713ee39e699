"""results/<run>/report/index.html: the study on one page, models side by side.

The page is self-contained: every figure is embedded (large scatter plots as compact
palette PNGs), every table rendered, so it opens anywhere without a network. Links point
to in-page anchors and, relatively, to the full-size figures and full tables of the run.
Numbers come from the CSV/JSON files the stages wrote, never from pixels.

A stage's captions are the reStructuredText texts of its plot module (zatlas.captions), the
ones Snakemake's own report shows: the file's own text, else the stage's. The page's own
sections (summary, scorecard) and its introduction read workflow/report/<section>.rst.
"""

from __future__ import annotations

from zatlas.report.artifacts import Artifact, artifacts, classify, model_label, models_in
from zatlas.report.constants import (
    COMPACT_MIN_BYTES,
    LINK_ONLY,
    LINK_ONLY_BYTES,
    LINK_ONLY_ROWS,
    MAX_TABLE_ROWS,
    NO_COMPACT_TOPICS,
    PACKAGES,
    RULE_ORDER,
    STYLE,
    TOPICS,
)
from zatlas.report.markup import (
    json_tables,
    png_bytes,
    read_caption,
    render_intro,
    render_table_file,
    rst_to_html,
    table_html,
)
from zatlas.report.page import build_report, render_provenance, render_summary, render_topic
from zatlas.report.provenance import (
    benchmark_table,
    data_source,
    git_state,
    package_versions,
    provenance,
    rule_runtimes,
    training_devices,
)
from zatlas.report.summary import (
    findings,
    headline_verdicts,
    structure_verdicts,
    summary_by_quantity,
)

__all__ = [
    "Artifact",
    "COMPACT_MIN_BYTES",
    "LINK_ONLY",
    "LINK_ONLY_BYTES",
    "LINK_ONLY_ROWS",
    "MAX_TABLE_ROWS",
    "NO_COMPACT_TOPICS",
    "PACKAGES",
    "RULE_ORDER",
    "STYLE",
    "TOPICS",
    "artifacts",
    "benchmark_table",
    "build_report",
    "classify",
    "data_source",
    "findings",
    "git_state",
    "headline_verdicts",
    "json_tables",
    "model_label",
    "models_in",
    "package_versions",
    "png_bytes",
    "provenance",
    "read_caption",
    "render_intro",
    "render_provenance",
    "render_summary",
    "render_table_file",
    "render_topic",
    "rst_to_html",
    "rule_runtimes",
    "structure_verdicts",
    "summary_by_quantity",
    "table_html",
    "training_devices",
]
