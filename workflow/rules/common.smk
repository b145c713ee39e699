import os
import re

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
VAES = [m for m, spec in config["models"].items() if spec["type"] == "vae"]
AES = [m for m in MODELS if m not in VAES]
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


CAPTIONS = os.path.join(WORKFLOW_DIR, "report")


def figure(path, labels=None):
    """A figure in Snakemake's report, filed like our own report files it: under the title
    (registry) of the stage whose folder holds it, with that stage's caption
    (`<stage>-<figure>.rst`, else `<stage>.rst`), per model where the path has one."""
    stage = classify(path)[0]
    stem = os.path.splitext(os.path.basename(path))[0]
    caption = f"{stage}-{stem}.rst"
    if not os.path.exists(os.path.join(CAPTIONS, caption)):
        caption = f"{stage}.rst"
    return report(
        path,
        caption=f"../report/{caption}",
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


def report_inputs(wildcards):
    """Every figure and table of the stages the registry shows in the report."""
    over = {"model": MODELS, "vae": VAES, "variant": MODELS, "run": [None]}
    files = []
    for stage in report_stages():
        if stage.name == "attributes" and not attribute_names(config):
            continue  # a folder data set without an attributes file
        outputs = list(getattr(rules, stage.name).output)
        for model in over[stage.per]:
            for variant in TSNE if stage.per == "variant" else [None]:
                names = {"run": wildcards.run, "model": model, "variant": variant}
                files += [p.format(**names) for p in outputs]
    files = [f for f in files if f.endswith((".png", ".csv", ".json"))]
    return list(dict.fromkeys(files))
