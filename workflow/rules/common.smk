import os
import re

from zatlas.config import n_available, tsne_variants, validate_config
from zatlas.errors import ConfigError

try:
    _resolved = validate_config(
        config,
        os.path.join(workflow.basedir, "workflow", "schemas", "config.schema.yaml"),
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
if config["data"]["dataset"] == "synthetic":
    DATASET = f"synthetic_n{n_available(config)}_seed{config['seed']}"
else:
    DATASET = "celeba"


wildcard_constraints:
    run=RUN,
    model=one_of(MODELS),
    dataset=DATASET,
    variant=one_of(TSNE),


def tsne_params(wildcards):
    return TSNE[wildcards.variant]


def latent_mean(wildcards):
    """E[z | x] of a model's latents: mu for a VAE, z itself for an AE."""
    name = "mu" if wildcards.model in VAES else "z"
    return f"results/{wildcards.run}/latents/{wildcards.model}/{name}.npy"


def report_inputs(wildcards):
    """Every figure and table that the report shows."""
    run = wildcards.run
    files = [rules.prepare.output.summary.format(run=run)]
    per_model_rules = [rules.train, rules.radius, rules.axes, rules.pca, rules.inertia]
    per_model_rules.append(rules.samples)
    for rule_ in per_model_rules:
        files += expand(list(rule_.output), run=run, model=MODELS)
    files += expand(list(rules.vae_stats.output), run=run, model=VAES)
    files += expand(list(rules.tsne.output), run=run, model=MODELS, variant=list(TSNE))
    files += list(expand(list(rules.compare.output), run=run))
    for rule_ in [
        rules.structure,
        rules.intrinsic_dim,
        rules.sampling,
        rules.attributes,
    ]:
        files += expand(list(rule_.output), run=run, model=MODELS)
    files += list(expand(list(rules.kl_sweep.output), run=run))
    return [f for f in files if f.endswith((".png", ".csv", ".json"))]
