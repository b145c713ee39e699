"""The demo's jobs on a machine without a GPU: no queue for a GPU slot, training on half
the cores (two models, or a model and the analyses of another, share them), and one thread
for each analysis of fewer than 10,000 points, all read from two dry runs on 6 cores."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ANALYSES = ("structure", "intrinsic_dim", "sampling", "attributes", "pca", "kmeans", "tsne")
MOST = {"pca": 2}  # the rules' own threads; the other analyses have 4


def dry_run(workdir: Path, *configfiles: Path) -> str:
    snakemake = Path(sys.executable).with_name("snakemake")
    cmd = [str(snakemake), "-n", "-p", "--cores", "6", "--directory", str(workdir)]
    cmd += ["--configfile", str(REPO / "config" / "demo.yaml"), *map(str, configfiles)]
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    out = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout + out.stderr


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    """The demo's dry run, and the same with 20,000 images and a 20,000-point t-SNE."""
    tmp = tmp_path_factory.mktemp("plans")
    bigger = tmp / "bigger.yaml"  # configfiles merge in order
    bigger.write_text("data: {n_images: 20000}\nanalysis: {tsne: {n_points: [3000, 20000]}}\n")
    return dry_run(tmp / "small"), dry_run(tmp / "large", bigger)


def jobs(text: str, rule: str) -> list[str]:
    blocks = re.split(r"\n(?=(?:local)?rule \w+:)", text)
    found = [b for b in blocks if re.match(rf"(?:local)?rule {rule}:", b)]
    assert found, rule
    return found


def reserved(block: str) -> int:
    shown = re.search(r"threads: (\d+)", block)  # Snakemake leaves out 1 thread
    return int(shown.group(1)) if shown else 1


def test_without_gpu_no_gpu_slot_and_training_takes_half_the_cores(plans):
    small, _ = plans
    for rule in ("train", "encode", "encode_vae", "sampling", "traversals"):
        for block in jobs(small, rule):
            assert "gpu=0" in block, block
    for rule in ("train", "encode", "encode_vae"):
        assert {reserved(b) for b in jobs(small, rule)} == {3}, rule


def test_small_analyses_reserve_one_thread_large_ones_more(plans):
    small, large = plans
    for rule in (*ANALYSES, "traversals", "interpolations", "explore"):
        assert {reserved(b) for b in jobs(small, rule)} == {1}, rule
    for rule in ANALYSES[:-1]:
        assert {reserved(b) for b in jobs(large, rule)} == {MOST.get(rule, 4)}, rule
    # t-SNE decides per variant, by its own subset
    tsne = {
        re.search(r"variant=\w+-n(\d+)-", b).group(1) + f":{reserved(b)}"
        for b in jobs(large, "tsne")
    }
    assert tsne == {"3000:1", "20000:4"}
