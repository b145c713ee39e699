"""Kill a real training process mid-epoch, resume it, and get the uninterrupted result.

Two processes train the same tiny VAE with the same seed and op determinism on: A runs
through; B is stopped in the middle of epoch 3 (after the backup of epoch 2 was written) by
SIGKILL from this test, then started again. B's final weights, history.csv and latents must
equal A's bit for bit -- which also shows that the same config gives the same model.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.toy_images import write_dataset

pytest.importorskip("keras")

CHILD = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path

    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    import keras
    import numpy as np

    from zatlas.config import ModelSpec, TrainSpec
    from zatlas.encoding import encode_images, load_model
    from zatlas.training import train_model

    data, out = Path(sys.argv[1]), Path(sys.argv[2])
    pause = [int(v) for v in sys.argv[3:]]  # (epoch, batch) to stop at, 1-based epoch
    out.mkdir(parents=True, exist_ok=True)
    spec = ModelSpec("vae", "vae", 16, 8, (8, 16), 3, True, 5.0, 0.01)
    train = TrainSpec(
        epochs=4, batch_size=32, learning_rate=2e-3, clipnorm=None, validation=True,
        seed=11, deterministic=True,
    )

    class Pause(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch + 1

        def on_train_batch_begin(self, batch, logs=None):
            if pause and (self.epoch, batch) == tuple(pause):
                (out / "paused").write_text("")
                time.sleep(600)  # the test kills us here

    train_model(
        data / "images.npy", data / "attributes.parquet", spec, train,
        out / "encoder.keras", out / "decoder.keras", out / "history.csv", out / "train.json",
        out / "backup", callbacks=[Pause()],
    )
    weights = [*load_model(out / "encoder.keras").get_weights(),
               *load_model(out / "decoder.keras").get_weights()]
    np.savez(out / "weights.npz", *weights)
    encode_images(data / "images.npy", out / "encoder.keras", out / "z.npy", out / "mu.npy",
                  out / "logvar.npy", eps_clip=spec.eps_clip, seed=train.seed)
    """
)


def start(script: Path, data: Path, out: Path, *pause: int) -> subprocess.Popen:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    log = open(out.with_suffix(".log"), "a")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(
        [sys.executable, str(script), str(data), str(out), *map(str, pause)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )


def finish(proc: subprocess.Popen, out: Path, timeout: float = 240) -> None:
    rc = proc.wait(timeout=timeout)
    assert rc == 0, out.with_suffix(".log").read_text()[-4000:]


def test_killed_training_resumes_to_the_uninterrupted_result(tmp_path):
    data = tmp_path / "data"
    write_dataset(data, n=320)
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    a_out, b_out = tmp_path / "a", tmp_path / "b"

    a = start(script, data, a_out)  # uninterrupted, alongside B
    b = start(script, data, b_out, 3, 2)  # pauses before batch 3 of epoch 3
    deadline = time.monotonic() + 240
    while not (b_out / "paused").exists():
        assert b.poll() is None, b_out.with_suffix(".log").read_text()[-4000:]
        assert time.monotonic() < deadline, "the child never reached epoch 3"
        time.sleep(0.05)
    os.kill(b.pid, signal.SIGKILL)
    assert b.wait(timeout=60) == -signal.SIGKILL
    state = json.loads((b_out / "backup" / "state.json").read_text())
    assert state["epoch"] == 2 and [row["epoch"] for row in state["history"]] == [1, 2]
    assert not (b_out / "history.csv").exists()

    (b_out / "paused").unlink()
    finish(start(script, data, b_out), b_out)  # the rerun: no pause this time
    finish(a, a_out)

    summary_a = json.loads((a_out / "train.json").read_text())
    summary_b = json.loads((b_out / "train.json").read_text())
    assert summary_a["resumed_from_epoch"] == 0 and summary_b["resumed_from_epoch"] == 2
    assert len(summary_b["epoch_seconds"]) == 2  # only epochs 3 and 4 ran again
    assert "resuming from the backup of epoch 2" in b_out.with_suffix(".log").read_text()
    assert not (b_out / "backup").exists()

    history_a = (a_out / "history.csv").read_text()
    assert history_a == (b_out / "history.csv").read_text()  # bitwise, as text
    table = pd.read_csv(a_out / "history.csv")
    assert list(table["epoch"]) == [1, 2, 3, 4]
    assert {"loss", "reco_loss", "kl_loss", "val_loss", "val_reco_loss", "val_kl_loss"} <= set(
        table
    )
    wa, wb = np.load(a_out / "weights.npz"), np.load(b_out / "weights.npz")
    assert len(wa.files) == len(wb.files) > 10
    for key in wa.files:
        np.testing.assert_array_equal(wa[key], wb[key])
    for name in ("z", "mu", "logvar"):
        za, zb = np.load(a_out / f"{name}.npy"), np.load(b_out / f"{name}.npy")
        assert za.shape == (320, 8)
        np.testing.assert_array_equal(za, zb)
