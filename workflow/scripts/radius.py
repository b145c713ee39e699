from zatlas.logs import run_stage
from zatlas.stages import radius

run_stage(
    radius,
    snakemake.log[0],
    z=snakemake.input.z,
    densities=snakemake.output.densities,
    summary=snakemake.output.summary,
    figure=snakemake.output.figure,
    model=snakemake.wildcards.model,
    **snakemake.params.settings,
)
