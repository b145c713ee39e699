"""Where the demo's time goes: a per-job timeline from its Snakemake benchmark files.

    python benchmarks/demo.py                      # read results/demo/benchmarks/ of this checkout
    python benchmarks/demo.py --fresh /tmp/demo    # run the demo there from scratch, then read it
    python benchmarks/demo.py --png timeline.png   # also draw the timeline

Prints the run's wall time (with --fresh: Snakemake's own, DAG building included; else the
span from the first job's start to the last job's end), the sum of the jobs' wall and CPU
times, the cores' busy share (sum of job times / (cores x span)), the cost per rule and a
text timeline. On a machine shared with other work, wall times stretch: read the CPU times,
and the busy share, which stays meaningful when the load is even.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from zatlas.timeline import (  # noqa: E402
    benchmark_files,
    concurrency,
    jobs_table,
    per_rule,
    summarize,
    text_timeline,
)


def run_fresh(workdir: Path, configfile: Path, cores: int) -> tuple[float, float]:
    """Run the whole demo in an empty `workdir`; wall seconds and CPU seconds (all
    processes: Snakemake and every job)."""
    workdir.mkdir(parents=True, exist_ok=True)
    if any(workdir.iterdir()):
        sys.exit(f"--fresh needs an empty or new folder; {workdir} has files")
    snakemake = Path(sys.executable).with_name("snakemake")
    cmd = [str(snakemake), "-s", str(REPO / "Snakefile"), "--directory", str(workdir)]
    cmd += ["--configfile", str(configfile), "--cores", str(cores)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with open(workdir / "snakemake.log", "w") as log:
        proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        sys.exit(f"the demo failed; see {workdir / 'snakemake.log'}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def draw(table, cores: int, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rules = list(dict.fromkeys(table["rule"]))
    colours = {r: plt.get_cmap("tab20")(i % 20) for i, r in enumerate(rules)}
    fig, (ax, ax_n) = plt.subplots(
        2, 1, figsize=(11, 0.18 * len(table) + 2.5), sharex=True, height_ratios=[5, 1]
    )
    for i, r in enumerate(table.itertuples()):
        ax.barh(i, r.wall_s, left=r.start_s, color=colours[r.rule], height=0.8)
        ax.text(r.end_s, i, f" {r.rule}/{r.job}", va="center", fontsize=6)
    ax.invert_yaxis()
    ax.set_yticks([])
    ax.set_title("demo jobs (from their benchmark files)")
    busy = concurrency(table)
    ax_n.step(busy.index, busy.values, where="post")
    ax_n.axhline(cores, color="grey", ls="--", lw=0.8)
    ax_n.set_ylabel("jobs running")
    ax_n.set_xlabel("seconds from the first job's start")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default=str(REPO), help="the folder the demo ran in")
    parser.add_argument("--run", default="demo", help="the config's `run` name")
    parser.add_argument("--cores", type=int, default=2, help="the cores the demo ran on")
    parser.add_argument("--fresh", metavar="DIR", help="run the demo in this new folder first")
    parser.add_argument("--configfile", default=str(REPO / "config" / "demo.yaml"))
    parser.add_argument("--png", help="also draw the timeline to this PNG file")
    parser.add_argument("--no-timeline", action="store_true", help="only the totals")
    args = parser.parse_args()

    measured = None
    workdir = Path(args.workdir)
    if args.fresh:
        workdir = Path(args.fresh).resolve()
        measured = run_fresh(workdir, Path(args.configfile).resolve(), args.cores)
    table = jobs_table(benchmark_files(workdir, args.run))
    s = summarize(table, args.cores)
    if measured:
        wall, cpu = measured
        print(f"demo: {wall:.0f} s wall ({wall / 60:.1f} min), {cpu:.0f} s CPU in all processes")
    print(
        f"{s.jobs} jobs, span {s.span_s:.0f} s (first start to last end); "
        f"sum of job wall times {s.job_s:.0f} s, of job CPU times {s.cpu_s:.0f} s"
    )
    print(
        f"busy share of {s.cores} cores: {s.busy_share:.0%} by wall time "
        f"(always busy: {s.ideal_s:.0f} s), {s.cpu_share:.0%} by CPU time"
    )
    if os.getloadavg()[0] > s.cores:
        print(f"note: load average now {os.getloadavg()[0]:.1f}: other work shares the cores")
    print("\nper rule (wall and CPU seconds, summed over jobs):")
    for rule, r in per_rule(table).iterrows():
        print(f"  {rule:16s} {int(r.jobs):3d} jobs {r.wall_s:8.1f} s {r.cpu_s:8.1f} CPU-s")
    if not args.no_timeline:
        print("\n" + text_timeline(table))
    if args.png:
        draw(table, args.cores, Path(args.png))
        print(f"\ntimeline: {args.png}")


if __name__ == "__main__":
    main()
