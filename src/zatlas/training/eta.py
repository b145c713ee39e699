"""How long training has left, and when that deserves a warning: pure arithmetic."""

from __future__ import annotations

import statistics

LONG_RUN_S = 1800.0  # a CPU run expected to take longer than this gets the warning
WARMUP_BATCHES = 3  # batches left out of a measured rate (tracing, compiling, caches)


def format_duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def epoch_eta(batches_done: int, steps: int, seconds: float) -> float:
    """Seconds left in an epoch of `steps` batches after `batches_done` took `seconds`."""
    if batches_done <= 0:
        return float("nan")
    return seconds / batches_done * (steps - batches_done)


def models_after(later_models: int, side_by_side: int = 1) -> int:
    """Whole model trainings the run lasts after this one's: the later models beyond those
    training beside this one now, `side_by_side` at a time (3 models, 2 side by side: one)."""
    slots = max(1, side_by_side)
    waiting = max(0, later_models - (slots - 1))  # the others in this model's batch run now
    return -(-waiting // slots)


def run_eta(epoch_seconds: list[float], epochs_left: int, later_epochs: int = 0) -> tuple:
    """(seconds left for this model, seconds left for all models) from the median epoch.

    `later_epochs`: the epochs the run still lasts after this model's (see models_after),
    each over the same images (the AE and the VAEs of one config cost about the same per
    epoch).
    """
    per_epoch = statistics.median(epoch_seconds)
    return per_epoch * epochs_left, per_epoch * (epochs_left + later_epochs)


def cpu_warning(
    images_per_s: float,
    images_left: int,
    threads: int,
    models: int,
    long_s: float = LONG_RUN_S,
    wall_images: int | None = None,
) -> str | None:
    """A loud warning when training on the CPU alone will take long, from a measured rate.

    `images_left`: images still to pass through training, this model's and every later
    model's; `models`: how many models that counts (this one included); `wall_images`:
    the images this job's rate must still get through before the last model is done,
    where models train side by side (default: all of them, one model after another).
    """
    seconds = (images_left if wall_images is None else wall_images) / images_per_s
    if seconds < long_s:
        return None
    bar = "!" * 88
    what = "this model" if models == 1 else f"this and {models - 1} more models"
    return (
        f"{bar}\nWARNING: training on the CPU alone ({threads} threads) at a measured "
        f"{images_per_s:.0f} images/s: about {format_duration(seconds)} for {what} "
        f"({images_left:,} images to train on).\nA GPU is strongly advised "
        "(pip install 'zatlas[gpu]', or the slurm profile).\n"
        f"{bar}"
    )
