"""Do two runs of the study hold the same numbers? Every CSV and JSON under two results
folders, compared value by value, leaving out what measures the machine rather than the
data (wall times, thread counts, dates, versions).

    python -m zatlas.rundiff results/demo /elsewhere/results/demo

Prints one line per file that differs (with the largest numeric difference) and exits 1
when any does, so that a change that must not move a number can be checked in one command.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import pandas as pd

# keys and columns that record the run, not the result
MACHINE_KEYS = frozenset(
    {
        "seconds",
        "threads",
        "generated",
        "created",
        "date",
        "git",
        "commit",
        "versions",
        "elapsed_s",
        "wall_s",
        "cpu_s",
        "images_per_s",
        "host",
        "python",
        "platform",
        "log",
    }
)
SKIPPED_DIRS = frozenset({"benchmarks", "logs", "report"})


def _is_machine_key(key: str) -> bool:
    key = str(key).lower()
    return key in MACHINE_KEYS or "second" in key or key.endswith(("_time", "_version"))


def _flatten(value, path: str = "") -> dict[str, object]:
    if isinstance(value, dict):
        out: dict[str, object] = {}
        for k, v in value.items():
            if not _is_machine_key(k):
                out.update(_flatten(v, f"{path}.{k}" if path else str(k)))
        return out
    if isinstance(value, list):
        out = {}
        for i, v in enumerate(value):
            out.update(_flatten(v, f"{path}[{i}]"))
        return out
    return {path: value}


def _values(path: Path) -> dict[str, object]:
    if path.suffix == ".json":
        return _flatten(json.loads(path.read_text()))
    frame = pd.read_csv(path)
    frame = frame[[c for c in frame.columns if not _is_machine_key(c)]]
    return {f"{c}[{i}]": v for c in frame.columns for i, v in enumerate(frame[c].tolist())}


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def compare_files(a: Path, b: Path) -> tuple[int, float]:
    """(how many values differ or are missing on one side, largest absolute difference
    among the numbers that differ)."""
    va, vb = _values(a), _values(b)
    differ, largest = 0, 0.0
    for key in va.keys() | vb.keys():
        x, y = va.get(key, "<missing>"), vb.get(key, "<missing>")
        if _same(x, y):
            continue
        differ += 1
        if isinstance(x, int | float) and isinstance(y, int | float):
            largest = max(largest, abs(float(x) - float(y)))
    return differ, largest


def compare_runs(a: Path, b: Path) -> pd.DataFrame:
    """One row per CSV/JSON file of either run: `values_differ`, `largest_difference`
    and `status` (same, differs, only in a, only in b)."""

    def files(root: Path) -> set[Path]:
        found = set()
        for p in root.rglob("*"):
            rel = p.relative_to(root)
            if p.suffix in (".csv", ".json") and not SKIPPED_DIRS & set(rel.parts[:-1]):
                found.add(rel)
        return found

    fa, fb = files(a), files(b)
    rows = []
    for rel in sorted(fa | fb):
        if rel not in fb or rel not in fa:
            status = "only in a" if rel in fa else "only in b"
            rows.append(
                {
                    "file": str(rel),
                    "status": status,
                    "values_differ": None,
                    "largest_difference": None,
                }
            )
            continue
        differ, largest = compare_files(a / rel, b / rel)
        rows.append(
            {
                "file": str(rel),
                "status": "differs" if differ else "same",
                "values_differ": differ,
                "largest_difference": largest,
            }
        )
    return pd.DataFrame(rows, columns=["file", "status", "values_differ", "largest_difference"])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a", type=Path, help="one run's results folder (results/<run>)")
    parser.add_argument("b", type=Path, help="the other run's")
    args = parser.parse_args(argv)
    for folder in (args.a, args.b):
        if not folder.is_dir():
            sys.exit(f"{folder} is not a folder")
    table = compare_runs(args.a, args.b)
    bad = table[table["status"] != "same"]
    print(f"{len(table)} CSV/JSON files, {len(table) - len(bad)} the same, {len(bad)} not")
    for row in bad.itertuples():
        extra = (
            f": {row.values_differ} values, largest difference {row.largest_difference:.3g}"
            if row.status == "differs"
            else ""
        )
        print(f"  {row.status:9s} {row.file}{extra}")
    return 1 if len(bad) else 0


if __name__ == "__main__":
    sys.exit(main())
