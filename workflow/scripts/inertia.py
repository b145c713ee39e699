from zatlas.logs import run_stage
from zatlas.stages import inertia

run_stage(
    inertia,
    snakemake.log[0],
    threads=snakemake.threads,
    z=snakemake.input.z,
    sweep=snakemake.output.sweep,
    summary=snakemake.output.summary,
    figure=snakemake.output.figure,
    model=snakemake.wildcards.model,
    seed=snakemake.params.seed,
    **snakemake.params.settings,
)
