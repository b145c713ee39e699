"""Where a run's time goes: a per-job timeline from Snakemake's `benchmark:` files.

A benchmark file holds a job's wall seconds (`s`) and CPU seconds (`cpu_time`), not its
start; Snakemake writes the file when the job ends, so the file's modification time is the
job's end and end - s its start. From that: the run's span (first start to last end), the
sum of job times, and the cores' busy share, sum / (cores x span), which says how much of
the span the cores could have saved if every core were always busy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from zatlas.errors import ZatlasError


@dataclass(frozen=True)
class Summary:
    jobs: int
    span_s: float  # first job's start to the last job's end
    job_s: float  # sum of the jobs' wall times
    cpu_s: float  # sum of the jobs' CPU times (user + system, all threads)
    cores: int

    @property
    def busy_share(self) -> float:
        """Share of cores x span the jobs' wall times fill (1 = both cores always busy)."""
        return self.job_s / (self.cores * self.span_s) if self.span_s > 0 else 0.0

    @property
    def cpu_share(self) -> float:
        """Share of cores x span spent computing (CPU seconds, all threads)."""
        return self.cpu_s / (self.cores * self.span_s) if self.span_s > 0 else 0.0

    @property
    def ideal_s(self) -> float:
        """The span if the cores were always busy with these job times."""
        return self.job_s / self.cores


def benchmark_files(workdir: Path, run: str) -> list[Path]:
    """Every job's benchmark file of a run, acquire's (under resources/) included."""
    files = sorted((workdir / "results" / run / "benchmarks").rglob("*.tsv"))
    files += sorted((workdir / "resources").glob("*/acquire.benchmark.tsv"))
    return files


def _job_name(path: Path) -> tuple[str, str]:
    if path.name.endswith(".benchmark.tsv"):
        return path.name.split(".")[0], path.parent.name
    return path.parent.name, path.stem


def jobs_table(paths: list[Path]) -> pd.DataFrame:
    """One row per job: rule, job, start_s, end_s (seconds from the first start), wall_s,
    cpu_s, rss_mb, sorted by start."""
    rows = []
    for path in paths:
        t = pd.read_csv(path, sep="\t")
        if t.empty or "s" not in t:
            raise ZatlasError(f"{path} is not a Snakemake benchmark file (no column 's')")
        last = t.iloc[-1]
        wall = float(last["s"])
        end = path.stat().st_mtime
        rule, job = _job_name(path)
        rows.append(
            {
                "rule": rule,
                "job": job,
                "start_s": end - wall,
                "end_s": end,
                "wall_s": wall,
                "cpu_s": float(pd.to_numeric(last.get("cpu_time"), errors="coerce")),
                "rss_mb": float(pd.to_numeric(last.get("max_rss"), errors="coerce")),
            }
        )
    if not rows:
        raise ZatlasError("no benchmark files: run the workflow first")
    table = pd.DataFrame(rows).sort_values(["start_s", "rule", "job"], ignore_index=True)
    origin = table["start_s"].min()
    table["start_s"] -= origin
    table["end_s"] -= origin
    return table


def summarize(table: pd.DataFrame, cores: int) -> Summary:
    return Summary(
        jobs=len(table),
        span_s=float(table["end_s"].max() - table["start_s"].min()),
        job_s=float(table["wall_s"].sum()),
        cpu_s=float(table["cpu_s"].fillna(0.0).sum()),
        cores=cores,
    )


def per_rule(table: pd.DataFrame) -> pd.DataFrame:
    """Jobs, wall and CPU seconds per rule, the costliest first."""
    out = table.groupby("rule").agg(
        jobs=("job", "size"), wall_s=("wall_s", "sum"), cpu_s=("cpu_s", "sum")
    )
    return out.sort_values("wall_s", ascending=False)


def text_timeline(table: pd.DataFrame, width: int = 60) -> str:
    """One line per job: its bar on a common time axis, then its seconds."""
    span = max(float(table["end_s"].max()), 1e-9)
    name_width = max(len(f"{r.rule}/{r.job}") for r in table.itertuples())
    lines = []
    for r in table.itertuples():
        first = int(round(r.start_s / span * width))
        last = max(int(round(r.end_s / span * width)), first + 1)
        bar = " " * first + "#" * (last - first)
        name = f"{r.rule}/{r.job}"
        lines.append(f"{name:<{name_width}} |{bar:<{width}}| {r.wall_s:7.1f} s")
    return "\n".join(lines)


def concurrency(table: pd.DataFrame, step: float = 1.0) -> pd.Series:
    """Jobs running at each `step` seconds of the span (a job counts where it covers t)."""
    span = float(table["end_s"].max())
    times = [i * step for i in range(int(span / step) + 1)]
    counts = [int(((table["start_s"] <= t) & (table["end_s"] > t)).sum()) for t in times]
    return pd.Series(counts, index=times, name="jobs")
