"""report: results/<run>/report/index.html, the study on one page."""

from __future__ import annotations

from pathlib import Path


def run(
    figures,
    source,
    html,
    config: dict,
    captions: str,
    benchmarks: str,
    repo: str | None = None,
    left_out: list | None = None,
) -> None:
    """Write the run's index.html. Structure-analysis files on disk that the rule did not
    list are shown too; benchmarks are every job's, plus the data set's acquire job."""
    from zatlas.report import build_report

    bench_dir = Path(benchmarks)
    tsvs = sorted(str(p) for p in bench_dir.glob("**/*.tsv") if p.parent.name != "report")
    if source and (Path(source).parent / "acquire.benchmark.tsv").exists():
        tsvs.insert(0, str(Path(source).parent / "acquire.benchmark.tsv"))
    inputs = list(figures)
    listed = {Path(p) for p in inputs}
    run_dir = Path(html).parent.parent
    extra = sorted(
        p
        for p in run_dir.glob("analysis/*/structure/**/*")
        if p.suffix in (".png", ".csv", ".json") and p not in listed
    )
    build_report(
        config, [*inputs, *map(str, extra)], captions, tsvs, html, source or None, repo, left_out
    )
