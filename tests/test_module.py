"""zatlas deployed as a module of another workflow (Snakemake's `module` + `use rule *`),
run from another folder through its first stages on the tiny synthetic config: every path
of the workflow's own files must resolve from its folder, not the working directory."""

import os
import re
import subprocess

import yaml

from tests.conftest import REPO, SNAKEMAKE, TINY

HOST = """\
configfile: "config/config.yaml"


module zatlas:
    snakefile:
        "{snakefile}"
    config:
        config["zatlas"]


use rule * from zatlas as zatlas_*
"""


def test_zatlas_runs_as_a_module_of_another_workflow(tmp_path):
    host = tmp_path / "host"
    (host / "config").mkdir(parents=True)
    (host / "config" / "config.yaml").write_text(yaml.safe_dump({"zatlas": TINY}))
    (host / "Snakefile").write_text(HOST.format(snakefile=REPO / "workflow" / "Snakefile"))
    proc = subprocess.run(
        [str(SNAKEMAKE), "--cores", "1", "results/smoke/data/prepare.json"],
        cwd=host,
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    # the rules run under the host's prefix, each its own stage, and write in the host's folder
    assert "zatlas_acquire" in proc.stderr and "zatlas_prepare" in proc.stderr
    summary = yaml.safe_load((host / "results/smoke/data/prepare.json").read_text())
    assert summary["n_images"] == TINY["data"]["n_images"]
    assert (host / "resources" / "synthetic_n240_seed7" / "source.json").exists()
    assert not (REPO / "results" / "smoke" / "data" / "prepare.json").exists()


def test_both_entry_points_run_the_whole_study_by_default(tmp_path):
    """The top-level Snakefile includes workflow/Snakefile; an include cannot set the
    default target, so without its own the repository's `snakemake` would do nothing."""
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(yaml.safe_dump(TINY))
    for snakefile in (REPO / "Snakefile", REPO / "workflow" / "Snakefile"):
        proc = subprocess.run(
            [
                str(SNAKEMAKE),
                "-n",
                "-s",
                str(snakefile),
                "-d",
                str(tmp_path),
                "--configfile",
                str(cfg),
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert "Nothing to be done" not in proc.stdout + proc.stderr, snakefile
        jobs = re.search(r"output files have to be generated:\s*\n\s*(.+)", proc.stdout)
        assert jobs and "report" in jobs.group(1).split(", "), snakefile
