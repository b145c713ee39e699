"""benchmarks/demo.py's numbers: job starts from benchmark files, span, busy share."""

import os

import pytest

from zatlas.errors import ZatlasError
from zatlas.timeline import (
    benchmark_files,
    concurrency,
    jobs_table,
    per_rule,
    summarize,
    text_timeline,
)

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def bench(path, seconds, cpu, end):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + f"{seconds}\t0:00:00\t100.0\t1\t1\t1\t0\t0\t0\t{cpu}\n")
    os.utime(path, (end, end))  # Snakemake writes the file when the job ends


@pytest.fixture
def run(tmp_path):
    t0 = 1_000_000.0
    b = tmp_path / "results" / "demo" / "benchmarks"
    bench(tmp_path / "resources" / "synthetic" / "acquire.benchmark.tsv", 10, 9, t0 + 10)
    bench(b / "train" / "ae.tsv", 40, 70, t0 + 50)  # 10..50, both cores
    bench(b / "radius" / "ae.tsv", 20, 19, t0 + 80)  # 60..80: a gap of 10 s before it
    bench(b / "axes" / "ae.tsv", 10, 9, t0 + 80)  # 70..80, beside radius
    return tmp_path


def test_jobs_start_at_their_end_minus_their_seconds_and_the_span_covers_all(run):
    table = jobs_table(benchmark_files(run, "demo"))
    assert list(table["job"]) == ["synthetic", "ae", "ae", "ae"]
    assert list(table["rule"]) == ["acquire", "train", "radius", "axes"]
    assert list(table["start_s"]) == [0.0, 10.0, 60.0, 70.0]
    assert list(table["end_s"]) == [10.0, 50.0, 80.0, 80.0]
    s = summarize(table, cores=2)
    assert (s.jobs, s.span_s, s.job_s, s.cpu_s) == (4, 80.0, 80.0, 107.0)
    assert s.busy_share == pytest.approx(0.5)  # 80 job-seconds in 2 x 80 core-seconds
    assert s.cpu_share == pytest.approx(107 / 160)
    assert s.ideal_s == 40.0
    assert per_rule(table).index[0] == "train"


def test_concurrency_and_text_timeline(run):
    table = jobs_table(benchmark_files(run, "demo"))
    busy = concurrency(table, step=10.0)
    assert list(busy.values) == [1, 1, 1, 1, 1, 0, 1, 2, 0]  # t = 0, 10, ..., 80
    lines = text_timeline(table, width=8).splitlines()
    # 10..50 of 80 s on 8 columns: columns 1 to 4; names padded to "acquire/synthetic"
    assert lines[1] == "train/ae          | ####   |    40.0 s"
    assert lines[3] == "axes/ae           |       #|    10.0 s"


def test_no_benchmark_files_is_a_clear_error(tmp_path):
    with pytest.raises(ZatlasError, match="run the workflow first"):
        jobs_table(benchmark_files(tmp_path, "demo"))
