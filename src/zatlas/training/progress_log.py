"""The progress lines of a training run: a line about every 30 s inside an epoch (batch,
images/s, the epoch's ETA), one per epoch with the ETA of this model and of every model
still to train, and a CPU warning from the measured rate."""

from __future__ import annotations

import os
import time

import keras

from zatlas.training.eta import (
    WARMUP_BATCHES,
    cpu_warning,
    epoch_eta,
    format_duration,
    models_after,
    run_eta,
)

PROGRESS_INTERVAL_S = 30.0


class ProgressLogger(keras.callbacks.Callback):
    """Lines about the run: every `interval` s inside an epoch, and at each epoch's end."""

    async_safe = True  # prints only; never waits for the step

    def __init__(
        self,
        guard,
        n_images,
        epochs,
        batch_size,
        later_models,
        threads,
        on_cpu,
        interval,
        side_by_side: int = 1,
    ):
        super().__init__()
        self.guard = guard
        self.n_images, self.epochs, self.batch_size = n_images, epochs, batch_size or 1
        self.later_models, self.threads, self.on_cpu = later_models, threads, on_cpu
        # how long the run lasts after this model: later models, `side_by_side` at a time
        self.after = models_after(later_models, side_by_side)
        self.interval = interval
        self.seconds: list[float] = []
        self.warning: str | None = None
        self.warmed: tuple[int, float] | None = None  # (batches, time) after warm-up

    def _steps(self) -> int:
        return int((self.params or {}).get("steps") or -(-self.n_images // self.batch_size))

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch + 1
        self.start = self.last = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        now, done = time.perf_counter(), batch + 1
        if self.warmed is None and done >= WARMUP_BATCHES:
            self.warmed = (done, now)
        self._maybe_warn(done, now)
        if now - self.last < self.interval:
            return
        self.last = now
        steps, seconds = self._steps(), now - self.start
        images = min(done * self.batch_size, self.n_images)
        print(
            f"epoch {self.epoch}/{self.epochs}: batch {done}/{steps}, "
            f"{images / seconds:.0f} images/s, epoch ends in "
            f"{format_duration(epoch_eta(done, steps, seconds))}",
            flush=True,
        )

    def _maybe_warn(self, done: int, now: float) -> None:
        """Once, in the first epoch this run trains, from the rate after warm-up."""
        if not self.on_cpu or self.warning is not None or self.seconds or not self.warmed:
            return
        first, then = self.warmed
        if done - first < 5 or now - then < 2.0:
            return
        rate = (done - first) * self.batch_size / (now - then)
        mine = self.n_images * (self.epochs - self.epoch + 1) - done * self.batch_size
        message = cpu_warning(
            rate,
            mine + self.later_models * self.epochs * self.n_images,
            self.threads or os.cpu_count() or 1,
            1 + self.later_models,
            wall_images=mine + self.after * self.epochs * self.n_images,
        )
        self.warning = message or ""
        if message:
            print(message, flush=True)

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self.start
        failure = self.guard.failure
        if failure is not None:  # report what ran, not a whole epoch
            images = min(failure.batches * self.batch_size, self.n_images)
            rate = f", {images / seconds:.0f} images/s" if seconds > 0 else ""
            print(
                f"epoch {epoch + 1}/{self.epochs} stopped after {failure.batches} batches "
                f"({seconds:.1f} s{rate}): {failure.term} {failure.where} "
                f"= {failure.value:.5g}",
                flush=True,
            )
            return
        self.seconds.append(seconds)
        mine, everyone = run_eta(self.seconds, self.epochs - epoch - 1, self.after * self.epochs)
        left = f"about {format_duration(mine)} left"
        if self.later_models:
            left += (
                f", {format_duration(everyone)} for all {self.later_models + 1} models "
                "still to train"
            )
        parts = ", ".join(f"{k}={float(v):.5g}" for k, v in (logs or {}).items())
        print(
            f"epoch {epoch + 1}/{self.epochs}: {seconds:.1f} s, "
            f"{self.n_images / seconds:.0f} images/s, {left}; {parts}",
            flush=True,
        )
