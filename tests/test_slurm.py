"""The tiny smoke config on a real single-node SLURM cluster, through profiles/slurm.

`make test-slurm` (or `make test` with CI set) runs the cluster test: it installs
slurm-wlm and munge when missing, starts munged, slurmctld and slurmd in a temporary folder
and runs the DAG twice through the executor plugin:

1. with retries off, cancelling the first encode job with `scancel`: Snakemake must say
   which SLURM job was cancelled and stop with an error;
2. the rerun, with the profile's retries and one injected failure (the first radius job
   exits 1): it must pick up where run 1 stopped, retry the failed job, and finish.

Then every job must have gone through SLURM and the numbers must equal the local smoke
run's (same config and seed). The checks on the profile itself need no cluster.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from tests.conftest import REPO, SNAKEMAKE, TINY
from zatlas.hardware import model_threads

PROFILE = REPO / "profiles" / "slurm" / "config.yaml"
PARTITION = "debug"
# One model's branch of the DAG, as small as still proves the profile: acquire, prepare,
# train and encode (the chain that run 1 cancels in), radius (the job whose injected
# failure run 2 retries; single-threaded) and the two multi-threaded analyses, k-means and
# t-SNE (2 CPUs each on the cluster: the profile's threads must reach the job; their
# numbers must still equal the local run's, where small analyses reserve one thread).
# Each SLURM job starts Snakemake twice and imports its stack, so the whole
# DAG (~40 jobs) takes over 15 minutes on 2 cores. ZATLAS_SLURM_TEST_ALL=1 runs it.
MODEL = "vae_tiny"
TARGETS = [
    f"results/{TINY['run']}/analysis/{MODEL}/{rel}"
    for rel in ("radius/density.csv", "kmeans/sweep.csv", "tsne/pca2-n150-p10-ee12.csv")
]
# every table and summary those jobs write, compared with the local run's
COMPARED = [
    f"analysis/{MODEL}/{rel}"
    for rel in (
        "radius/density.csv",
        "radius/summary.json",
        "kmeans/sweep.csv",
        "kmeans/summary.json",
        "tsne/pca2-n150-p10-ee12.csv",
        "tsne/pca2-n150-p10-ee12.json",
    )
]
SUBMITTED = re.compile(r"Job (\d+) has been submitted with SLURM jobid (\d+) \(log: (\S+)\)")


def workflow_rules() -> list[str]:
    rules = []
    for smk in [
        REPO / "workflow" / "Snakefile",
        *sorted((REPO / "workflow" / "rules").glob("*.smk")),
    ]:
        text = smk.read_text()
        rules += re.findall(r"^(?:rule|checkpoint)\s+(\w+)\s*:", text, re.M)
        rules += re.findall(r"^use rule \w+ as (\w+)", text, re.M)
    return rules


def profile() -> dict:
    return yaml.safe_load(PROFILE.read_text())


# -- the profile, without a cluster --------------------------------------------------------


def test_profile_names_only_rules_of_the_workflow():
    cfg = profile()
    rules = set(workflow_rules())
    named = set(cfg["set-resources"]) | set(cfg["set-threads"])
    assert named <= rules, named - rules
    assert cfg["executor"] == "slurm" and cfg["retries"] >= 1 and cfg["rerun-incomplete"]
    assert cfg["latency-wait"] >= 30 and cfg["jobs"] >= 10


def test_profile_sends_training_and_encoding_to_gpus_and_gives_analyses_more_cpus():
    cfg = profile()
    res, threads = cfg["set-resources"], cfg["set-threads"]
    for rule in ("train", "encode", "encode_vae"):
        assert res[rule]["gpu"] == 1, rule
    defaults = cfg["default-resources"]
    assert defaults["cpus_per_task"] == "threads"
    for rule in ("tsne", "kmeans"):
        assert threads[rule] > 1 and res[rule]["mem_mb"] > defaults["mem_mb"], rule
    # partition and account are the user's to set, never hard-coded here
    assert not {"slurm_partition", "slurm_account"} & set(defaults)
    # the local profile's gpu=1 cap must not serialise the cluster's GPU jobs
    assert cfg["set-resource-scopes"]["gpu"] == "local"


def test_tensorflow_follows_the_rules_thread_count():
    code = (
        "from zatlas.stages.files import limit_threads; import tensorflow as tf;"
        "limit_threads(3, tensorflow=True);"
        "from threadpoolctl import threadpool_info;"
        "print(tf.config.threading.get_intra_op_parallelism_threads(),"
        "tf.config.threading.get_inter_op_parallelism_threads(),"
        "max([p['num_threads'] for p in threadpool_info()] or [3]))"
    )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.split()[-3:] == ["3", "1", "3"]


# -- the real cluster ---------------------------------------------------------------------


def cluster_profile(dest: Path, cpus: int) -> Path:
    """profiles/slurm, adapted to a one-node test cluster without GPUs and little memory."""
    cfg = profile()
    cfg["default-resources"] = {
        **cfg["default-resources"],
        "slurm_partition": PARTITION,
        "mem_mb": 500,
    }
    for rule in workflow_rules():
        res = cfg["set-resources"].setdefault(rule, {})
        res.pop("gpu_model", None)
        res.update(gpu=0, mem_mb=500)
    # the local smoke run uses --cores 2: the same thread counts give the same numbers
    cfg["max-threads"] = min(cpus, 2)
    # TensorFlow's sums depend on its thread count, and the local run (no GPU, 2 cores)
    # trains and encodes on half the cores (zatlas.hardware.model_threads): so do these
    local = model_threads(2, gpu=False)
    cfg["set-threads"].update({r: local for r in ("train", "encode", "encode_vae")})
    cfg["keep-going"] = True
    # no slurmdbd here: squeue reports finished jobs until MinJobAge (see slurm_cluster.py)
    cfg["slurm-status-command"] = "squeue"
    cfg["slurm-init-seconds-before-status-checks"] = 1
    cfg["slurm-keep-successful-logs"] = True
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    return dest


# How often the submitting Snakemake asks SLURM for its jobs' state, in seconds. The plugin
# adds 10 s to its interval after every check in which no job finished (to spare a busy
# cluster's controller), so a job of 15 s is seen finished after 33 s and one of 40 s after
# 64 s: over a minute per run of this test's chain of short jobs. How often it polls is not
# what the test checks; the plugin's status parsing and retries run unchanged.
POLL_SECONDS = 2
POLL = """\
# injected by tests/test_slurm.py: the submitting Snakemake (the process given --profile)
# checks its jobs every {seconds} s instead of backing off by 10 s per check.
import sys
if "--profile" in sys.argv:
    import snakemake_executor_plugin_slurm as _slurm
    _slurm.Executor.next_seconds_between_status_checks = property(
        lambda self: {seconds}, lambda self, value: None
    )
