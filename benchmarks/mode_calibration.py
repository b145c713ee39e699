"""How often the axes analysis calls a unimodal axis multimodal, and how often it finds a
real second mode, at the study's sizes.

Each seed draws one axis of every shape and runs `axes.axis_table` on them (the function
the axes stage calls). Unimodal shapes: Gaussian, Laplace, t(3), t(5), half-normal,
exponential, log-normal, uniform (the flattest top a unimodal density has, the hardest
case). Multimodal: N(+-1, 0.5^2) halves, equal and 1:3, and N(+-0.6, 0.5^2) halves (a 9%
dip). Prints, per shape and size, the share of seeds with more than one mode, and the
median FWHM and mode where one applies. Default seeds start at 1000: the constants in
`zatlas.analysis.modes` were chosen on seeds 0-19 and 100-149.

    python benchmarks/mode_calibration.py                          # 3,000 and 20,000 points
    python benchmarks/mode_calibration.py --sizes 202599 --seeds 100
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from zatlas.analysis.axes import axis_table


def shapes(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    halves = rng.choice([-1.0, 1.0], n)
    return {
        "gaussian": rng.standard_normal(n),
        "laplace": rng.laplace(0, 1, n),
        "t3": rng.standard_t(3, n),
        "t5": rng.standard_t(5, n),
        "half-normal": np.abs(rng.standard_normal(n)),
        "exponential": rng.exponential(1.0, n),
        "log-normal": rng.lognormal(0, 0.5, n),
        "uniform": rng.uniform(-1, 1, n),
        "bimodal +-1": rng.normal(0, 0.5, n) + halves,
        "bimodal 1:3": rng.normal(0, 0.5, n) + np.where(rng.random(n) < 0.25, -1.0, 1.0),
        "bimodal +-0.6": rng.normal(0, 0.5, n) + 0.6 * halves,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[3000, 20_000])
    parser.add_argument("--seeds", type=int, default=500)
    parser.add_argument("--first-seed", type=int, default=1000)
    args = parser.parse_args()
    print("shape            n        seeds  multimodal  median FWHM  median mode")
    for n in args.sizes:
        start, cpu = time.time(), time.process_time()
        tables = []
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            cols = shapes(n, np.random.default_rng(seed))
            z = np.stack(list(cols.values()), axis=1).astype(np.float32)
            tables.append(axis_table(z, 0.25)[0])
        for i, shape in enumerate(cols):
            rows = [table.iloc[i] for table in tables]
            multi = np.mean([r["n_modes"] > 1 for r in rows])
            fwhm = np.nanmedian([r["fwhm"] for r in rows]) if multi < 1 else np.nan
            mode = np.nanmedian([r["mode"] for r in rows]) if multi < 1 else np.nan
            print(f"{shape:15s} {n:7d} {len(rows):7d} {multi:10.3f} {fwhm:12.4f} {mode:12.4f}")
        wall, used = time.time() - start, time.process_time() - cpu
        print(f"# n = {n}: {wall:.0f} s wall, {used:.0f} s CPU", flush=True)


if __name__ == "__main__":
    main()
