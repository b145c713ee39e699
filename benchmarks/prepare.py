"""JPEG preparation: the naive path (full decode + crop + resize, one process) against the
project's path (`zatlas.data.prepare`), measured in the same run on the same archive.

The project's path decodes in libjpeg's draft mode (a reduced-scale decode when that still
leaves enough pixels: 64 px and below from a 178 px crop), reads members by their offsets
from one parse of the zip directory, and runs worker processes that write straight into
the memory-mapped output. Printed per image size: images/s of the naive path, of the
project's path with one worker (the per-core gain) and with --workers workers (the whole
`prepare` step, end to end), each as wall-clock images/s and as images per CPU-second (all
processes counted, so a busy machine does not distort the comparison), the ratios, and the
time extrapolated to all 202,599 CelebA images on idle cores (plus the one-off parse of a
202,599-member zip directory, measured here too).

    python benchmarks/prepare.py                         # 3,000 synthetic faces, 96 and 64 px
    python benchmarks/prepare.py --n 5000 --workers 2 --sizes 96,64,32
    python benchmarks/prepare.py --raw resources/celeba --n 20000   # the real archive

Without --raw the images are the built-in synthetic faces: 178x218 JPEGs in CelebA's layout
(about 7.6 KB each at quality 95, CelebA's average is 7.1 KB).
"""

from __future__ import annotations

import argparse
import io
import os
import tempfile
import time
import zipfile
from pathlib import Path

CELEBA_N = 202_599


def naive_prepare(zip_path: Path, names: list[str], size: int, crop: int):
    """What one writes first: decode every JPEG fully, crop, resize, stack."""
    import numpy as np
    from PIL import Image

    out = np.empty((len(names), size, size, 3), np.uint8)
    with zipfile.ZipFile(zip_path) as zf:
        for i, name in enumerate(names):
            img = Image.open(io.BytesIO(zf.read(name))).convert("RGB")
            w, h = img.size
            left, top = (w - crop) // 2, (h - crop) // 2
            img = img.crop((left, top, left + crop, top + crop))
            out[i] = np.asarray(img.resize((size, size), Image.Resampling.BILINEAR))
    return out


def timed(func, *args):
    """(wall seconds, CPU seconds of this process and its finished children)."""
    import resource

    def cpu():
        me = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime

    wall, used = time.perf_counter(), cpu()
    func(*args)
    return time.perf_counter() - wall, cpu() - used


def directory_parse_seconds(n_members: int, work: Path) -> float:
    """Time to open a zip whose directory lists `n_members` CelebA-named entries."""
    path = work / "directory.zip"
    if not path.exists():
        with zipfile.ZipFile(path, "w") as zf:
            for i in range(1, n_members + 1):
                zf.writestr(f"img_align_celeba/{i:06d}.jpg", b"")
    start = time.perf_counter()
    with zipfile.ZipFile(path) as zf:
        zf.namelist()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000, help="images (default 3000)")
    parser.add_argument("--sizes", default="96,64", help="image sizes (config: 96, demo: 64)")
    parser.add_argument("--crop", type=int, default=178)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2, help="best of this many runs each")
    parser.add_argument("--raw", help="a folder with CelebA's files instead of synthetic faces")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-directory", action="store_true", help="skip the 202,599 test")
    args = parser.parse_args()

    import numpy as np

    from zatlas.data.prepare import PrepareSpec, image_members, prepare_celeba_layout
    from zatlas.data.synthetic import write_synthetic_celeba

    with tempfile.TemporaryDirectory(prefix="zatlas-prepare-bench-") as tmp:
        work = Path(tmp)
        if args.raw:
            raw = Path(args.raw)
            source = f"{raw}/img_align_celeba.zip (first {args.n} images)"
        else:
            raw = work / "raw"
            t = time.perf_counter()
            write_synthetic_celeba(raw, args.n, args.seed)
            source = f"{args.n} synthetic faces (drawn in {time.perf_counter() - t:.0f} s)"
        with zipfile.ZipFile(raw / "img_align_celeba.zip") as zf:
            members = image_members(zf)
            names = [members[k] for k in sorted(members)[: args.n]]
            mean_kb = np.mean([zf.getinfo(n).file_size for n in names]) / 1024
        n = len(names)
        print(f"data: {source}; {n} JPEGs, mean {mean_kb:.1f} KB; crop {args.crop}")
        print(f"machine: {os.cpu_count()} CPUs visible; project path with {args.workers} workers")
        print()
        header = (
            f"{'size':>5} {'path':<20} {'img/s':>7} {'ratio':>6} {'img/CPU-s':>10} "
            f"{'202,599 on idle cores':>22} {'ratio':>6}"
        )
        print(header)
        print("-" * len(header))
        for size in [int(s) for s in args.sizes.split(",")]:
            best = {k: (np.inf, np.inf) for k in ("naive", "one", "many")}
            for _ in range(args.repeat):  # interleaved, so a noisy neighbour hits all three
                wall, cpu = timed(
                    naive_prepare, raw / "img_align_celeba.zip", names, size, args.crop
                )
                best["naive"] = tuple(map(min, best["naive"], (wall, cpu)))
                for key, workers in (("one", 1), ("many", args.workers)):
                    out = work / f"out_{key}"
                    out.mkdir(exist_ok=True)
                    spec = PrepareSpec(size, args.crop, n, "error", workers)
                    files = (out / "i.npy", out / "a.parquet", out / "s.json")
                    wall, cpu = timed(prepare_celeba_layout, raw, *files, spec)
                    best[key] = tuple(map(min, best[key], (wall, cpu)))
            rows = {
                "naive": ("naive, 1 process", 1),
                "one": ("zatlas, 1 worker", 1),
                "many": (f"zatlas, {args.workers} workers", args.workers),
            }
            # on idle cores: the CPU time spread over the workers that share it
            idle = {k: CELEBA_N / n * best[k][1] / rows[k][1] for k in rows}
            for key, (label, _) in rows.items():
                wall, cpu = best[key]
                gain = idle["naive"] / idle[key]
                print(
                    f"{size:>5} {label:<20} {n / wall:>7.0f} {best['naive'][0] / wall:>5.2f}x "
                    f"{n / cpu:>10.0f} {idle[key] / 60:>16.1f} min {gain:>5.2f}x"
                )
        print()
        print(
            "img/s: wall clock, this run; img/CPU-s: images per CPU-second, all processes "
            "counted (robust to other load on the machine); ratios: against the naive path; "
            f"best of {args.repeat} interleaved runs. '202,599 on idle cores' spreads the CPU "
            f"time over the workers: the wall time to expect for all of CelebA on {args.workers} "
            "idle cores (1 core for the 1-process rows)."
        )
        if not args.skip_directory:
            seconds = directory_parse_seconds(CELEBA_N, work)
            print(
                f"zip directory of {CELEBA_N:,} members: {seconds:.1f} s to parse. The project "
                "parses it once; opening the archive per chunk of work (50 chunks for CelebA "
                f"on 2 workers) would cost ~{50 * seconds:.0f} s of CPU."
            )


if __name__ == "__main__":
    main()
