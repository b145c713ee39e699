"""zatlas's entry point from the repository root: the workflow is workflow/Snakefile
(Snakemake's deployment layout), included here so that `snakemake` runs it as it is."""


include: "workflow/Snakefile"


# An included file cannot set the default target, so this one names it: the report.
rule default:
    default_target: True
    input:
        rules.all.input,
