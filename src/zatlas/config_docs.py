"""config/README.md, generated from the schema (every key, its default and its description):
`python -m zatlas.config_docs > config/README.md` (or `make config-docs`). A test checks
that the file is current, so a key's description and default are written once, in
workflow/schemas/config.schema.yaml."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import yaml

SCHEMA = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"

INTRO = """\
# Configuration

<!-- Generated from workflow/schemas/config.schema.yaml by `make config-docs`; edit the
schema's descriptions, not this file. -->

`config/config.yaml` holds the blog study's settings on the real CelebA (the Snakefile's
default); `config/demo.yaml` runs the same study on built-in synthetic faces in minutes on a
CPU. Pass another file with `--configfile` (or `make run CONFIG=...`): it *replaces*
`config.yaml`, and every key it leaves out takes the default below. The config is validated
against `workflow/schemas/config.schema.yaml` when the workflow is parsed: an unknown key
(a typo) or a bad value stops the run before any job starts, with a message naming the key.

Threads, memory and GPUs are not experiment settings: they live in the rules' `resources:`
and in the profiles (`profiles/default`, `profiles/slurm`).

| key | default | meaning |
|---|---|---|
"""

OUTRO = """
Cross-field checks (each stage's own, run when the workflow is parsed): t-SNE needs more
than 3 x perplexity + 1 points; PCA planes and `pca_components` must not exceed
min(z_dim, number of images); k-means needs more points than `k_max`; uniform
distributions need `low < high`.
"""


def keys(node: Mapping, path: str = "") -> Iterator[tuple[str, Mapping]]:
    """(dotted key, its schema) for every property, depth first in the schema's order; a
    mapping of user-chosen names (such as `models`) reads `<name>`."""
    for name, sub in node.get("properties", {}).items():
        key = f"{path}.{name}" if path else name
        yield key, sub
        yield from keys(sub, key)
    extra = node.get("additionalProperties")
    if isinstance(extra, Mapping):
        yield from keys(extra, f"{path}.<name>")


def default_text(sub: Mapping) -> str:
    if "default" not in sub:
        return "—"
    text = yaml.safe_dump(sub["default"], default_flow_style=True, sort_keys=False, width=1000)
    return "`" + text.strip().removesuffix("...").strip() + "`"


def describe(schema: Mapping) -> str:
    """The Markdown page: one row per key that carries a value (mappings of keys are
    headings of their rows, shown only where the schema describes them)."""
    rows = []
    for key, sub in keys(schema):
        text = " ".join(str(sub.get("description", "")).split())
        if "properties" in sub or isinstance(sub.get("additionalProperties"), Mapping):
            if text:
                rows.append(f"| `{key}` | | {text} |")
            continue
        rows.append(f"| `{key}` | {default_text(sub)} | {text} |")
    return INTRO + "\n".join(rows) + "\n" + OUTRO


def main() -> None:
    sys.stdout.write(describe(yaml.safe_load(SCHEMA.read_text())))


if __name__ == "__main__":
    main()
