"""Provenance: git state, data source, package versions, devices, runtimes."""

from __future__ import annotations

import math
import platform
import subprocess
from importlib import metadata
from pathlib import Path

import pandas as pd

from zatlas.report.artifacts import Artifact, read_json
from zatlas.report.constants import PACKAGES, RULE_ORDER


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for dist, _module in PACKAGES:
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    return versions


def git_state(repo: str | Path | None) -> tuple[str, bool | None]:
    """(commit, dirty) of the workflow's checkout; dirty ignores untracked files."""
    cmd = ["git"] + (["-C", str(repo)] if repo else [])
    try:
        commit = subprocess.run(
            [*cmd, "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            [*cmd, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)", None
    return commit, bool(status.strip())


def flatten(data: dict, prefix: str = "") -> dict:
    """Nested dicts as dotted keys; lists of scalars joined; lists of dicts left out."""
    flat = {}
    for k, v in data.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            flat.update(flatten(v, key + "."))
        elif isinstance(v, list):
            if all(not isinstance(x, dict | list) for x in v):
                flat[key] = ", ".join(str(x) for x in v)
        else:
            flat[key] = v
    return flat


def data_source(source_json: str | Path | None) -> pd.DataFrame:
    """The acquire rule's record (source, size, checksums) as quantity/value rows."""
    if not source_json or not Path(source_json).exists():
        return pd.DataFrame(columns=["quantity", "value"])
    flat = flatten(read_json(Path(source_json)))
    return pd.DataFrame({"quantity": list(flat), "value": [str(v) for v in flat.values()]})


def data_headline(source: pd.DataFrame) -> str | None:
    """One sentence on what the data set is, when it is not the whole of a known one: a
    verified subset of CelebA, or a folder of the user's own images."""
    rec = dict(zip(source["quantity"], source["value"], strict=True))
    if rec.get("subset") == "True":
        splits = ", ".join(
            f"{k.split('.', 1)[1]} {v}" for k, v in rec.items() if k.startswith("splits.")
        )
        return (
            f"A subset of CelebA: {int(rec['n_images']):,} of the "
            f"{int(rec.get('official_n_images', 202_599)):,} official images ({splits}), each "
            "verified; the results describe this subset, not the whole of CelebA."
        )
    if rec.get("source") == "folder":
        return (
            f"Your own images: {int(rec['n_images']):,} images ({int(rec['total_bytes']):,} "
            f"bytes) from {rec['path']}, content hash {rec['content_hash'][:16]}..."
        )
    return None


def training_devices(arts: list[Artifact]) -> pd.DataFrame:
    rows = []
    for a in arts:
        if a.topic == "train" and a.path.name == "train.json":
            t = read_json(a.path)
            rows.append(
                {
                    "model": a.model,
                    "devices": ", ".join(map(str, t.get("devices", []))) or "unknown",
                    "epochs": t.get("epochs"),
                    "n_train": t.get("n_train"),
                    "seconds": t.get("seconds_this_run"),
                }
            )
    return pd.DataFrame(rows)


def _benchmark_job(path: Path) -> tuple[str, str]:
    if path.name.endswith(".benchmark.tsv"):  # resources/<dataset>/acquire.benchmark.tsv
        return path.name.split(".")[0], path.parent.name
    return path.parent.name, path.stem


def benchmark_table(paths: list[str | Path]) -> pd.DataFrame:
    """Runtime and peak memory per job from Snakemake's `benchmark:` files."""
    rows = []
    for p in map(Path, paths):
        if not p.exists():
            continue
        try:
            t = pd.read_csv(p, sep="\t")
        except (pd.errors.EmptyDataError, pd.errors.ParserError):
            continue
        if t.empty or "s" not in t:
            continue
        last = t.iloc[-1]
        rule, job = _benchmark_job(p)

        def num(col, last=last, t=t):
            return float(pd.to_numeric(last[col], errors="coerce")) if col in t else math.nan

        rows.append(
            {
                "rule": rule,
                "job": job,
                "seconds": num("s"),
                "h:m:s": str(last.get("h:m:s", "")),
                "peak_rss_mb": num("max_rss"),
                "cpu_seconds": num("cpu_time"),
            }
        )
    frame = pd.DataFrame(
        rows, columns=["rule", "job", "seconds", "h:m:s", "peak_rss_mb", "cpu_seconds"]
    )
    order = {r: i for i, r in enumerate(RULE_ORDER)}
    key = frame["rule"].map(lambda r: (order.get(r, len(order)), r))
    return frame.assign(_k=key).sort_values(["_k", "job"]).drop(columns="_k").reset_index(drop=True)


def rule_runtimes(jobs: pd.DataFrame) -> pd.DataFrame:
    """Per rule: jobs, total and longest wall time, highest peak memory."""
    if jobs.empty:
        return pd.DataFrame(columns=["rule", "jobs", "total_seconds", "max_seconds", "peak_rss_mb"])
    g = jobs.groupby("rule", sort=False)
    return pd.DataFrame(
        {
            "jobs": g.size(),
            "total_seconds": g["seconds"].sum(),
            "max_seconds": g["seconds"].max(),
            "peak_rss_mb": g["peak_rss_mb"].max(),
        }
    ).reset_index()


def provenance(
    config: dict,
    benchmarks: list[str | Path],
    source: str | Path | None = None,
    arts: list[Artifact] | None = None,
    repo: str | Path | None = None,
) -> dict:
    commit, dirty = git_state(repo)
    jobs = benchmark_table(benchmarks)
    return {
        "versions": package_versions(),
        "git_commit": commit,
        "git_dirty": dirty,
        "source": data_source(source),
        "devices": training_devices(arts or []),
        "benchmarks": jobs,
        "rules": rule_runtimes(jobs),
    }
