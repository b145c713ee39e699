import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = Path(__file__).resolve().parents[1]
# umap-learn's compiled code (and pynndescent's), kept across test sessions: the UMAP jobs
# of the smoke run and the UMAP unit tests compile once per checkout, not once per job
os.environ.setdefault("NUMBA_CACHE_DIR", str(REPO / ".pytest_cache" / "numba"))
# JAX's compiled programs likewise (the JAX pass, the TF <-> JAX exchange), each kept however
# briefly it compiled: the same model's steps compile once per checkout, not once per
# process and test (the JAX pass: 126 CPU-s without, 82 with a cold cache, 35 warm)
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(REPO / ".pytest_cache" / "jax"))
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"


@pytest.fixture
def schema_path() -> Path:
    return SCHEMA


SNAKEMAKE = Path(sys.executable).with_name("snakemake")

TINY = {
    "run": "smoke",
    "seed": 7,
    "data": {"dataset": "synthetic", "n_images": 240, "image_size": 32},
    "architecture": {"z_dim": 32, "filters": [8, 16, 32, 32]},
    "training": {"epochs": 2, "batch_size": 32},
    "models": {"ae": {"type": "ae"}, "vae_tiny": {"type": "vae", "kl_factor": 1.0e-5}},
    "analysis": {
        "pca": {"planes": [[1, 2], [2, 5]], "zooms": [None, 2]},
        "tsne": {
            "n_points": [150, 100000],
            "params": [{"perplexity": 10, "early_exaggeration": 12}],
            "pca_components": [2],
            "n_iter": 300,
        },
        "kmeans": {"k_min": 2, "k_max": 12, "k_step": 2, "n_seeds": 2},
        "samples": {"n": 8, "n_reconstructions": 4},
        "sampling": {"n_scored": 100},
        "structure": {"tsne_perplexity": 12},
    },
}


def snakemake(workdir: Path, config: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run(
        [
            str(SNAKEMAKE),
            "-s",
            str(REPO / "Snakefile"),
            "--directory",
            str(workdir),
            "--configfile",
            str(config),
            *args,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=1200,
    )


def _run_smoke(work: Path) -> str | None:
    """Run the tiny config in `work`; None when it succeeded, else Snakemake's output."""
    work.mkdir(parents=True, exist_ok=True)
    cfg = work / "tiny.yaml"
    cfg.write_text(yaml.safe_dump(TINY))
    proc = snakemake(work, cfg, "--cores", "2")
    return None if proc.returncode == 0 else proc.stdout[-3000:] + proc.stderr[-6000:]


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    """The tiny config run through the whole DAG once per session: results/smoke/.

    The costliest fixture of the suite, so it is run once even under pytest-xdist: the
    first worker to ask runs it in the session's shared temporary folder while holding a
    lock, the others wait for that lock and read the same results (or the same failure).
    """
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        work = tmp_path_factory.mktemp("smoke")
        failure = _run_smoke(work)
        assert failure is None, failure
        return work / "results" / "smoke"
    shared = tmp_path_factory.getbasetemp().parent  # this session's, one per xdist run
    work = shared / "smoke"
    with open(shared / "smoke.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        done, failed = work / "smoke.done", work / "smoke.failed"
        if not done.exists() and not failed.exists():
            failure = _run_smoke(work)
            if failure is None:
                done.write_text("")
            else:
                failed.write_text(failure)
    assert not failed.exists(), failed.read_text()
    return work / "results" / "smoke"


# -- pytest-xdist (pyproject's addopts: two workers) -------------------------------------
# The slow tests mostly wait on subprocesses (Snakemake jobs, SLURM, the JAX pass, Chromium),
# so two workers overlap them even on 2 cores. Each worker takes whole modules (module
# fixtures are built once); the modules that read the smoke run go to one worker together,
# so that no other worker sits waiting for it; the slowest modules are handed out first.
SMOKE_READERS = ("tests/test_explore_browser.py", "tests/test_report.py", "tests/test_workflow.py")
# the SLURM module after the JAX pass: its last test compares with the smoke run, which
# the other worker is still making if the two start together
SLOWEST_FIRST = (
    *SMOKE_READERS,
    "tests/unit/test_models.py",
    "tests/test_slurm.py",
    "tests/test_external_workflow.py",
    "tests/unit/test_umap.py",
    "tests/test_resume.py",
    "tests/unit/test_training.py",
    "tests/test_folder_workflow.py",
)


def _module(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def pytest_collection_modifyitems(config, items):
    if os.environ.get("PYTEST_XDIST_WORKER"):  # collection order is the hand-out order
        rank = {module: i for i, module in enumerate(SLOWEST_FIRST)}
        items.sort(key=lambda item: rank.get(_module(item.nodeid), len(rank)))


class _ByModule:
    """xdist's scheduler, one work unit per module (the smoke run's readers: one unit)."""

    @pytest.hookimpl
    def pytest_xdist_make_scheduler(self, config, log):
        from xdist.scheduler import LoadScopeScheduling

        class ByModule(LoadScopeScheduling):
            def _split_scope(self, nodeid: str) -> str:
                module = _module(nodeid)
                return "smoke run" if module in SMOKE_READERS else module

        config.option.loadscopereorder = False  # keep SLOWEST_FIRST's order
        return ByModule(config, log)


def pytest_configure(config):
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_ByModule(), "zatlas-xdist-scheduler")
