from zatlas.logs import run_stage
from zatlas.stages import vae_stats

run_stage(
    vae_stats,
    snakemake.log[0],
    z=snakemake.input.z,
    mu=snakemake.input.mu,
    logvar=snakemake.input.logvar,
    table=snakemake.output.table,
    summary=snakemake.output.summary,
    figure=snakemake.output.figure,
    model=snakemake.wildcards.model,
)
