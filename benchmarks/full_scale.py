"""The full study rehearsed on synthetic faces: per-rule time and memory, extrapolated to CelebA.

Runs the pipeline on synthetic faces (generated as 178x218 JPEGs like CelebA's, then
prepared), trains the AE and the tiny-KL VAE for a few epochs, runs the blog's analyses
(radius, axes, pca, tsne, kmeans, vae_stats, samples) with the blog's settings,
then prints every rule's wall time, CPU time and peak memory from its Snakemake benchmark
file, and an extrapolation to the full config (config/config.yaml: 202,599 faces at 96 px,
24 epochs, every model) on 2 and on 16 cores.

    python benchmarks/full_scale.py                            # CelebA's size (~30 min, 2 cores)
    python benchmarks/full_scale.py --n 20000 --size 96 --tsne-points 5000,20000 --few-tsne \\
        --tsne-probe --nice 10                          # the quick command (~1 h on 2 busy cores)
    python benchmarks/full_scale.py --analyse-only --workdir DIR   # re-read a kept run

How the extrapolation models each rule's CPU time (N = faces; zatlas.scaling):
acquire and prepare ~ N (every face is a 178x218 JPEG; prepare at the target size, as its
decoder's draft mode changes the cost below 64 px); train: a probe at the full config's
image and batch size (a few batches per model kind: CPU seconds per training and per
validation image) times the images of every epoch, checked against the rehearsal's own
training jobs when they ran at the full size; encode: the job plus the images it has yet
to encode at the probe's encoding rate; radius, axes, pca, vae_stats: the job plus the
growth of the stage's own work from N to the full N, timed in one process at both sizes on
synthetic latents (their start-up and fixed-size figures are not multiplied by N);
kmeans: the subset fits cost the same at any N >= fit_points, only the refinement and
inertia passes over all points grow with N, at the cost per point of the stage's own Lloyd
step, measured; tsne: a fixed and a per-point cost fitted on the sizes run (two sizes
with --tsne-points a,b), for every run of the full config; samples, compare, report:
constant per model. A job's CPU time is its Snakemake benchmark record's, carried from
the record's last sample to the job's end. Wall time on C cores without a GPU follows the
workflow's own scheduling (zatlas.hardware): train and encode jobs on half the cores each
(up to 8 threads), as many side by side as the cores hold, so the models go through in
waves; the analyses side by side; ideal thread scaling within a job. Each part is then
printed beside its full-size measurement (benchmarks/full_scale_reference.csv, the numbers
of docs/performance.md) with the ratio.

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


def rehearsal_config(args) -> dict:
    cfg = {
        "run": "rehearsal",
        "seed": args.seed,
        "data": {"dataset": "synthetic", "n_images": args.n, "image_size": args.size},
        "training": {"epochs": args.epochs},
        "models": {"ae": {"type": "ae"}, "vae_tiny": {"type": "vae", "kl_factor": 1.0e-5}},
        "analysis": {"tsne": {"n_points": [int(n) for n in str(args.tsne_points).split(",")]}},
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
        per_encode = _encode_rate(model.encoder, images)
        rates[model_cfg["type"]] = (per_train, per_valid, per_encode)
        keras.backend.clear_session()
        print(
            f"probe {name} ({model_cfg['type']}) at {spec.image_size} px: "
            f"{1 / per_train:.0f} training images per CPU-second, "
            f"{1 / per_valid:.0f} validation images per CPU-second, "
            f"{1 / per_encode:.0f} encoded images per CPU-second",
            flush=True,
        )
    return rates


def _encode_rate(encoder, images, batch: int = 512) -> float:
    """CPU seconds per image of the encode stage's loop (float32 batches of 512 through
    the encoder), after one untimed batch (tracing)."""
    x = np.asarray(images, dtype=np.float32) / 255.0
    encoder.predict_on_batch(x[:batch])
    start = time.process_time()
    for i in range(0, len(x), batch):
        encoder.predict_on_batch(x[i : i + batch])
    return (time.process_time() - start) / len(x)


def probe_lloyd(ks, d: int, n: int = 20_000) -> dict:
    """CPU seconds per point of one Lloyd step (the kmeans stage's own) at each k, on one
    BLAS thread (idle BLAS threads spin, which a loaded machine counts as CPU time)."""
    from threadpoolctl import threadpool_limits

    from zatlas.analysis import kmeans

    x = np.random.default_rng(0).normal(size=(n, d)).astype(np.float32)
    # the stage sums |x|^2 once per sweep and hands it to every step: a step given none
    # would time that float64 pass too (0.4 us per point, a third to a half of the step)
    x_sq = kmeans.squared_norm_total(x)
    out = {}
    with threadpool_limits(1):
        for k in ks:
            centres = x[:k].copy()
            kmeans.lloyd_step(x, centres, x_sq)  # warm-up
            times = []
            for _ in range(3):
                start = time.process_time()
                kmeans.lloyd_step(x, centres, x_sq)
                times.append(time.process_time() - start)
            out[k] = float(np.median(times)) / n
    return out


def probe_analyses(full: dict, n_small: int, work: Path) -> dict:
    """CPU seconds of the radius, axes, pca and vae_stats stages' own code (files in,
    files and figures out) at the rehearsal's N and at the full N, in one process on one
    BLAS thread, after a warm-up call: {stage: (CPU s at n_small, CPU s at full N)}.
    Synthetic latents: these stages' cost depends on the array's shape, not its values."""
    from threadpoolctl import threadpool_limits

    from zatlas.config import n_available
    from zatlas.stages import axes, pca, radius, vae_stats

    n_full, z_dim = n_available(full), full["architecture"]["z_dim"]
    rng = np.random.default_rng(0)
    root = work / "probe-analyses"
    root.mkdir(parents=True, exist_ok=True)
    arrays = {
        "z": rng.normal(size=(n_full, z_dim)).astype(np.float32) * rng.uniform(0.5, 5, z_dim),
        "logvar": rng.normal(-13, 1, size=(n_full, z_dim)).astype(np.float32),
    }
    arrays["mu"] = arrays["z"] + rng.normal(0, 1e-3, size=(n_full, z_dim)).astype(np.float32)
    an = full["analysis"]

    def once(n: int) -> dict:
        d = root / str(n)
        d.mkdir(exist_ok=True)
        for name, a in arrays.items():
            np.save(d / f"{name}.npy", a[:n].astype(np.float32))
        z, out = d / "z.npy", {}

        def timed(stage, fn):
            start = time.process_time()
            fn()
            out[stage] = time.process_time() - start

        timed(
            "radius",
            lambda: radius.run(z, d / "r.csv", d / "r.json", d / "r.png", "ae", **an["radius"]),
        )
        timed(
            "axes",
            lambda: axes.run(
                z,
                d / "a.csv",
                d / "ad.csv",
                d / "adom.csv",
                d / "a.json",
                d / "a1.png",
                d / "a2.png",
                "ae",
                scale=an["scale"],
                **an["axes"],
            ),
        )
        timed(
            "pca",
            lambda: pca.run(
                z,
                d / "a.csv",
                d / "pv.csv",
                d / "pv.png",
                d / "pz.csv",
                d / "p.json",
                d / "p1.png",
                d / "p2.png",
                "ae",
                scale=an["scale"],
                seed=0,
                threads=1,
                **an["pca"],
            ),
        )
        timed(
            "vae_stats",
            lambda: vae_stats.run(
                z, d / "mu.npy", d / "logvar.npy", d / "v.csv", d / "v.json", d / "v.png", "vae"
            ),
        )
        return out

    with threadpool_limits(1):
        once(2_000)  # imports, fonts, first figures
        small, big = once(n_small), once(n_full)
    for stage in small:
        print(f"probe {stage}: {small[stage]:.1f} CPU-s at {n_small}, {big[stage]:.1f} at {n_full}")
    return {stage: (small[stage], big[stage]) for stage in small}


def probe_tsne(full: dict, sizes=(20_000, 80_000)) -> dict:
    """CPU seconds of the t-SNE stage's optimisation (the full config's first parameter
    set, iterations and schedule; one thread) at `sizes` points of synthetic latents:
    its cost per point between them, which falls with N below about 80,000 points."""
    from zatlas.analysis.tsne import run_tsne
    from zatlas.stages.files import limit_threads

    limit_threads(1)
    tsne, z_dim = full["analysis"]["tsne"], full["architecture"]["z_dim"]
    params = tsne["params"][0]
    rng = np.random.default_rng(0)
    scale = rng.uniform(0.5, 5, z_dim).astype(np.float32)
    out = {}
    for n in sizes:
        x = rng.normal(size=(n, z_dim)).astype(np.float32) * scale
        start = time.process_time()
        run_tsne(
            x,
            params["perplexity"],
            params["early_exaggeration"],
            tsne["n_iter"],
            0,
            1,
            tsne["schedule"],
        )
        out[n] = time.process_time() - start
        print(f"probe tsne: {out[n]:.0f} CPU-s at {n} points", flush=True)
    return out


def probe_kmeans(work: Path, cfg: dict) -> float | None:
    """CPU seconds of the kmeans stage's sweep on the rehearsal's own AE latents on one
    thread: on a loaded machine the rule's OpenMP and BLAS threads spin while they wait,
    which counts as CPU time and is no work the full study needs on dedicated cores."""
    from threadpoolctl import threadpool_limits

    from zatlas.analysis.kmeans import inertia_sweep

    path = work / "results" / cfg["run"] / "latents" / next(iter(cfg["models"])) / "z.npy"
    if not path.exists():
        return None
    km, seed = cfg["analysis"]["kmeans"], cfg["seed"]
    x = np.load(path).astype(np.float32)
    ks = list(range(km["k_min"], km["k_max"] + 1, km["k_step"]))
    seeds = [seed + i for i in range(km["n_seeds"])]
    with threadpool_limits(1):
        start = time.process_time()
        inertia_sweep(x, ks, seeds, km["fit_points"], km["max_iter"], km["refine_iter"])
        cpu = time.process_time() - start
    print(f"probe kmeans: the sweep at {len(x)} points, one thread: {cpu:.0f} CPU-s", flush=True)
    return cpu


def full_config() -> dict:
    sys.path.insert(0, str(REPO / "src"))
    from zatlas.config import validate_config

    cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    return validate_config(cfg, REPO / "workflow" / "schemas" / "config.schema.yaml")


def until_rules(stages) -> list[str]:
    """Snakemake's `--until` for the stages named: each stage with the rules that run it
    under another name (encode's `encode_vae`), which `--until encode` alone would miss."""
    sys.path.insert(0, str(REPO / "src"))
    from zatlas.registry import RULE_ALIASES

    rules = [r for stage in stages for r in (stage, *RULE_ALIASES.get(stage, ()))]
    return list(dict.fromkeys(rules))


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
    """One row per job: rule, job, wall s, CPU s (carried to the job's end), the CPU s
    the record holds, peak RSS (MB)."""
    from zatlas.scaling import job_cpu_s

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
                # the record's CPU time stops at its last sample: carried to the job's end
                "cpu_s": job_cpu_s(float(t["cpu_time"].iloc[0]), float(t["s"].iloc[0])),
                "sampled_cpu_s": float(t["cpu_time"].iloc[0]),
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
    from zatlas.scaling import grown_cpu_s, kmeans_cpu_s, train_cpu_s
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
            cpu = _tsne_full(group, cfg, full, tsne_variants, probes)
            how = "fixed + per point (fitted on the sizes run), every full-config run"
        elif rule in probes.get("analyses", {}):
            small, big = probes["analyses"][rule]
            targets = [k for k in kinds if rule != "vae_stats" or k == "vae"]
            cpu = sum(
                grown_cpu_s(per_kind.get(k, max(per_kind.values())), small, big) for k in targets
            )
            how = "the job + its stage's growth to full N (probe), per model"
        elif rule in ("acquire", "prepare"):
            cpu, how = group["cpu_s"].sum() * r_n, "x N"
        elif rule == "train" and "train" in probes:
            start = min(_startup(jobs), 0.5 * min(per_kind.values()))
            n_train, n_valid = split_sizes(full)
            epochs = full["training"]["epochs"]
            cpu = 0.0
            for k in kinds:
                per_train, per_valid = probes["train"][k][:2]
                cpu += start + train_cpu_s(n_train, epochs, per_train)
                cpu += train_cpu_s(n_valid, epochs, per_valid)
            how = "per model: (train + valid images) x epochs at the probe's full-size rate"
        elif rule == "kmeans" and "lloyd" in probes:
            lloyd = probes["lloyd"]
            ks = sorted(lloyd)

            def step(k, ks=ks, lloyd=lloyd):
                return float(np.interp(k, ks, [lloyd[j] for j in ks]))

            # the sweep timed on one thread when the probe ran (the job's own CPU time
            # holds its threads' spinning on a loaded machine), else the job
            measured = probes.get("kmeans") or group["cpu_s"].mean()
            one = kmeans_cpu_s(sweep_of(cfg), measured, n, sweep_of(full), n_full, step)
            cpu, how = one * len(kinds), "subset fits as measured + passes over all N, per model"
        elif (
            rule == "encode"
            and r_px == 1
            and len(next(iter(probes.get("train", {0: ()}).values()))) > 2
        ):
            # the job as measured (start-up, model loading) + the images it has yet to
            # encode at full size, at the probe's rate at the full image size
            cpu = sum(
                per_kind.get(k, max(per_kind.values())) + (n_full - n) * probes["train"][k][2]
                for k in kinds
            )
            how = "the job + (full N - N) x the probe's encoding rate, per model"
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


def train_from_rehearsal(jobs: pd.DataFrame, cfg: dict, full: dict, probes: dict):
    """The check on the training probe: the full config's training from the rehearsal's
    own training jobs (when they ran at the full image size), each job's epoch per image
    (validation weighted by the probe's forward/training ratio) over the full config's
    epochs, above the start-up. None when the sizes differ or a job is missing."""
    from zatlas.scaling import epoch_images, train_from_job

    if cfg["data"]["image_size"] != full["data"]["image_size"] or "train" not in probes:
        return None
    train = jobs[jobs["rule"] == "train"]
    if train.empty:
        return None
    kinds = {k: s["type"] for k, s in cfg["models"].items()}
    per_kind = train.groupby(train["job"].map(lambda j: kinds.get(j, "ae")))["cpu_s"].mean()
    start = min(_startup(jobs), 0.5 * per_kind.min())
    cpu = 0.0
    for spec in full["models"].values():
        k = spec["type"]
        per_train, per_valid = probes["train"][k][:2]
        w = per_valid / per_train
        measured = epoch_images(*split_sizes(cfg), cfg["training"]["epochs"], w)
        full_images = epoch_images(*split_sizes(full), full["training"]["epochs"], w)
        cpu += train_from_job(float(per_kind.get(k, per_kind.max())), start, measured, full_images)
    return cpu


def _n_jobs(rule, kinds, full, tsne_variants) -> int:
    if rule == "tsne":
        return len(kinds) * len(tsne_variants(full))
    if rule == "vae_stats":
        return kinds.count("vae")
    return 1 if rule in ("acquire", "prepare", "compare", "report") else len(kinds)


def _tsne_full(group: pd.DataFrame, cfg: dict, full: dict, tsne_variants, probes: dict) -> float:
    from zatlas.scaling import tsne_cpu_s

    runs = tsne_variants(cfg)
    measured = {}
    for job in group.itertuples():
        spec = runs[next(v for v in runs if job.job.endswith(v))]
        measured.setdefault((spec["n_points"], spec["pca_components"] is not None), []).append(
            job.cpu_s
        )
    wanted = [
        (v["n_points"], v["pca_components"] is not None) for v in tsne_variants(full).values()
    ]
    rate = None
    if probes.get("tsne"):
        from zatlas.scaling import fit_fixed_and_rate

        sizes = sorted(probes["tsne"])
        rate = fit_fixed_and_rate(sizes, [probes["tsne"][n] for n in sizes])[1]
    return tsne_cpu_s(measured, wanted, rate) * len(full["models"])


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


def wall_on(table: pd.DataFrame, cores: int, n_models: int) -> dict:
    """Seconds per part on `cores` cores without a GPU, scheduled as the workflow schedules
    them (zatlas.hardware): each training and encoding job on `model_threads` threads,
    `trainings_at_once` of them side by side, so the models go through in waves; the other
    rules on their rule's threads, the analyses side by side; ideal thread scaling within
    a job. The parts add up one after another: the analyses of finished models that run
    beside a last, partly empty wave of training are not taken off (an upper bound)."""
    from zatlas.hardware import MOST_THREADS, model_threads, trainings_at_once

    most = {**MOST_THREADS, "inertia": MOST_THREADS["kmeans"]}  # a part of the kmeans job
    threads = model_threads(cores, gpu=False)
    waves = -(-n_models // trainings_at_once(cores, False, threads))
    parts = {}
    for rule in ("acquire", "prepare", "train", "encode"):
        row = table[table["rule"] == rule]
        if not len(row):
            continue
        cpu = float(row["full_cpu_s"].iloc[0])
        if rule in ("train", "encode"):
            parts[rule] = waves * cpu / n_models / threads
        else:
            parts[rule] = cpu / min(most.get(rule, 1), cores)
    rest = table[~table["rule"].isin(list(parts))]
    longest = max(
        (r.full_max_job_cpu_s / min(most.get(r.rule, 1), cores) for r in rest.itertuples()),
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
    n_models = len(full["models"])
    print("\nfull config without a GPU, as the workflow schedules it (ideal thread scaling):")
    for cores in (2, 16):
        parts = wall_on(table, cores, n_models)
        print(f"  {cores:2d} cores: " + ", ".join(f"{k} {hours(v)}" for k, v in parts.items()))
    check = train_from_rehearsal(jobs, cfg, full, probes)
    if check is not None:
        probe = float(table.loc[table["rule"] == "train", "full_cpu_s"].iloc[0])
        print(
            f"\ntraining from the probe: {hours(probe)} CPU; from the rehearsal's own training"
            f" jobs at the same size: {hours(check)} CPU ({check / probe - 1:+.0%})"
        )
    versus = against_reference(table, jobs, cfg, full, probes)
    print("\nagainst the full-size measurements (docs/performance.md, 'What the full study needs';")
    print(f"reference numbers: {REFERENCE.relative_to(REPO)}), in CPU time:\n")
    print(markdown(versus))
    out = workdir / "full_scale.json"
    out.write_text(
        json.dumps(
            {
                "rehearsal": cfg,
                "total_wall_s": total_wall,
                "rules": table.to_dict(orient="records"),
                "disk_rehearsal": sizes,
                "disk_full": full_sizes,
                "wall_full": {c: wall_on(table, c, n_models) for c in (2, 16)},
                "against_reference": versus.to_dict(orient="records"),
                "probes": {
                    k: {str(j): v for j, v in p.items()} if isinstance(p, dict) else p
                    for k, p in probes.items()
                },
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
    parser.add_argument(
        "--tsne-points",
        default="20000",
        help="t-SNE sizes, comma-separated (two sizes give its fixed and per-point cost)",
    )
    parser.add_argument(
        "--few-tsne", action="store_true", help="one z and one PCA t-SNE run per model"
    )
    parser.add_argument(
        "--tsne-probe",
        action="store_true",
        help="time t-SNE's optimisation at 20,000 and 80,000 synthetic points (~5 CPU-min)",
    )
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--nice", type=int, default=0, help="run the pipeline at this niceness")
    parser.add_argument(
        "--rules",
        default=",".join(BLOG_RULES),
        help="the last stages to run, comma-separated (their inputs run too; encode "
        "includes the VAEs' encode_vae)",
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
    stages = args.rules.split(",")
    wall = run_pipeline(work, cfg, args.cores, 0, until_rules(stages))
    if not args.no_probe and "kmeans" in stages:
        probes = json.loads((work / "probes.json").read_text())
        probes["kmeans"] = probe_kmeans(work, full_config_defaults(cfg))
        (work / "probes.json").write_text(json.dumps(probes, indent=2))
    report(work, full_config_defaults(cfg), wall)


# The full-size measurements the estimates are checked against, one row per part of the
# docs' table "What the full study needs" (which shows the same numbers), with their sources.
REFERENCE = REPO / "benchmarks" / "full_scale_reference.csv"


def read_reference(path: Path = REFERENCE) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"rules": str}, keep_default_na=False)


def at_n(full: dict, n: int) -> dict:
    """The full config on its first n images (a reference measured at another N)."""
    return {**full, "data": {**full["data"], "n_images": n}}


def against_reference(table, jobs, cfg, full, probes, reference=None) -> pd.DataFrame:
    """Per part of the reference: the estimate (CPU s, at the N the reference was measured
    at), the reference, their ratio and whether it lands within 25 %; then the total."""
    from zatlas.scaling import compare

    reference = read_reference() if reference is None else reference
    rows, total = [], 0.0
    for ref in reference.itertuples():
        if ref.part == "total":
            continue
        rules = ref.rules.split()
        at = table
        if ref.n_images != "":
            at = extrapolate(jobs, cfg, at_n(full, int(ref.n_images)), probes)
        found = at[at["rule"].isin(rules)]
        if set(rules) - set(found["rule"]):
            rows.append({"part": ref.part, "estimate_cpu_s": None, "reference_cpu_s": ref.cpu_s})
            total = None
            continue
        est = float(found["full_cpu_s"].sum())
        if total is not None:
            total += float(table.loc[table["rule"].isin(rules), "full_cpu_s"].sum())
        ratio, ok = compare(est, float(ref.cpu_s))
        rows.append(_versus_row(ref, est, ratio, ok))
    ref_total = reference[reference["part"] == "total"]
    if len(ref_total) and total is not None:
        ref = next(ref_total.itertuples())
        rows.append(_versus_row(ref, total, *compare(total, float(ref.cpu_s))))
    return pd.DataFrame(rows)


def _versus_row(ref, est: float, ratio: float, ok: bool) -> dict:
    return {
        "part": ref.part,
        "rules": ref.rules,
        "estimate_cpu_s": est,
        "reference_cpu_s": float(ref.cpu_s),
        "reference_2_cores": ref.two_cores,
        "n_images": ref.n_images,
        "ratio": ratio,
        "within_25": ok,
    }


def markdown(versus: pd.DataFrame) -> str:
    lines = [
        "| part | estimate (CPU) | full-size reference (CPU) | estimate / reference |",
        "|---|---|---|---|",
    ]
    for r in versus.itertuples():
        if r.estimate_cpu_s is None or pd.isna(r.estimate_cpu_s):
            lines.append(f"| `{r.part}` | not measured | {hours(r.reference_cpu_s)} | — |")
            continue
        name = "**total**" if r.part == "total" else f"`{r.part}`"
        if r.rules and r.rules != r.part:
            name += f" ({', '.join(r.rules.split())})"
        if r.n_images:
            name += f", at {int(r.n_images):,} points"
        flag = "" if r.within_25 else " (outside 25 %)"
        lines.append(
            f"| {name} | {hours(r.estimate_cpu_s)} | {hours(r.reference_cpu_s)} "
            f"| {r.ratio:.2f}{flag} |"
        )
    return "\n".join(lines)


def run_probes(work: Path, args) -> None:
    """The training and Lloyd-step probes at the full config's sizes, kept in probes.json."""
    full = full_config()
    # one thread: CPU seconds per image without the idle spinning of a thread pool (which
    # a loaded machine inflates); wall on C cores assumes ideal scaling, as for every rule
    train = probe_training(full, args.probe_batches, 1, work)
    sweep = sweep_of(full)
    lloyd = probe_lloyd(sorted(set(sweep.ks) | set(range(2, 81, 2))), full["architecture"]["z_dim"])
    analyses = probe_analyses(full, args.n, work)
    tsne = probe_tsne(full) if args.tsne_probe else {}
    probes = {"train": train, "lloyd": lloyd, "analyses": analyses, "tsne": tsne}
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
        "analyses": {k: tuple(v) for k, v in raw.get("analyses", {}).items()},
        "tsne": {int(k): v for k, v in raw.get("tsne", {}).items()},
        "kmeans": raw.get("kmeans"),
    }


def full_config_defaults(cfg: dict) -> dict:
    """The rehearsal config with the schema's defaults filled in."""
    sys.path.insert(0, str(REPO / "src"))
    from zatlas.config import validate_config

    return validate_config(cfg, REPO / "workflow" / "schemas" / "config.schema.yaml")


if __name__ == "__main__":
    main()
