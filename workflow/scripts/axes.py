from zatlas.logs import run_stage
from zatlas.stages import axes

run_stage(
    axes,
    snakemake.log[0],
    z=snakemake.input.z,
    table=snakemake.output.table,
    density=snakemake.output.density,
    dominant=snakemake.output.dominant,
    figure_all=snakemake.output.figure_all,
    figure_dominant=snakemake.output.figure_dominant,
    model=snakemake.wildcards.model,
    **snakemake.params.settings,
)
