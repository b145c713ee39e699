"""Callbacks of a training run: the divergence guard and the per-epoch backup, with the
progress lines of `progress_log`, in the order fit runs them (`training_callbacks`).

The guard stops only on real divergence: a non-finite value of any logged term, or the
optimised loss exploding relative to its own running level.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import keras

from zatlas.training.backup import Backup
from zatlas.training.progress_log import PROGRESS_INTERVAL_S, ProgressLogger

OPTIMISED = ("loss", "val_loss")  # the objective itself: only these may "explode"


@dataclass
class Divergence:
    """Where and how training diverged."""

    epoch: int
    term: str
    where: str
    value: float
    limit: float | None  # None: the value was not finite
    batches: int  # batches finished in `epoch` when it stopped


class DivergenceCheck:
    """Stops on real divergence only, never on a term that the objective weights away.

    Any logged value that is not finite stops training. Only the optimised loss (`loss`,
    `val_loss`) can stop it for being large: above explode_factor x its own best epoch
    mean so far, or x a blind guess (`first_limit`) before the first epoch ends. The
    unweighted KL of a tiny-KL VAE is routinely far above the blind guess while adding
    next to nothing to the objective.
    """

    def __init__(self, first_limit: float | None, explode_factor: float | None, history=()):
        self.first_limit = first_limit
        self.factor = explode_factor
        self.best = {k: min((r[k] for r in history if k in r), default=None) for k in OPTIMISED}
        self.failure: Divergence | None = None
        self.epoch = 0
        self.batches = 0

    def limit(self, term: str) -> float | None:
        best = self.best.get(term)
        if best is None or self.factor is None:
            return self.first_limit
        return self.factor * max(best, 0.0) or self.first_limit

    def check(self, logs, where: str) -> Divergence | None:
        if self.failure is not None:
            return self.failure
        for key, value in (logs or {}).items():
            try:
                value = float(value)
            except (TypeError, ValueError):
                continue
            if not math.isfinite(value):
                self.failure = Divergence(self.epoch, key, where, value, None, self.batches)
                break
            limit = self.limit(key) if key in OPTIMISED else None
            if limit is not None and value > limit:
                self.failure = Divergence(self.epoch, key, where, value, limit, self.batches)
                break
        return self.failure

    def epoch_done(self, logs) -> None:
        """Remember the best epoch means of the optimised loss (after a clean epoch)."""
        for key in OPTIMISED:
            if key in (logs or {}):
                value = float(logs[key])
                self.best[key] = value if self.best[key] is None else min(self.best[key], value)


def term_weight(term: str, kl_factor: float | None) -> str:
    """How a logged term enters the optimised objective, for messages."""
    base = term.removeprefix("val_")
    if base == "loss":
        return "the optimised objective"
    if base == "kl_loss":
        return f"weight kl_factor={kl_factor:g}" if kl_factor is not None else "weight kl_factor"
    if base == "reco_loss":
        return "weight 1"
    return "not in the objective"


def divergence_message(
    name: str,
    failure: Divergence,
    kl_factor: float | None,
    mixed_precision: str | None,
    steps: int,
    kept_epoch: int,
    backup_folder: str | Path,
) -> str:
    """The error for a stopped run: what diverged, by how much, and what may help."""
    f = failure
    where = f"{f.where} of {steps}" if f.where.startswith("at batch") else f.where
    head = (
        f"model '{name}': the loss diverged in epoch {f.epoch}: {f.term} "
        f"({term_weight(f.term, kl_factor)}) {where} "
        f"became {f.value:.4g}"
    )
    if f.limit is not None:
        head += (
            f" (limit {f.limit:.4g} = training.explode_factor x its best epoch mean so far, "
            "or x a blind guess in the first epoch)"
        )
        advice = (
            "Lower training.learning_rate or set training.clipnorm (either starts training "
            "afresh); if such a rise is expected, raise training.explode_factor (null turns "
            "this check off)"
        )
    else:
        advice = (
            "Lower training.learning_rate or set training.clipnorm (either starts training "
            "afresh), or check the data"
        )
        if f.term.removeprefix("val_") == "kl_loss":
            advice = "The KL term overflowed: the encoder's log-variance ran away. " + advice
        if mixed_precision == "float16":
            advice += "; float16 overflows above 65504: try mixed_precision bfloat16 or null"
    kept = (
        f"The backup of epoch {kept_epoch} in {backup_folder} is kept: a rerun with the "
        "same settings resumes from it."
        if kept_epoch
        else "No epoch finished, so nothing was backed up."
    )
    return f"{head}. {advice}. {kept}"


class LossGuard(keras.callbacks.Callback):
    """Checks every batch's and epoch's logs with a DivergenceCheck.

    Async-safe: batch logs are checked off the main thread, so the train step never waits
    for them; everything is settled before on_epoch_end.
    """

    async_safe = True

    def __init__(self, check: DivergenceCheck):
        super().__init__()
        self.check = check

    @property
    def failure(self) -> Divergence | None:
        return self.check.failure

    def on_epoch_begin(self, epoch, logs=None):
        self.check.epoch = epoch + 1
        self.check.batches = 0

    def _stop(self, logs, where):
        if self.check.check(logs, where) is not None:
            # not self.model: under JAX that property syncs the model's state, which from
            # this thread races the train step that owns (and donates) it
            self._model.stop_training = True

    def on_train_batch_end(self, batch, logs=None):
        if self.check.failure is None:
            self.check.batches = batch + 1
        self._stop(logs, f"at batch {batch + 1}")

    def on_epoch_end(self, epoch, logs=None):
        self._stop(logs, "at the end of the epoch")
        if self.check.failure is None:
            self.check.epoch_done(logs)


class EpochBackup(keras.callbacks.Callback):
    """Appends the epoch to the history and backs up, unless the guard stopped the epoch."""

    def __init__(self, guard: LossGuard, backup: Backup, history: list[dict]):
        super().__init__()
        self.guard, self.backup, self.history = guard, backup, history

    def on_epoch_end(self, epoch, logs=None):
        if self.guard.failure is None:
            self.history.append({"epoch": epoch + 1, **{k: float(v) for k, v in logs.items()}})
            self.backup.save(self.model, epoch + 1, self.history)


def training_callbacks(
    backup: Backup,
    history: list[dict],
    limit: float | None,
    n_images: int,
    epochs: int,
    explode_factor: float | None = None,
    batch_size: int | None = None,
    later_models: int = 0,
    threads: int | None = None,
    on_cpu: bool = False,
    interval: float = PROGRESS_INTERVAL_S,
    side_by_side: int = 1,
):
    """(loss guard, per-epoch backup, progress logger), in the order fit must run them.

    `limit`: the explosion limit of the optimised loss until an epoch has finished (then
    `explode_factor` x its best epoch mean). `later_models`: models still to train after
    this one (for the run's ETA and the CPU warning), each for `epochs` epochs,
    `side_by_side` of them at a time.
    """
    guard = LossGuard(DivergenceCheck(limit, explode_factor, history))
    logger = ProgressLogger(
        guard, n_images, epochs, batch_size, later_models, threads, on_cpu, interval, side_by_side
    )
    return guard, EpochBackup(guard, backup, history), logger
