"""Data flows one way: analyses compute, stages write files, the report reads files. Read
from the source's imports (ast), so a new import in the wrong direction fails here."""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "zatlas"

# The report stage is the report's entry point: it alone may call the report's builder.
ALLOWED = {("stages.report", "report")}


def imports(path: Path) -> set[str]:
    """Every zatlas module that `path` imports (at the top or inside a function)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        out |= {n.removeprefix("zatlas.") for n in names if n.split(".")[0] == "zatlas"}
    return out


def package_of(module: str) -> str:
    return module.split(".")[0]


def edges() -> list[tuple[str, str]]:
    found = []
    for path in SRC.rglob("*.py"):
        module = ".".join(path.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")
        found += [(module, target) for target in imports(path)]
    return found


def crossing(found, a: str, b: str) -> list[tuple[str, str]]:
    return [
        (m, t)
        for m, t in found
        if package_of(m) == a and package_of(t) == b and (m, package_of(t)) not in ALLOWED
    ]


def test_no_stage_imports_the_report_and_the_report_imports_no_stage():
    found = edges()
    assert ("report.constants", "registry") in found  # the reader sees real imports
    assert crossing(found, "stages", "report") == []
    assert crossing(found, "report", "stages") == []


def test_analyses_import_neither_stages_nor_report_nor_plots():
    found = edges()
    for other in ("stages", "report", "plots"):
        assert crossing(found, "analysis", other) == [], other


def test_the_reader_sees_an_import_in_the_wrong_direction(tmp_path):
    bad = tmp_path / "compare.py"
    bad.write_text("def run():\n    from zatlas.report.summary import fmt\n")
    assert imports(bad) == {"report.summary", "report.summary.fmt"}
