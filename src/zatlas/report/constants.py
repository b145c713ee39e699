"""What the report shows and how: section order, tables shown as links, page style."""

from __future__ import annotations

from zatlas.registry import RULE_ALIASES, report_stages, stage_names

# Sections in page order: the stage registry's.
TOPICS = {s.name: s.title for s in report_stages()}


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
RULE_ORDER = tuple(n for name in stage_names() for n in (name, *RULE_ALIASES.get(name, ())))


# Long tables shown as a link only: their figure shows them better. So are CSVs above
# LINK_ONLY_BYTES or LINK_ONLY_ROWS (the data behind a figure, e.g. a t-SNE embedding).
LINK_ONLY = {
    ("train", "history.csv"),
    ("radius", "density.csv"),
    ("axes", "table.csv"),
    ("kmeans", "sweep.csv"),
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
