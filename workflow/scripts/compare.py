from zatlas.logs import run_stage
from zatlas.stages import compare

models, vaes = snakemake.params.models, snakemake.params.vaes
run_stage(
    compare,
    snakemake.log[0],
    radius_tables=dict(zip(models, snakemake.input.radius_tables, strict=True)),
    radius_summaries=dict(zip(models, snakemake.input.radius_summaries, strict=True)),
    dominant_tables=dict(zip(models, snakemake.input.dominant, strict=True)),
    inertia_summaries=dict(zip(models, snakemake.input.inertia, strict=True)),
    vae_summaries=dict(zip(vaes, snakemake.input.vae, strict=True)),
    table=snakemake.output.table,
    figure=snakemake.output.figure,
    inertia_figure=snakemake.output.inertia_figure,
    z_dim=snakemake.params.z_dim,
)
