"""Cost models of the rules whose cost does not grow like "N x pixels" (benchmarks/full_scale.py).

A reduced rehearsal (20,000 faces at 64 px) cannot be scaled linearly to the full study:

- **train**: a convolutional model's cost per image does not follow its pixel count from
  64 px to 96 px (the layer shapes, and how well the kernels fill the vector units, change
  with the size), so the rate is measured at the target size on a few batches
  (`images x epochs x CPU-seconds per image`, per model kind), checked against the rule's
  own epoch in a rehearsal at that size (`train_from_job`);
- **kmeans**: each fit converges on a fixed subset of `fit_points` points whatever N is,
  then runs `refine_iter` Lloyd steps (and one inertia pass) on all N points: only that part
  grows with N. Its cost per point is measured with the stage's own Lloyd step;
- **tsne**: a fixed part (start-up, the optimiser's per-iteration grid, figures) and a part
  per point, measured by running it at two sizes (the per-point part at larger sizes
  when given: it falls with N up to about 80,000 points);
- **radius, axes, pca, vae_stats**: the job as measured plus the growth of its work from the
  rehearsal's N to the full N, measured by running the stage's own code at both sizes (so
  the start-up and the fixed-size figures are not multiplied by N/n).

A job's CPU time comes from its Snakemake benchmark record, which stops at its last sample
(`job_cpu_s`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def sampled_until(wall_s: float, short: float = 15.0, interval: float = 30.0) -> float:
    """When Snakemake's benchmark last sampled a job of `wall_s` seconds: it samples the
    job's CPU time every 0.5 s for the first `short` seconds, then every `interval`
    seconds, and keeps the last sample (none at the job's end)."""
    if wall_s <= short:
        return wall_s
    return short + interval * ((wall_s - short) // interval)


def job_cpu_s(cpu_s: float, wall_s: float) -> float:
    """A job's CPU seconds from its benchmark record: the sampled CPU time carried to the
    job's end at the rate it ran until the last sample (the record misses up to 30 s of
    wall time at the end of any job longer than 15 s)."""
    until = sampled_until(wall_s)
    return cpu_s * wall_s / until if until > 0 else cpu_s


def train_cpu_s(n_train: int, epochs: int, cpu_s_per_image: float) -> float:
    """CPU seconds to train one model: every training image once per epoch."""
    return n_train * epochs * cpu_s_per_image


def epoch_images(n_train: int, n_valid: int, epochs: int, valid_weight: float) -> float:
    """Training-image equivalents of `epochs` epochs: a validation image (a forward pass,
    no gradient) costs `valid_weight` training images, as measured by the probe."""
    return epochs * (n_train + valid_weight * n_valid)


def train_from_job(
    job_cpu_s: float, start_cpu_s: float, images_measured: float, images_full: float
) -> float:
    """CPU seconds of a training job at full size from the same rule measured at the same
    image size on fewer images: its start-up (imports, building, tracing) once, the rest
    per training-image equivalent (`epoch_images`)."""
    start = min(start_cpu_s, job_cpu_s)
    return start + (job_cpu_s - start) * images_full / images_measured


@dataclass(frozen=True)
class KMeansSweep:
    """The fits of one model's sweep: k values x seeds, each fit on min(N, fit_points)."""

    ks: tuple[int, ...]
    n_seeds: int
    fit_points: int | None
    refine_iter: int

    def subset(self, n: int, k: int) -> int:
        if self.fit_points is None:
            return n
        return min(n, max(self.fit_points, 10 * k))  # as analysis.kmeans.fit_kmeans

    def full_passes(self, n: int, k: int) -> int:
        """Lloyd-step-sized passes over all N points: the refinement and the inertia
        (none when the subset is all the points: the fit's own iterations cover them)."""
        return self.refine_iter + 1 if self.subset(n, k) < n else 1


def kmeans_cpu_s(
    measured: KMeansSweep,
    measured_cpu_s: float,
    n_measured: int,
    full: KMeansSweep,
    n_full: int,
    step_cpu_s,
) -> float:
    """One model's sweep `full` at `n_full` points from the cost of the sweep `measured`
    at `n_measured` points.

    step_cpu_s(k) is the CPU seconds of one Lloyd step per point at k clusters. The
    measured cost minus its passes over all points is the subset fits' cost; it scales with
    the points the fits see (the same at both N once N >= fit_points, for the same k and
    seeds); the passes over all points are added at n_full."""

    def passes(sweep: KMeansSweep, n: int) -> float:
        return sum(sweep.n_seeds * sweep.full_passes(n, k) * n * step_cpu_s(k) for k in sweep.ks)

    def fitted(sweep: KMeansSweep, n: int) -> float:  # points x k the subset fits see
        return sum(sweep.n_seeds * sweep.subset(n, k) * k for k in sweep.ks)

    subset_part = max(measured_cpu_s - passes(measured, n_measured), 0.0)
    return subset_part * fitted(full, n_full) / fitted(measured, n_measured) + passes(full, n_full)


def fit_fixed_and_rate(sizes, cpu_s) -> tuple[float, float]:
    """(fixed CPU s, CPU s per point) of `cpu = fixed + rate x size`, least squares over
    the measured sizes. One size (or a fit with a negative fixed part, which noise can
    give): all of the cost is taken as per point, an upper bound when extrapolating up."""
    x, y = np.asarray(sizes, float), np.asarray(cpu_s, float)
    if len(set(x.tolist())) > 1:
        rate, fixed = np.polyfit(x, y, 1)
        if fixed >= 0 and rate > 0:
            return float(fixed), float(rate)
    return 0.0, float(y.sum() / x.sum())


def tsne_cpu_s(measured: dict, runs, rate: float | None = None) -> float:
    """CPU seconds of the t-SNE runs `runs` ((points, on PCA?) pairs) from the jobs
    `measured` {(points, on PCA?): [CPU s, ...]}. Runs on z: fixed + rate x points, fitted
    on the sizes measured on z; or, given the `rate` per point measured at larger sizes
    (the optimiser's cost per point falls with N up to about 80,000 points), the line of
    that slope through the largest z job. Runs after PCA (the same optimiser, another
    neighbour search): the z cost at their size times the PCA/z cost ratio at a size
    measured for both (or the z cost when no PCA run was measured)."""
    mean = {key: sum(v) / len(v) for key, v in measured.items()}
    z_sizes = sorted(n for n, pca in mean if not pca)
    if rate is None:
        fixed, rate = fit_fixed_and_rate(z_sizes, [mean[(n, False)] for n in z_sizes])
    else:
        fixed = mean[(z_sizes[-1], False)] - rate * z_sizes[-1]

    def on_z(n):
        return fixed + rate * n

    both = [n for n, pca in mean if pca and (n, False) in mean]
    ratio = 1.0
    if both:
        ratio = sum(mean[(n, True)] for n in both) / sum(mean[(n, False)] for n in both)
    return sum(on_z(n) * (ratio if pca else 1.0) for n, pca in runs)


def grown_cpu_s(job_cpu_s: float, stage_cpu_s_small: float, stage_cpu_s_full: float) -> float:
    """A job measured at the rehearsal's N plus the growth of its work to the full N, the
    stage's own code timed at both sizes in one process (imports and start-up paid once,
    not scaled)."""
    return job_cpu_s + max(stage_cpu_s_full - stage_cpu_s_small, 0.0)


def compare(estimate: float, reference: float) -> tuple[float, bool]:
    """(estimate / reference, whether it lands within 25 %)."""
    return estimate / reference, within(estimate, reference)


def within(estimate: float, reference: float, tolerance: float = 0.25) -> bool:
    """Whether an estimate lands within `tolerance` (relative) of the measured reference."""
    return abs(estimate - reference) <= tolerance * reference
