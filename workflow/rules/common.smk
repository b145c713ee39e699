import atexit
import os
import re
import shutil
import tempfile

from zatlas.captions import caption, captions_of
from zatlas.config import (
    ModelSpec,
    TrainSpec,
    dataset_name,
    n_available,
    validate_config,
)
from zatlas.config_file import check_config_files
from zatlas.data.dataset import attribute_names, folder_fingerprint, table_fingerprints
from zatlas.errors import ConfigError
from zatlas.hardware import (
    MOST_THREADS,
    analysis_threads,
    model_threads,
    nvidia_device_present,
    trainings_at_once,
)
from zatlas.external.plan import plan as stage_plan
from zatlas.external.spec import external_names, has_mu_logvar, trained_names
from zatlas.stages.traversals import grid_names as traversal_grid_names
from zatlas.stages.tsne import tsne_variants
from zatlas.registry import BY_NAME, report_stages
from zatlas.report.artifacts import classify

# The workflow's own folder (workflow/): its schema, captions and scripts resolve from here,
# also when zatlas runs as a module of another workflow from another working directory.
WORKFLOW_DIR = os.path.dirname(
    workflow.current_basedir.get_path_or_uri(secret_free=True)
)

try:
    # duplicate keys and non-finite numbers, named by file and line
    check_config_files(workflow.configfiles)
    _resolved = validate_config(
        config,
        os.path.join(WORKFLOW_DIR, "schemas", "config.schema.yaml"),
    )
except ConfigError as exc:
    raise WorkflowError(str(exc)) from None
config.clear()
config.update(_resolved)


def one_of(names):
    """A wildcard regex matching exactly these names (nothing when there are none)."""
    return "|".join(re.escape(n) for n in names) or "(?!x)x"


RUN = config["run"]
MODELS = list(config["models"])
# models with mu and logvar: trained VAEs and external models given both
VAES = [m for m, spec in config["models"].items() if has_mu_logvar(spec)]
TRAINED = trained_names(config)
TRAINED_VAES = [m for m in TRAINED if config["models"][m]["type"] == "vae"]
TRAINED_AES = [m for m in TRAINED if m not in TRAINED_VAES]
EXTERNAL = external_names(config)
EXTERNAL_VAES = [m for m in EXTERNAL if m in VAES]
EXTERNAL_AES = [m for m in EXTERNAL if m not in VAES]
IMAGES = config["data"]["dataset"] != "none"
TSNE = tsne_variants(config)
DATASET = dataset_name(config)
try:
    # a folder's content digest, rewritten only when an image changed: acquire's input
    FINGERPRINT = (
        folder_fingerprint(config, DATASET)
        if config["data"]["dataset"] == "folder"
        else None
    )
except ConfigError as exc:
    raise WorkflowError(str(exc)) from None
ANALYSIS = config["analysis"]
# With a GPU, training, encoding and decoding take turns on it (the profile's gpu=1 slot);
# without one they do not queue for a slot that is not there, and run side by side.
GPU = int(nvidia_device_present())
try:
    _CORES = workflow.cores
except WorkflowError:  # a dry run or lint without --cores
    _CORES = None
MODEL_THREADS = model_threads(_CORES, bool(GPU))
TRAININGS_AT_ONCE = trainings_at_once(_CORES, bool(GPU), MODEL_THREADS)
# the latent points every per-model analysis sees: one thread each below 10,000
N_POINTS = n_available(config)
# which per-model stages run for which models; what is left out, and why (in the report)
PLAN, LEFT_OUT = stage_plan(config, bool(attribute_names(config)))


wildcard_constraints:
    run=RUN,
    model=one_of(MODELS),
    dataset=DATASET,
    variant=one_of(TSNE),


def explore_variants():
    """The t-SNE variants the explorer shows: the config's list, or by default the first
    variant on the most points."""
    chosen = ANALYSIS["explore"]["tsne"]
    if chosen is None:
        most = max(v["n_points"] for v in TSNE.values())
        return [next(name for name, v in TSNE.items() if v["n_points"] == most)]
    unknown = [v for v in chosen if v not in TSNE]
    if unknown:
        raise WorkflowError(
            f"analysis.explore.tsne names unknown t-SNE variants {unknown}; "
            f"the config's variants are: {', '.join(TSNE)}"
        )
    return list(chosen)


TRAVERSAL_GRIDS = traversal_grid_names(
    ANALYSIS["traversals"]["n_axes"], ANALYSIS["traversals"]["n_components"]
)
EXPLORE_VARIANTS = explore_variants()


