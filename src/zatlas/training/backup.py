"""The training state after the last finished epoch, in a folder Snakemake never deletes.

After every epoch the whole state -- weights, optimizer, the sampling layer's RNG state, the
epoch and the history so far -- goes to the backup folder. The weights go to a new file and
`state.json`, which names that file, is replaced atomically, so a kill at any instant
leaves the last finished epoch restorable. One trainer at a time: a lock file in the folder
(flock, released by the kernel when its process dies) stops a second writer.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from zatlas.errors import ZatlasError

if TYPE_CHECKING:  # the config module needs jsonschema; a bare GPU machine may not
    from zatlas.config import ModelSpec, TrainSpec

STATE = "state.json"
LOCK = ".lock"


def fingerprint(spec: ModelSpec, train: TrainSpec, images: np.ndarray, train_idx) -> str:
    """What a backup must match to be resumed (not `epochs`: training longer is fine)."""
    keep = {k: v for k, v in asdict(train).items() if k in ("batch_size", "learning_rate")}
    keep.update(
        clipnorm=train.clipnorm,
        seed=train.seed,
        mixed_precision=train.mixed_precision,
        model=asdict(spec),
        images=list(images.shape),
        n_train=int(len(train_idx)),
        head=hashlib.md5(np.asarray(images[train_idx[:64]]).tobytes()).hexdigest(),
    )
    return hashlib.sha256(json.dumps(keep, sort_keys=True, default=str).encode()).hexdigest()


class Backup:
    """The training state after the last finished epoch, in a folder Snakemake never deletes.

    Use as a context manager to hold the folder's lock while training.
    """

    def __init__(self, folder: str | Path, fingerprint: str):
        self.folder = Path(folder)
        self.fingerprint = fingerprint
        self._lock: int | None = None

    def __enter__(self) -> Backup:
        self.lock()
        return self

    def __exit__(self, *exc) -> None:
        self.unlock()

    def lock(self) -> None:
        """Take the folder's lock, or stop: another trainer is writing this backup."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / LOCK
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                owner = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
                os.close(fd)
                raise ZatlasError(
                    f"another training (process {owner}) is writing the backup in "
                    f"{self.folder}: wait for it to finish, or stop that process (for "
                    "example a job left running after 'snakemake --unlock') and rerun"
                ) from None
            # the holder may have removed the folder between our open and our lock
            try:
                same = os.stat(path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._lock = fd

    def unlock(self) -> None:
        if self._lock is not None:
            os.close(self._lock)  # releases the flock
            self._lock = None

    def load(self, model, epochs: int) -> tuple[int, list[dict]]:
        """Restore weights, optimizer and RNG into `model`; return (epochs done, history)."""
        path = self.folder / STATE
        if not path.exists():
            return 0, []
        try:
            state = json.loads(path.read_text())
            weights = self.folder / state["weights"]
            stale = (
                "another config or data"
                if state.get("fingerprint") != self.fingerprint
                else f"{state['epoch']} epochs, more than the {epochs} asked for"
                if state["epoch"] > epochs
                else None
            )
            if stale:
                print(f"backup in {self.folder} holds {stale}: starting from epoch 1", flush=True)
                self.clear()
                return 0, []
            if not model.optimizer.built:
                model.optimizer.build(model.trainable_variables)
            model.load_weights(weights)
        except (OSError, ValueError, KeyError) as exc:
            print(f"backup in {self.folder} is unreadable ({exc}): starting from epoch 1")
            self.clear()
            return 0, []
        model.set_rng_state(state.get("rng"))
        print(f"resuming from the backup of epoch {state['epoch']} in {self.folder}", flush=True)
        return int(state["epoch"]), list(state["history"])

    def save(self, model, epoch: int, history: list[dict]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"epoch-{epoch:04d}.weights.h5"
        model.save_weights(self.folder / name, overwrite=True)
        _fsync(self.folder / name)
        state = {
            "fingerprint": self.fingerprint,
            "epoch": epoch,
            "weights": name,
            "rng": model.rng_state(),
            "history": history,
        }
        tmp = self.folder / (STATE + ".tmp")
        tmp.write_text(json.dumps(state))
        _fsync(tmp)
        os.replace(tmp, self.folder / STATE)  # atomic: the old state stays valid until here
        for old in self.folder.glob("epoch-*.weights.h5"):
            if old.name != name:
                old.unlink()

    def clear(self) -> None:
        """Remove the backup (the folder too once training is over and unlocked)."""
        if self._lock is None:
            shutil.rmtree(self.folder, ignore_errors=True)
            return
        for path in self.folder.iterdir():  # keep the lock file we hold
            if path.name != LOCK:
                shutil.rmtree(path) if path.is_dir() else path.unlink()

    def remove(self) -> None:
        """Delete the whole folder, lock included, and release the lock."""
        shutil.rmtree(self.folder, ignore_errors=True)
        self.unlock()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
