"""zatlas: map the latent space of autoencoders and VAEs trained on CelebA faces."""

from snakemake.utils import min_version

min_version("9.0")


# The blog's CelebA settings, unless a --configfile replaces them (a merge would mix
# config.yaml's models into the demo's).
if not workflow.config_settings.configfiles:

    configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/external.smk"
include: "workflow/rules/blog.smk"
include: "workflow/rules/beyond.smk"
include: "workflow/rules/explore.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        expand("results/{run}/report/index.html", run=RUN),