def acquire_settings(cfg):
    """The acquire rule's params: only what its record depends on, so that configs sharing
    a data set (one folder, one CelebA) never rerun each other's acquire by their seeds or
    caps; a synthetic set's size and seed are in its folder's name."""
    data = cfg["data"]
    if data["dataset"] == "synthetic":
        return {
            "dataset": "synthetic",
            "n_images": n_available(cfg),
            "seed": cfg["seed"],
        }
    if data["dataset"] == "folder":  # its size limits are checked with its fingerprint
        return {"dataset": "folder", "path": data["path"]}
    return {"dataset": data["dataset"], "sources": data["sources"]}


def acquire_inputs(wildcards):
    """A folder's content fingerprint: a changed, added or removed image reruns acquire."""
    return {"fingerprint": FINGERPRINT} if FINGERPRINT else {}


# Snakemake's report takes a caption as a file, rendered with the job's `snakemake` object
# but not told which of the job's files it describes, so one template cannot pick a
# figure's text. Each caption (zatlas.captions: the text in the stage's plot module) is
# written once per parse to a file of its own in a folder that lives as long as this process.
CAPTION_FILES = tempfile.mkdtemp(prefix="zatlas-captions-")
atexit.register(shutil.rmtree, CAPTION_FILES, ignore_errors=True)


def caption_file(stage, stem):
    """The file Snakemake's report reads a figure's caption from."""
    text = caption(stage, stem)
    if not text:
        raise WorkflowError(
            f"{stage}/{stem}: no caption; give the figure a text in "
            f"src/zatlas/plots/{stage}.py (CAPTION, or FILE_CAPTIONS['{stem}'])"
        )
    own = stem in captions_of(stage)[1]
    path = os.path.join(CAPTION_FILES, f"{stage}-{stem}.rst" if own else f"{stage}.rst")
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"{text}\n")
    return path


def figure(path, labels=None):
    """A figure in Snakemake's report, filed like our own report files it: under the title
    (registry) of the stage whose folder holds it, with that stage's caption (its own text
    for this file, else the stage's), per model where the path has one."""
    stage = classify(path)[0]
    stem = os.path.splitext(os.path.basename(path))[0]
    return report(
        path,
        caption=caption_file(stage, stem),
        category=BY_NAME[stage].title,
        subcategory="{model}" if "{model}" in path else None,
        labels=labels,
    )


def logs(path):
    return f"results/{{run}}/logs/{path}"


def benchmarks(path):
    return f"results/{{run}}/benchmarks/{path}"


def latents(name):
    return f"results/{{run}}/latents/{{model}}/{name}.npy"


def model_spec(wildcards):
    return ModelSpec.from_config(config, wildcards.model)


def tsne_settings(wildcards):
    return TSNE[wildcards.variant]


def latent_mean(wildcards):
    """E[z | x] of a model's latents: mu for a VAE, z itself for an AE."""
    name = "mu" if wildcards.model in VAES else "z"
    return f"results/{wildcards.run}/latents/{wildcards.model}/{name}.npy"


def decoder_file(wildcards):
    """The decoder of a model: the trained one, or the one an external model gives."""
    spec = config["models"][wildcards.model]
    if spec["type"] == "external":
        return os.path.expanduser(spec["decoder"])
    return f"results/{wildcards.run}/models/{wildcards.model}/decoder.keras"


def encoder_file(wildcards):
    """A trained model's encoder; none for an external model (its z rows are the codes)."""
    if config["models"][wildcards.model]["type"] == "external":
        return []
    return f"results/{wildcards.run}/models/{wildcards.model}/encoder.keras"


def images_file(wildcards):
    """The run's image array; none in a run without images."""
    return f"results/{wildcards.run}/data/images.npy" if IMAGES else []


def source_record(wildcards):
    return expand(rules.acquire.output.source, dataset=DATASET)[0] if IMAGES else []


def external_inputs(wildcards):
    """The user's files behind an external model (a change to one re-runs its ingest)."""
    from zatlas.external.sources import split_key

    spec = config["models"][wildcards.model]
    keys = ("z", "mu", "logvar", "ids", "decoder")
    return [str(split_key(str(spec[k]))[0]) for k in keys if spec.get(k)]


def external_spec(wildcards):
    return {
        k: v for k, v in config["models"][wildcards.model].items() if k != "kl_factor"
    }


def report_inputs(wildcards):
    """Every figure and table of the stages the registry shows in the report."""
    files = []
    for stage in report_stages():
        if stage.name == "kl_sweep" and not TRAINED:
            continue
        if stage.name in ("prepare", "acquire") and not IMAGES:
            continue
        if stage.per == "run":
            chosen = [None]
        else:
            chosen = PLAN.get(stage.name, MODELS)
        outputs = list(getattr(rules, stage.name).output)
        for model in chosen:
            for variant in TSNE if stage.per == "variant" else [None]:
                names = {"run": wildcards.run, "model": model, "variant": variant}
                files += [p.format(**names) for p in outputs]
    files = [f for f in files if f.endswith((".png", ".csv", ".json"))]
    return list(dict.fromkeys(files))
