"""The demo's jobs on a machine without a GPU: no queue for a GPU slot, and training on
half the cores, so that two models (or a model and the analyses of another) share them."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def dry_run(tmp_path, cores: int, env: dict, *extra: str) -> str:
    snakemake = Path(sys.executable).with_name("snakemake")
    cmd = [str(snakemake), "-n", "-p", "--cores", str(cores), "--directory", str(tmp_path)]
    cmd += ["--configfile", str(REPO / "config" / "demo.yaml"), *extra]  # merged in order
    out = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout + out.stderr


def jobs(text: str, rule: str) -> list[str]:
    blocks = re.split(r"\n(?=(?:local)?rule \w+:)", text)
    return [b for b in blocks if re.match(rf"(?:local)?rule {rule}:", b)]


@pytest.mark.parametrize(("cores", "threads"), [(2, 1), (16, 8)])
def test_without_gpu_training_takes_half_the_cores_and_no_gpu_slot(tmp_path, cores, threads):
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    text = dry_run(tmp_path, cores, env)
    for rule in ("train", "encode", "encode_vae", "sampling", "traversals"):
        found = jobs(text, rule)
        assert found, rule
        for block in found:
            assert "gpu=0" in block, block
    for block in jobs(text, "train"):
        shown = re.search(r"threads: (\d+)", block)  # Snakemake leaves out 1 thread
        assert (int(shown.group(1)) if shown else 1) == threads, block


ANALYSES = ("structure", "intrinsic_dim", "sampling", "attributes", "pca", "kmeans", "tsne")


def reserved(block: str) -> int:
    shown = re.search(r"threads: (\d+)", block)
    return int(shown.group(1)) if shown else 1


def test_small_analyses_reserve_one_thread_large_ones_more(tmp_path):
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    small = dry_run(tmp_path / "small", 4, env)
    for rule in (*ANALYSES, "traversals", "interpolations", "explore"):
        assert jobs(small, rule), rule
        assert {reserved(b) for b in jobs(small, rule)} == {1}, rule
    # 20,000 images: every analysis but the 3,000-point t-SNE variants takes more
    bigger = tmp_path / "bigger.yaml"
    bigger.write_text("data: {n_images: 20000}\nanalysis: {tsne: {n_points: [3000, 20000]}}\n")
    large = dry_run(tmp_path / "large", 4, env, "--configfile", str(bigger))
    most = {"pca": 2}  # the rules' own threads; the others have 4
    for rule in ANALYSES[:-1]:
        assert {reserved(b) for b in jobs(large, rule)} == {most.get(rule, 4)}, rule
    tsne = {
        re.search(r"variant=\w+-n(\d+)-", b).group(1) + f":{reserved(b)}"
        for b in jobs(large, "tsne")
    }
    assert tsne == {"3000:1", "20000:4"}
