from zatlas.logs import run_stage
from zatlas.stages import pca

run_stage(
    pca,
    snakemake.log[0],
    threads=snakemake.threads,
    z=snakemake.input.z,
    axes_table=snakemake.input.axes_table,
    variance=snakemake.output.variance,
    variance_figure=snakemake.output.variance_figure,
    zoom_table=snakemake.output.zoom_table,
    planes_figure=snakemake.output.planes_figure,
    axis_planes_figure=snakemake.output.axis_planes_figure,
    model=snakemake.wildcards.model,
    seed=snakemake.params.seed,
    **snakemake.params.settings,
)
