"""A folder data set through real Snakemake runs (up to images.npy): a file changed in place
reruns what reads it, a touched file reruns nothing, and two configs on one folder never
rerun each other."""

import json
import os
import re
import shutil

import numpy as np
import pandas as pd
import pytest
import yaml

from tests.conftest import TINY, snakemake
from tests.folder_fixture import write_tiles

N = 64


def config(work, run, seed, **data):
    cfg = json.loads(json.dumps(TINY))
    cfg.update(run=run, seed=seed)
    cfg["data"] = {"dataset": "folder", "path": str(work / "photos"), "image_size": 16, **data}
    path = work / f"{run}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def make(work, cfg, run):
    proc = snakemake(work, cfg, "--cores", "1", f"results/{run}/data/images.npy")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    return proc.stdout + proc.stderr


def ran(log: str) -> set[str]:
    """The rules a Snakemake run ran, from its 'Finished jobid: 1 (Rule: X)' lines."""
    return set(re.findall(r"Finished jobid: \d+ \(Rule: (\w+)\)", log))


@pytest.fixture
def work(tmp_path):
    names = write_tiles(tmp_path / "photos", N)
    (tmp_path / "names.json").write_text(json.dumps(names))
    return tmp_path


def test_an_image_replaced_in_place_reruns_acquire_and_prepare(work):
    names = json.loads((work / "names.json").read_text())
    cfg = config(work, "a", seed=1)
    assert ran(make(work, cfg, "a")) >= {"acquire", "prepare"}
    images = work / "results/a/data/images.npy"
    before = np.load(images)
    # touched, or copied onto itself: the content is the same, nothing reruns
    os.utime(work / "photos" / names[3])
    assert ran(make(work, cfg, "a")) == set()
    # one image replaced by another (the same count, the same name)
    shutil.copy(work / "photos" / names[7], work / "photos" / names[0])
    assert ran(make(work, cfg, "a")) >= {"acquire", "prepare"}
    after = np.load(images)
    assert not np.array_equal(after[0], before[0])
    np.testing.assert_array_equal(after[1:], before[1:])
    assert np.array_equal(after[0], after[names.index(names[7])])


def test_an_edited_attributes_file_reruns_prepare(work):
    names = json.loads((work / "names.json").read_text())
    attrs = work / "attrs.csv"
    attrs.write_text("image_id,Smiling\n" + "".join(f"{n},1\n" for n in names))
    cfg = config(work, "a", seed=1, attributes=str(attrs))
    make(work, cfg, "a")
    table = work / "results/a/data/attributes.parquet"
    assert (pd.read_parquet(table)["Smiling"] == 1).all()
    attrs.write_text("image_id,Smiling\n" + "".join(f"{n},-1\n" for n in names))
    assert "prepare" in ran(make(work, cfg, "a"))
    assert (pd.read_parquet(table)["Smiling"] == -1).all()


def test_two_configs_on_one_folder_do_not_rerun_each_other(work):
    a = config(work, "a", seed=1)
    b = config(work, "b", seed=2, n_images=48)
    make(work, a, "a")
    stamp = (work / "results/a/data/images.npy").stat().st_mtime_ns
    assert ran(make(work, b, "b")) == {"prepare"}  # the folder's record is shared
    assert ran(make(work, a, "a")) == set()
    assert (work / "results/a/data/images.npy").stat().st_mtime_ns == stamp
    splits = {r: json.loads((work / f"results/{r}/data/prepare.json").read_text()) for r in "ab"}
    assert splits["a"]["seed"] == 1 and splits["b"]["seed"] == 2
    assert splits["b"]["n_images"] == 48