"""

FAIL_ONCE = """\
# injected by tests/test_slurm.py: the first {rule} job exits 1, later ones run. Every rule
# runs the same stage script, so the job is told by the rule its Snakemake process targets.
import os, sys
from pathlib import Path
_flag = Path({flag!r})
_args = sys.argv[1:]
_targets = [b for a, b in zip(_args, _args[1:]) if a == "--target-jobs"]
if any(t.strip("'\\"").startswith("{rule}:") for t in _targets) and not _flag.exists():
    _flag.write_text(os.environ.get("SLURM_JOB_ID", "?"))
    sys.stderr.write("zatlas test: injected failure in SLURM job " + _flag.read_text() + "\\n")
    sys.exit(1)
"""


def jobs_in_slurm(cluster) -> list[dict]:
    """Every job slurmctld still knows (MinJobAge is an hour): id, state, executor comment."""
    out = cluster.squeue("--states=all", "-o", "%i|%T|%k")
    rows = [line.split("|", 2) for line in out.splitlines() if line.strip()]
    return [{"id": i, "state": s, "comment": c} for i, s, c in rows]


def rule_of(comment: str) -> str:
    return re.sub(r"_wildcards_.*$", "", comment).removeprefix("rule_")


def dry_run_jobs(work: Path, cfg: Path, targets: list[str]) -> Counter:
    proc = subprocess.run(
        [str(SNAKEMAKE), "-s", str(REPO / "Snakefile"), "-d", str(work), "--configfile",
         str(cfg), "-n", "--quiet", "rules", "--workflow-profile", "none", "--cores", "1",
         *targets],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    table = proc.stdout.split("Job stats:")[-1].split("Reasons:")[0]
    counts = Counter()
    for line in table.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit() and parts[0] not in ("total", "job"):
            counts[parts[0]] = int(parts[1])
    return counts


def run_on_cluster(work, cfg, prof, cluster, *args, env=None, on_running=None):
    """snakemake --profile PROF in WORK; on_running(squeue rows) is polled while it runs."""
    cmd = [str(SNAKEMAKE), "-s", str(REPO / "Snakefile"), "--directory", str(work),
           "--configfile", str(cfg), "--profile", str(prof), *args]  # fmt: skip
    run_env = {**cluster.env, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})}
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=run_env
    )
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(proc.stdout), daemon=True)
    reader.start()
    deadline = time.monotonic() + 600
    while proc.poll() is None:
        if time.monotonic() > deadline:
            proc.kill()
            raise TimeoutError("snakemake on SLURM ran over 10 minutes:\n" + "".join(output))
        if on_running is not None:
            on_running(jobs_in_slurm(cluster))
        time.sleep(0.5)
    reader.join(10)
    return proc.returncode, "".join(output)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    from tests.slurm_cluster import LocalSlurm, SlurmUnavailable, ensure_installed

    try:
        ensure_installed()
    except SlurmUnavailable as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(exc))
    started = LocalSlurm(tmp_path_factory.mktemp("slurm"), partition=PARTITION)
    try:
        started.start()
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def cluster_run(cluster, tmp_path_factory):
    """Run 1 (scancel, no retries), then run 2 (retry of an injected failure)."""
    work = tmp_path_factory.mktemp("slurm_work")
    cfg = work / "tiny.yaml"
    cfg.write_text(yaml.safe_dump(TINY))
    prof = cluster_profile(work / "profile", os.cpu_count() or 1)
    targets = [] if os.environ.get("ZATLAS_SLURM_TEST_ALL") else TARGETS
    expected = dry_run_jobs(work, cfg, targets)

    # a sitecustomize on PYTHONPATH reaches the submitting Snakemake and, through sbatch's
    # environment, every job's Python: the polling interval in both runs, a failure in run 2
    inject = work / "inject"
    inject.mkdir()
    site = inject / "sitecustomize.py"
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(inject), os.environ.get("PYTHONPATH")]))}
    site.write_text(POLL.format(seconds=POLL_SECONDS))

    cancelled: list[str] = []

    def cancel_first_encode(rows):
        for row in rows:
            encoding = rule_of(row["comment"]) in ("encode", "encode_vae")
            if encoding and row["state"] == "RUNNING" and not cancelled:
                subprocess.run(["scancel", row["id"]], env=cluster.env, check=True)
                cancelled.append(row["id"])

    rc1, out1 = run_on_cluster(
        work, cfg, prof, cluster, "--retries", "0", *targets, env=env,
        on_running=cancel_first_encode,
    )  # fmt: skip
    jobs1 = jobs_in_slurm(cluster)

    flag = work / "injected_failure"
    site.write_text(
        POLL.format(seconds=POLL_SECONDS) + FAIL_ONCE.format(rule="radius", flag=str(flag))
    )
    rc2, out2 = run_on_cluster(work, cfg, prof, cluster, *targets, env=env)
    jobs2 = [j for j in jobs_in_slurm(cluster) if j["id"] not in {r["id"] for r in jobs1}]
    return {
        "work": work,
        "results": work / "results" / TINY["run"],
        "expected": expected,
        "cancelled": cancelled,
        "run1": (rc1, out1, jobs1),
        "run2": (rc2, out2, jobs2),
        "flag": flag,
        "cluster": cluster,
    }


@pytest.mark.slurm
def test_scancel_is_reported_and_the_rerun_picks_up_where_it_stopped(cluster_run):
    rc1, out1, jobs1 = cluster_run["run1"]
    rc2, out2, jobs2 = cluster_run["run2"]
    assert len(cluster_run["cancelled"]) == 1, out1[-4000:]
    job_id = cluster_run["cancelled"][0]
    assert rc1 != 0
    assert f"SLURM-job '{job_id}' failed, SLURM status is: 'CANCELLED'" in out1, out1[-4000:]
    cancelled = next(j for j in jobs1 if j["id"] == job_id)
    assert cancelled["state"] == "CANCELLED"
    # run 2 submits the cancelled job again, and no job that run 1 completed
    done1 = {j["comment"] for j in jobs1 if j["state"] == "COMPLETED"}
    submitted2 = {j["comment"] for j in jobs2}
    assert cancelled["comment"] in submitted2
    assert not done1 & submitted2, done1 & submitted2
    assert {"acquire", "prepare", "train"} <= {rule_of(c) for c in done1}
    assert rc2 == 0, out2[-6000:]


@pytest.mark.slurm
def test_an_injected_failure_is_retried_by_the_profile(cluster_run):
    rc2, out2, jobs2 = cluster_run["run2"]
    failed = [j for j in jobs2 if j["state"] == "FAILED"]
    assert len(failed) == 1 and rule_of(failed[0]["comment"]) == "radius", jobs2
    assert cluster_run["flag"].read_text() == failed[0]["id"]
    assert f"SLURM-job '{failed[0]['id']}' failed" in out2
    retried = [j for j in jobs2 if j["comment"] == failed[0]["comment"] and j is not failed[0]]
    assert [j["state"] for j in retried] == ["COMPLETED"]
    assert rc2 == 0 and "steps (100%) done" in out2, out2[-6000:]


@pytest.mark.slurm
def test_every_job_went_through_slurm(cluster_run):
    _, out1, jobs1 = cluster_run["run1"]
    _, out2, jobs2 = cluster_run["run2"]
    done = [j for j in jobs1 + jobs2 if j["state"] == "COMPLETED"]
    expected = cluster_run["expected"]
    expected.pop("all", None)
    assert Counter(rule_of(j["comment"]) for j in done) == expected
    # the executor logged each submission with its sbatch job id and kept its SLURM log
    submitted = SUBMITTED.findall(out1 + out2)
    assert sorted(int(s[1]) for s in submitted) == sorted(int(j["id"]) for j in jobs1 + jobs2)
    for _, slurm_id, log in submitted:
        assert Path(log).name == f"{slurm_id}.log" and Path(log).exists(), log
    assert (cluster_run["work"] / ".snakemake" / "slurm_logs").is_dir()


TIMINGS = ["seconds"]  # wall-clock columns and keys, the one thing that may differ


def assert_same_results(res: Path, local: Path) -> None:
    """The cluster's numbers equal the local run's (same config, seed and thread counts)."""
    for rel in ("data/images.npy", "data/attributes.parquet"):
        assert (res / rel).read_bytes() == (local / rel).read_bytes(), rel
    models = [m for m in TINY["models"] if (res / f"latents/{m}/z.npy").exists()]
    assert MODEL in models
    for model in models:
        for name in ("z", "mu", "logvar") if model != "ae" else ("z",):
            a = np.load(res / f"latents/{model}/{name}.npy")
            b = np.load(local / f"latents/{model}/{name}.npy")
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5, err_msg=f"{model} {name}")
        ha = pd.read_csv(res / f"models/{model}/history.csv")
        hb = pd.read_csv(local / f"models/{model}/history.csv")
        pd.testing.assert_frame_equal(ha, hb, rtol=1e-5)
    for rel in map(Path, COMPARED):
        if rel.suffix == ".csv":
            a, b = (
                pd.read_csv(d / rel).drop(columns=TIMINGS, errors="ignore") for d in (res, local)
            )
            pd.testing.assert_frame_equal(a, b, rtol=1e-4, atol=1e-4, obj=str(rel))
        else:
            a = json.loads((res / rel).read_text())
            b = json.loads((local / rel).read_text())
            assert_same_values(a, b, str(rel))


def assert_same_values(a, b, where: str) -> None:
    """JSON values equal, numbers to 1e-4, nested dicts and lists too, timings skipped."""
    if isinstance(b, dict):
        assert isinstance(a, dict) and a.keys() == b.keys(), where
        for key, value in b.items():
            if key not in TIMINGS:
                assert_same_values(a[key], value, f"{where}: {key}")
    elif isinstance(b, list):
        assert isinstance(a, list) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same_values(x, y, f"{where}[{i}]")
    elif isinstance(b, int | float) and not isinstance(b, bool):
        assert a == pytest.approx(b, rel=1e-4, abs=1e-4), where
    else:
        assert a == b, where


@pytest.mark.slurm
def test_cluster_results_equal_the_local_run(cluster_run, smoke_run):
    assert_same_results(cluster_run["results"], smoke_run)
