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


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    """The tiny config run through the whole DAG once per session: results/smoke/."""
    work = tmp_path_factory.mktemp("smoke")
    cfg = work / "tiny.yaml"
    cfg.write_text(yaml.safe_dump(TINY))
    proc = snakemake(work, cfg, "--cores", "2")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    return work / "results" / "smoke"
