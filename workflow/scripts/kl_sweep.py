from zatlas.logs import run_stage
from zatlas.stages import kl_sweep

models, vaes = snakemake.params.models, snakemake.params.vaes
run_stage(
    kl_sweep,
    snakemake.log[0],
    models=models,
    z=dict(zip(models, snakemake.input.z, strict=True)),
    logvar=dict(zip(vaes, snakemake.input.logvar, strict=True)),
    histories=dict(zip(models, snakemake.input.histories, strict=True)),
    dimensions=dict(zip(models, snakemake.input.dimensions, strict=True)),
    table=snakemake.output.table,
    figure=snakemake.output.figure,
    z_dim=snakemake.params.z_dim,
)
