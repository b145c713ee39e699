"""The full study rehearsed on synthetic faces: per-rule time and memory, extrapolated to CelebA.

Runs the pipeline on synthetic faces (generated as 178x218 JPEGs like CelebA's, then
prepared), trains the AE and the tiny-KL VAE for a few epochs, runs the blog's analyses
(radius, axes, pca, tsne, kmeans, vae_stats, samples) with the blog's settings,
then prints every rule's wall time, CPU time and peak memory from its Snakemake benchmark
file, and an extrapolation to the full config (config/config.yaml: 202,599 faces at 96 px,
24 epochs, every model) on 2 and on 16 cores.

    python benchmarks/full_scale.py                            # CelebA's size (~30 min, 2 cores)
    python benchmarks/full_scale.py --n 20000 --size 64 --tsne-points 10000 --few-tsne --nice 10
    python benchmarks/full_scale.py --analyse-only --workdir DIR   # re-read a kept run

How the extrapolation models each rule's CPU time (N = faces, px = pixels per face):
acquire and prepare ~ N (every face is a 178x218 JPEG whatever the target size); train:
measured at the full config's image size and batch size on a few batches per model kind
(the probe: CPU seconds per training image and per validation image), times the training
and validation images of every epoch (zatlas.scaling); encode ~ N x px above TensorFlow's
start-up (the CPU time of the constant-size `samples` rule); radius, axes, pca, vae_stats
~ N; kmeans: the subset fits cost the same at any N >= fit_points, only the refinement and
inertia passes over all points grow with N, at the cost per point of the stage's own Lloyd
step, measured (zatlas.scaling); tsne ~ points per run, for every run of the full config;
samples, compare, report: constant per model. Wall time on C cores assumes ideal thread
scaling: train and encode run one job at a time (they share `gpu=1`) on min(threads, C)
threads; the analyses run side by side.

At reduced N the k-means sweep costs about what it costs at full size (each fit runs on a
20,000-point subset), so on a busy machine it dominates a short rehearsal: leave it out
with `--rules radius,pca,tsne,vae_stats,samples` and take its cost from benchmarks/kmeans.py.
Memory at full size is the measured peak plus the growth of the N-sized arrays the rule
maps or copies (images, latents, t-SNE's input rows): an upper bound, as if every mapped
page stayed resident. Disk: arrays
exactly from their shapes, every other file linearly in N (an upper bound).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
# The blog's analyses, the last rules to run (`--until` runs their inputs too); not compare,
# whose inputs include the analyses beyond the blog.
BLOG_RULES = ["radius", "pca", "tsne", "kmeans", "vae_stats", "samples"]
EXPECTED = {"acquire", "prepare", "train", "encode", "radius", "axes", "pca", "tsne"}
EXPECTED |= {"kmeans", "vae_stats", "samples"}
PER_N = {"acquire", "prepare", "radius", "axes", "pca", "vae_stats", "kmeans", "inertia"}
THREADS = {"train": 8, "encode": 4, "prepare": 4, "tsne": 4, "kmeans": 4, "inertia": 4, "pca": 2}


def rehearsal_config(args) -> dict:
    cfg = {
        "run": "rehearsal",
        "seed": args.seed,
        "data": {"dataset": "synthetic", "n_images": args.n, "image_size": args.size},
        "training": {"epochs": args.epochs},
        "models": {"ae": {"type": "ae"}, "vae_tiny": {"type": "vae", "kl_factor": 1.0e-5}},
        "analysis": {"tsne": {"n_points": [args.tsne_points]}},
    }
    if args.few_tsne:
        # the per-point rate of each kind (z, PCA first) is what the extrapolation needs
        cfg["analysis"]["tsne"]["params"] = [{"perplexity": 30, "early_exaggeration": 12}]
        cfg["analysis"]["tsne"]["pca_components"] = [2]
    return cfg


# CelebA's official partition (list_eval_partition.txt): train, validation, test
CELEBA_SPLITS = (162_770, 19_867, 19_962)


def split_sizes(full: dict) -> tuple[int, int]:
    """Training and validation images per epoch of the full config."""
    from zatlas.config import n_available

    if full["data"]["dataset"] == "celeba" and not full["data"]["n_images"]:
        n_train, n_valid, _ = CELEBA_SPLITS
    else:
        n = n_available(full)
        fractions = full["data"]["split_fractions"]
        n_train, n_valid = int(n * fractions[0]), int(n * fractions[1])
    return n_train, (n_valid if full["training"]["validation"] else 0)


def probe_training(full: dict, batches: int, threads: int, work: Path) -> dict:
    """CPU seconds per training image and per validation image of each model kind, at the
    full config's image size, batch size and architecture: one untimed epoch of `batches`
    batches (tracing), then one timed (process CPU time: every thread)."""
    import keras

    sys.path.insert(0, str(REPO / "benchmarks"))
    from train_throughput import synthetic_images

    from zatlas import training as tr
    from zatlas.config import ModelSpec, TrainSpec
    from zatlas.stages.files import limit_threads

    limit_threads(threads, tensorflow=True)
    train = TrainSpec.from_config(full)
    n = train.batch_size * batches
    images = synthetic_images(n, full["data"]["image_size"])
    idx = np.arange(n)
    rates = {}
    for name, model_cfg in full["models"].items():
        if model_cfg["type"] in rates:  # one model per kind: the KL factor costs nothing
            continue
        spec = ModelSpec.from_config(full, name)
        backup = tr.Backup(work / f"probe-{name}", "probe")
        model, data, _, _ = tr.setup(spec, train, images, idx, idx, False, backup)

        def epoch(model=model, data=data):
            model.fit(
                getattr(data.train, "dataset", data.train),
                epochs=1,
                steps_per_epoch=data.steps_per_epoch,
                shuffle=False,
                verbose=0,
            )

        def validate(model=model, data=data):
            model.evaluate(getattr(data.valid, "dataset", data.valid), verbose=0)

        epoch(), validate()  # tracing
        start = time.process_time()
        epoch()
        per_train = (time.process_time() - start) / n
        start = time.process_time()
        validate()
        per_valid = (time.process_time() - start) / n
        rates[model_cfg["type"]] = (per_train, per_valid)
        keras.backend.clear_session()
        print(
            f"probe {name} ({model_cfg['type']}) at {spec.image_size} px: "
            f"{1 / per_train:.0f} training images per CPU-second, "
            f"{1 / per_valid:.0f} validation images per CPU-second",
            flush=True,
        )
    return rates


def probe_lloyd(ks, d: int, n: int = 20_000) -> dict:
    """CPU seconds per point of one Lloyd step (the kmeans stage's own) at each k, on one
    BLAS thread (idle BLAS threads spin, which a loaded machine counts as CPU time)."""
    from threadpoolctl import threadpool_limits

    from zatlas.analysis.kmeans import lloyd_step

    x = np.random.default_rng(0).normal(size=(n, d)).astype(np.float32)
    out = {}
    with threadpool_limits(1):
        for k in ks:
            centres = x[:k].copy()
            lloyd_step(x, centres)  # warm-up
            start = time.process_time()
            lloyd_step(x, centres)
            out[k] = (time.process_time() - start) / n
    return out


def full_config() -> dict:
    sys.path.insert(0, str(REPO / "src"))
    from zatlas.config import validate_config

    cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    return validate_config(cfg, REPO / "workflow" / "schemas" / "config.schema.yaml")


def run_pipeline(workdir: Path, cfg: dict, cores: int, niceness: int, rules) -> float:
    cfg_path = workdir / "rehearsal.yaml"
    cfg_path.write_text(yaml.safe_dump(cfg))
    snakemake = Path(sys.executable).with_name("snakemake")
    cmd = [str(snakemake), "-s", str(REPO / "Snakefile"), "--directory", str(workdir)]
    cmd += ["--configfile", str(cfg_path), "--cores", str(cores), "--resources", "gpu=1"]
    cmd += ["--until", *rules]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    start = time.perf_counter()
    with open(workdir / "snakemake.log", "w") as log:
        proc = subprocess.run(
            cmd,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            preexec_fn=(lambda: os.nice(niceness)) if niceness else None,
        )
    if proc.returncode:
        sys.exit(f"the rehearsal failed; see {workdir / 'snakemake.log'}")
    return time.perf_counter() - start


def benchmarks(workdir: Path, run: str) -> pd.DataFrame:
    """One row per job: rule, job, wall s, CPU s, peak RSS (MB)."""
    rows = []
    files = list((workdir / "results" / run / "benchmarks").rglob("*.tsv"))
    files += list((workdir / "resources").glob("*/acquire.benchmark.tsv"))
    for path in sorted(files):
        t = pd.read_csv(path, sep="\t")
        rule = "acquire" if path.name == "acquire.benchmark.tsv" else path.parent.name
        rows.append(
            {
                "rule": rule,
                "job": path.stem,
                "wall_s": float(t["s"].iloc[0]),
                "cpu_s": float(t["cpu_time"].iloc[0]),
                "rss_mb": float(pd.to_numeric(t["max_rss"], errors="coerce").fillna(0).iloc[0]),
            }
        )
    return pd.DataFrame(rows)


def disk(workdir: Path, run: str) -> dict:
    """Bytes: images, latents and everything else under results/, plus the raw faces."""
    results = workdir / "results" / run
    sizes = {"images": 0, "latents": 0, "other": 0}
    for f in results.rglob("*"):
        if f.is_file():
            key = "images" if f.name == "images.npy" else "other"
            key = "latents" if "latents" in f.parts else key
            sizes[key] += f.stat().st_size
    sizes["raw"] = sum(f.stat().st_size for f in (workdir / "resources").rglob("*") if f.is_file())
    return sizes


def kind_of(job: str, models: dict) -> str:
    """The model type of a job named after its model (`ae`, `vae_tiny_z-n5000-...`)."""
    for name in sorted(models, key=len, reverse=True):
        if job == name or job.startswith(name + "_"):
            return models[name]["type"]
    return "ae"


def sweep_of(cfg: dict):
    from zatlas.scaling import KMeansSweep

    km = cfg["analysis"]["kmeans"]
    ks = tuple(range(km["k_min"], km["k_max"] + 1, km["k_step"]))
    return KMeansSweep(ks, km["n_seeds"], km["fit_points"], km["refine_iter"])


def extrapolate(jobs: pd.DataFrame, cfg: dict, full: dict, probes: dict | None = None):
    """Per rule: CPU s at full size, and the parameters used. `probes`: the training rates
    at the full size ("train": {kind: (CPU s per training image, per validation image)})
    and the Lloyd step's cost ("lloyd": {k: CPU s per point}); without them, train and
    kmeans fall back to the linear scaling (x N x px, x N)."""
    from zatlas.config import n_available
    from zatlas.scaling import kmeans_cpu_s, train_cpu_s
    from zatlas.stages.tsne import tsne_variants

    probes = probes or {}

    n, n_full = n_available(cfg), n_available(full)
    r_n = n_full / n
    r_px = (full["data"]["image_size"] / cfg["data"]["image_size"]) ** 2
    r_ep = full["training"]["epochs"] / cfg["training"]["epochs"]
    kinds = [spec["type"] for spec in full["models"].values()]
    models = cfg["models"]
    jobs = jobs.assign(kind=[kind_of(j, models) for j in jobs["job"]])
    out = []
    for rule, group in jobs.groupby("rule", sort=False):
        per_kind = group.groupby("kind")["cpu_s"].mean().to_dict()
        if rule == "tsne":
            cpu = _tsne_full(group, cfg, full, tsne_variants)
            how = "x points, every full-config run (a lower bound: t-SNE grows faster)"
        elif rule in ("acquire", "prepare"):
            cpu, how = group["cpu_s"].sum() * r_n, "x N"
        elif rule == "train" and "train" in probes:
            start = min(_startup(jobs), 0.5 * min(per_kind.values()))
            n_train, n_valid = split_sizes(full)
            epochs = full["training"]["epochs"]
            cpu = 0.0
            for k in kinds:
                per_train, per_valid = probes["train"][k]
                cpu += start + train_cpu_s(n_train, epochs, per_train)
                cpu += train_cpu_s(n_valid, epochs, per_valid)
            how = "per model: (train + valid images) x epochs at the probe's full-size rate"
        elif rule == "kmeans" and "lloyd" in probes:
            lloyd = probes["lloyd"]
            ks = sorted(lloyd)

            def step(k, ks=ks, lloyd=lloyd):
                return float(np.interp(k, ks, [lloyd[j] for j in ks]))

            one = kmeans_cpu_s(
                sweep_of(cfg), group["cpu_s"].mean(), n, sweep_of(full), n_full, step
            )
            cpu, how = one * len(kinds), "subset fits as measured + passes over all N, per model"
        elif rule in ("train", "encode"):
            # TensorFlow's start-up (import, build, load) does not grow with N: take it
            # from the constant-size TensorFlow rule and scale only the rest
            start = min(_startup(jobs), 0.5 * min(per_kind.values()))
            factor = r_n * r_px * (r_ep if rule == "train" else 1)
            cpu = sum(
                start + (per_kind.get(k, max(per_kind.values())) - start) * factor for k in kinds
            )
            how = "x N x px" + (" x epochs" if rule == "train" else "") + ", per model"
        elif rule in PER_N:
            n_models = len(kinds) if rule != "vae_stats" else kinds.count("vae")
            cpu, how = group["cpu_s"].mean() * n_models * r_n, "x N, per model"
        elif rule == "samples":
            cpu, how = group["cpu_s"].mean() * len(kinds), "constant, per model"
        else:
            cpu, how = group["cpu_s"].sum(), "constant"
        rss = group["rss_mb"].max()
        out.append(
            {
                "rule": rule,
                "jobs": len(group),
                "wall_s": group["wall_s"].sum(),
                "cpu_s": group["cpu_s"].sum(),
                "rss_mb": rss,
                "full_cpu_s": cpu,
                "full_max_job_cpu_s": cpu / max(_n_jobs(rule, kinds, full, tsne_variants), 1),
                "full_rss_mb": rss + (_mapped(rule, full) - _mapped(rule, cfg)) / 1e6,
                "scaling": how,
            }
        )
    return pd.DataFrame(out)


def _n_jobs(rule, kinds, full, tsne_variants) -> int:
    if rule == "tsne":
        return len(kinds) * len(tsne_variants(full))
    if rule == "vae_stats":
        return kinds.count("vae")
    return 1 if rule in ("acquire", "prepare", "compare", "report") else len(kinds)


def _tsne_full(group: pd.DataFrame, cfg: dict, full: dict, tsne_variants) -> float:
    runs = tsne_variants(cfg)
    per_point = {}
    for job in group.itertuples():
        variant = next(v for v in runs if job.job.endswith(v))
        key = runs[variant]["pca_components"] is None
        per_point.setdefault(key, []).append(job.cpu_s / runs[variant]["n_points"])
    rate = {k: sum(v) / len(v) for k, v in per_point.items()}
    total = 0.0
    for spec in tsne_variants(full).values():
        key = spec["pca_components"] is None
        total += spec["n_points"] * rate.get(key, max(rate.values()))
    return total * len(full["models"])


def _startup(jobs: pd.DataFrame) -> float:
    found = jobs.loc[jobs["rule"] == "samples", "cpu_s"]
    return float(found.min()) if len(found) else 0.0


def _mapped(rule: str, cfg: dict) -> float:
    """Bytes of the N-sized arrays a rule maps or copies (all pages resident at worst)."""
    from zatlas.config import n_available
    from zatlas.stages.tsne import tsne_point_counts

    n, size = n_available(cfg), cfg["data"]["image_size"]
    z = n * cfg["architecture"]["z_dim"] * 4
    images = n * size * size * 3
    return {
        "prepare": images,
        "train": images,
        "encode": images + 3 * z,
        "radius": z,
        "axes": z,
        "pca": z,
        "kmeans": z,
        "inertia": z,
        "vae_stats": 3 * z,
        # the input rows, as float32 and float64 copies
        "tsne": max(tsne_point_counts(cfg)) * cfg["architecture"]["z_dim"] * 12,
    }.get(rule, 0.0)


def wall_on(table: pd.DataFrame, cores: int) -> dict:
    """Seconds per part on `cores` cores, under ideal thread scaling."""
    parts = {}
    for rule in ("acquire", "prepare", "train", "encode"):
        row = table[table["rule"] == rule]
        if len(row):
            threads = min(THREADS.get(rule, 1), cores)
            parts[rule] = float(row["full_cpu_s"].iloc[0]) / threads
    rest = table[~table["rule"].isin(list(parts))]
    longest = max(
        (r.full_max_job_cpu_s / min(THREADS.get(r.rule, 1), cores) for r in rest.itertuples()),
        default=0.0,
    )
    parts["analyses"] = max(rest["full_cpu_s"].sum() / cores, longest)
    parts["total"] = sum(parts.values())
    return parts


def gb(x: float) -> str:
    return f"{x / 1e9:.2f} GB"


def hours(s: float) -> str:
    return f"{s / 3600:.1f} h" if s >= 3600 else f"{s / 60:.1f} min"


def report(workdir: Path, cfg: dict, total_wall: float | None) -> None:
    full = full_config()
    from zatlas.config import n_available

    run = cfg["run"]
    jobs = benchmarks(workdir, run)
    probes = read_probes(workdir)
    table = extrapolate(jobs, cfg, full, probes)
    n, n_full = n_available(cfg), n_available(full)
    print(
        f"rehearsal: {n} synthetic faces at {cfg['data']['image_size']} px, "
        f"{cfg['training']['epochs']} epoch(s), models {', '.join(cfg['models'])}, "
        f"t-SNE at {cfg['analysis']['tsne']['n_points'][0]} points"
        + (f"; {total_wall:.0f} s wall in all" if total_wall else "")
    )
    print(
        f"full config: {n_full} faces at {full['data']['image_size']} px, "
        f"{full['training']['epochs']} epochs, models {', '.join(full['models'])}\n"
    )
    print(
        f"{'rule':10s} {'jobs':>4s} {'wall s':>8s} {'CPU s':>8s} {'peak MB':>8s}"
        f" | {'full CPU':>9s} {'full peak MB':>12s}  scaling"
    )
    for r in table.itertuples():
        print(
            f"{r.rule:10s} {r.jobs:4d} {r.wall_s:8.1f} {r.cpu_s:8.1f} {r.rss_mb:8.0f}"
            f" | {hours(r.full_cpu_s):>9s} {r.full_rss_mb:12.0f}  {r.scaling}"
        )
    missing = sorted(EXPECTED - set(table["rule"]))
    if missing:
        print(f"not measured (not in this run): {', '.join(missing)}")
    print(
        f"\nsum of job wall times: {table['wall_s'].sum():.0f} s; "
        f"peak memory of one job: {table['rss_mb'].max():.0f} MB"
    )
    sizes = disk(workdir, run)
    z_dim = full["architecture"]["z_dim"]
    n_latent_files = sum(3 if s["type"] == "vae" else 1 for s in full["models"].values())
    full_sizes = {
        "images": n_full * full["data"]["image_size"] ** 2 * 3,
        "latents": n_full * z_dim * 4 * n_latent_files,
        "other": sizes["other"] * n_full / n,
        "raw (CelebA zip)": 1_443_490_838,
    }
    print("\ndisk: rehearsal " + ", ".join(f"{k} {gb(v)}" for k, v in sizes.items()))
    print(
        "disk: full config "
        + ", ".join(f"{k} {gb(v)}" for k, v in full_sizes.items())
        + f"; total {gb(sum(full_sizes.values()))}"
    )
    print("\nfull config, ideal thread scaling (train 8 threads, encode 4, one at a time):")
    for cores in (2, 16):
        parts = wall_on(table, cores)
        print(f"  {cores:2d} cores: " + ", ".join(f"{k} {hours(v)}" for k, v in parts.items()))
    print("\nagainst the full-size measurements (README, 'What the full study needs'):")
    for rule, ref in REFERENCE_CPU_S.items():
        row = table[table["rule"] == rule]
        if len(row):
            est = float(row["full_cpu_s"].iloc[0])
            print(
                f"  {rule:8s} estimate {hours(est):>9s} CPU, measured {hours(ref):>9s} CPU: "
                f"{est / ref - 1:+.0%}"
            )
    out = workdir / "full_scale.json"
    out.write_text(
        json.dumps(
            {
                "rehearsal": cfg,
                "total_wall_s": total_wall,
                "rules": table.to_dict(orient="records"),
                "disk_rehearsal": sizes,
                "disk_full": full_sizes,
                "wall_full": {c: wall_on(table, c) for c in (2, 16)},
                "probes": {k: {str(j): v for j, v in p.items()} for k, p in probes.items()},
            },
            indent=2,
        )
    )
    print(f"\nnumbers: {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=202_599, help="synthetic faces")
    parser.add_argument("--size", type=int, default=96, help="image size in px")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--tsne-points", type=int, default=20_000)
    parser.add_argument(
        "--few-tsne", action="store_true", help="one z and one PCA t-SNE run per model"
    )
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--nice", type=int, default=0, help="run the pipeline at this niceness")
    parser.add_argument(
        "--rules",
        default=",".join(BLOG_RULES),
        help="the last rules to run, comma-separated (their inputs run too)",
    )
    parser.add_argument("--workdir", help="keep the run here (default: a temporary folder)")
    parser.add_argument("--analyse-only", action="store_true", help="re-read --workdir")
    parser.add_argument(
        "--probe-batches", type=int, default=6, help="batches per timed epoch of the probe"
    )
    parser.add_argument(
        "--no-probe",
        action="store_true",
        help="no training or Lloyd probe: train and kmeans scale linearly (the old, wrong way)",
    )
    args = parser.parse_args()

    cfg = rehearsal_config(args)
    if args.analyse_only:
        if not args.workdir:
            sys.exit("--analyse-only needs --workdir")
        work = Path(args.workdir)
        cfg = yaml.safe_load((work / "rehearsal.yaml").read_text())
        report(work, full_config_defaults(cfg), None)
        return
    work = Path(args.workdir or tempfile.mkdtemp(prefix="zatlas-full-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.nice:
        os.nice(args.nice)
    if not args.no_probe:
        run_probes(work, args)
    wall = run_pipeline(work, cfg, args.cores, 0, args.rules.split(","))
    report(work, full_config_defaults(cfg), wall)


# The full-size measurements of README "What the full study needs", in CPU seconds for
# the whole full config: train 8.3 h on 2 cores (both busy); the k-means sweep 137 s of
# CPU per model (benchmarks/kmeans.py --full-kmeans --sweep, 162,770 points).
REFERENCE_CPU_S = {"train": 8.3 * 3600 * 2, "kmeans": 137.0 * 3}


def run_probes(work: Path, args) -> None:
    """The training and Lloyd-step probes at the full config's sizes, kept in probes.json."""
    full = full_config()
    # one thread: CPU seconds per image without the idle spinning of a thread pool (which
    # a loaded machine inflates); wall on C cores assumes ideal scaling, as for every rule
    train = probe_training(full, args.probe_batches, 1, work)
    sweep = sweep_of(full)
    lloyd = probe_lloyd(sorted(set(sweep.ks) | set(range(2, 81, 2))), full["architecture"]["z_dim"])
    probes = {"train": train, "lloyd": lloyd}
    (work / "probes.json").write_text(
        json.dumps({k: {str(j): v for j, v in p.items()} for k, p in probes.items()}, indent=2)
    )


def read_probes(work: Path) -> dict:
    path = work / "probes.json"
    if not path.exists():
        return {}
    raw = json.loads(path.read_text())
    return {
        "train": {k: tuple(v) for k, v in raw.get("train", {}).items()},
        "lloyd": {int(k): v for k, v in raw.get("lloyd", {}).items()},
    }


def full_config_defaults(cfg: dict) -> dict:
    """The rehearsal config with the schema's defaults filled in."""
    sys.path.insert(0, str(REPO / "src"))
    from zatlas.config import validate_config

    return validate_config(cfg, REPO / "workflow" / "schemas" / "config.schema.yaml")


if __name__ == "__main__":
    main()
