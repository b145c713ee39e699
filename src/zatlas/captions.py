"""The words under a stage's figures and tables, read from its plot module.

A stage's captions live in `zatlas/plots/<stage>.py`, beside the code that draws what they
describe: `CAPTION`, the section's text (under every figure that has none of its own), and
`FILE_CAPTIONS`, one text per output file by its stem (`{"all_axes": ...}` for
`all_axes.png`). Both our report page and Snakemake's report (through `figure()` in
workflow/rules/common.smk) take them from here.

They are read from the module's source (`ast.literal_eval`), not by importing it: importing a
plot module imports matplotlib, which every parse of the workflow would then pay for. A
caption that is not a literal string fails here, loudly (tests/unit/test_stages.py checks
that this reading equals the imported module's values)."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

from zatlas.errors import ZatlasError

PLOTS = Path(__file__).resolve().parent / "plots"


@cache
def captions_of(stage: str) -> tuple[str, dict[str, str]]:
    """(CAPTION, FILE_CAPTIONS) of a stage's plot module; ("", {}) when it has none."""
    path = PLOTS / f"{stage}.py"
    if not path.is_file():
        return "", {}
    found: dict[str, object] = {"CAPTION": "", "FILE_CAPTIONS": {}}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        target = node.targets[0] if isinstance(node, ast.Assign) else None
        if isinstance(target, ast.Name) and target.id in found:
            try:
                found[target.id] = ast.literal_eval(node.value)
            except ValueError:
                raise ZatlasError(
                    f"{path}: {target.id} must be a literal (a string, or a dict of "
                    "strings), so that the workflow can read it without importing matplotlib"
                ) from None
    caption, files = found["CAPTION"], found["FILE_CAPTIONS"]
    return caption.strip(), {stem: text.strip() for stem, text in files.items()}


def caption(stage: str, stem: str | None = None) -> str:
    """The caption of one output file of `stage` (its own, else the stage's), or the
    stage's section caption when `stem` is None; "" when there is none."""
    section, files = captions_of(stage)
    return files.get(stem, section) if stem is not None else section
